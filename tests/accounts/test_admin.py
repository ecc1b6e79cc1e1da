"""The admin of team members and organizations: every change goes through the member and
organization services, and each of their refusals is a form error, never a 500."""

import pytest
from django.core.cache import cache
from django.test import Client

from deals.models import Pipeline
from rexcrm.accounts.models import Organization, User
from rexcrm.accounts.services import apikey_create, user_set_superuser
from rexcrm.core.exceptions import ConflictError
from rexcrm.workspace.services import organization_provision
from tests.conftest import Api
from tests.factories import UserFactory

STRONG = "a-Long-enough-passphrase-42"


@pytest.fixture
def owner(db):
    """The owner ``createorg --owner-email`` makes: organization staff."""
    org = organization_provision(name="Acme Sales", owner_email="owner@acme.example", owner_password=STRONG)
    client = Client()
    client.user = User.objects.get(email="owner@acme.example")
    client.org = org
    client.force_login(client.user)
    return client


@pytest.fixture
def root(db):
    client = Client()
    client.user = User.objects.create_superuser(email="root@example.com", password=STRONG)
    client.force_login(client.user)
    return client


def change_url(user) -> str:
    return f"/admin/accounts/user/{user.pk}/change/"


def change_data(member, **changes) -> dict:
    data = {"first_name": member.first_name, "last_name": member.last_name, "time_zone": member.time_zone}
    data.update({name: "on" for name in ("is_active", "is_staff", "is_superuser") if getattr(member, name)})
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def errors_of(response, field=None) -> str:
    assert response.status_code == 200, response.status_code  # the form again, not a 500
    errors = response.context["adminform"].form.errors
    assert errors, "the form should show the refusal"
    return " ".join(errors[field]) if field else errors.as_text()


# -- changes ---------------------------------------------------------------------------------


def test_staff_change_a_members_name_time_zone_and_role(owner):
    colleague = UserFactory(org=owner.org, first_name="Bo")
    data = change_data(colleague, first_name="  Bob ", time_zone="Europe/Paris", is_staff="on")
    assert owner.post(change_url(colleague), data).status_code == 302
    colleague.refresh_from_db()
    assert (colleague.first_name, colleague.time_zone, colleague.is_staff) == ("Bob", "Europe/Paris", True)


def test_each_refusal_of_the_member_services_is_a_form_error(owner):
    me = owner.user
    refused = owner.post(change_url(me), change_data(me, is_active=None))
    assert "You cannot deactivate yourself." in errors_of(refused, "is_active")
    refused = owner.post(change_url(me), change_data(me, is_staff=None))
    assert "You cannot remove your own administrator rights." in errors_of(refused, "is_staff")
    refused = owner.post(change_url(me), change_data(me, time_zone="Mars/Olympus_Mons"))
    assert '"Mars/Olympus_Mons" is not a time zone' in errors_of(refused, "time_zone")
    refused = owner.post(change_url(me), change_data(me, first_name="x" * 151, time_zone="Asia/Tokyo"))
    assert "no more than 150 characters" in errors_of(refused, "first_name")
    me.refresh_from_db()
    assert me.is_active and me.is_staff and me.time_zone == "UTC"  # nothing of a refused form saved


def test_a_refusal_undoes_the_changes_before_it(root, owner):
    """Name and superuser status are one transaction: the superuser refusal undoes the name."""
    refused = root.post(
        change_url(root.user), change_data(root.user, first_name="Changed", is_superuser=None)
    )
    assert "You cannot remove your own superuser status." in errors_of(refused, "is_superuser")
    root.user.refresh_from_db()
    assert (root.user.first_name, root.user.is_superuser) == ("", True)


def test_only_superusers_make_superusers_and_nobody_moves_a_member(root, owner):
    other = organization_provision(name="Globex")
    colleague = UserFactory(org=owner.org)
    fields = set(owner.get(change_url(colleague)).context["adminform"].form.fields)
    assert not fields & {"is_superuser", "org", "email", "groups", "user_permissions"}
    tampered = change_data(colleague, is_superuser="on", org=other.pk, email="x@globex.example")
    assert owner.post(change_url(colleague), tampered).status_code == 302
    colleague.refresh_from_db()
    assert (colleague.is_superuser, colleague.org, colleague.email) == (False, owner.org, colleague.email)
    with pytest.raises(ConflictError):
        user_set_superuser(actor=owner.user, user=colleague, superuser=True)  # whichever door
    assert "org" not in root.get(change_url(colleague)).context["adminform"].form.fields  # set once
    assert (
        root.post(change_url(colleague), change_data(colleague, is_superuser="on", org=other.pk)).status_code
        == 302
    )
    colleague.refresh_from_db()
    assert colleague.is_superuser and colleague.org == owner.org


def test_deactivating_in_the_admin_stops_the_members_keys(owner, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    colleague = UserFactory(org=owner.org)
    _, raw = apikey_create(org=owner.org, actor=colleague, name="k")
    assert Api(raw).get("/users").status_code == 200
    assert owner.post(change_url(colleague), change_data(colleague, is_active=None)).status_code == 302
    assert Api(raw).get("/users").status_code == 401
    assert owner.post(change_url(colleague), change_data(colleague, is_active="on")).status_code == 302
    assert Api(raw).get("/users").status_code == 200
    cache.clear()


def test_members_are_deactivated_never_deleted(owner):
    colleague = UserFactory(org=owner.org)
    assert owner.post(f"/admin/accounts/user/{colleague.pk}/delete/", {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=colleague.pk).exists()


# -- adding ----------------------------------------------------------------------------------


def add(client, **data):
    base = {"email": "new@acme.example", "password1": STRONG, "password2": STRONG, "time_zone": "UTC"}
    return client.post("/admin/accounts/user/add/", {**base, **data})


def test_adding_a_member_goes_through_member_create(owner):
    response = add(owner, first_name=" Nora ", time_zone="America/New_York", is_staff="on")
    assert response.status_code == 302
    new = User.objects.get(email="new@acme.example")
    assert (new.org, new.first_name, new.time_zone, new.is_staff) == (
        owner.org,
        "Nora",
        "America/New_York",
        True,
    )
    assert new.check_password(STRONG) and not new.is_superuser


def test_each_refusal_of_member_create_is_a_form_error(owner):
    UserFactory(org=owner.org, email="taken@acme.example")
    assert "A member with this email already exists." in errors_of(
        add(owner, email="TAKEN@acme.example"), "email"
    )
    assert "valid email" in errors_of(add(owner, email="not-an-email"), "email")
    weak = add(owner, password1="12345678", password2="12345678")
    assert "too common" in errors_of(weak, "password1")
    assert "match" in errors_of(add(owner, password2=STRONG + "x"), "password2")
    assert "is not a time zone" in errors_of(add(owner, time_zone="Nowhere"), "time_zone")
    assert not User.objects.filter(email="new@acme.example").exists()


def test_a_superuser_adds_a_member_to_the_organization_picked(root, owner):
    assert "This field is required." in errors_of(add(root), "org")
    assert add(root, org=owner.org.pk).status_code == 302
    assert User.objects.get(email="new@acme.example").org == owner.org


# -- passwords -------------------------------------------------------------------------------


def test_the_password_page_sets_the_password_through_the_service(owner):
    colleague = UserFactory(org=owner.org)
    url = f"/admin/accounts/user/{colleague.pk}/password/"
    page = owner.get(url)
    assert page.status_code == 200 and "usable_password" not in page.context["form"].fields
    weak = owner.post(url, {"password1": "12345678", "password2": "12345678"})
    assert weak.status_code == 200 and "too common" in str(weak.context["form"].errors["password2"])
    empty = owner.post(url, {"password1": "", "password2": ""})
    assert empty.status_code == 200 and empty.context["form"].errors
    assert owner.post(url, {"password1": STRONG, "password2": STRONG}).status_code == 302
    colleague.refresh_from_db()
    assert colleague.check_password(STRONG)


def test_ones_own_password_change_goes_through_the_service(owner):
    data = {"old_password": STRONG, "new_password1": "12345678", "new_password2": "12345678"}
    weak = owner.post("/admin/password_change/", data)
    assert weak.status_code == 200 and "too common" in str(weak.context["form"].errors["new_password2"])
    wrong = owner.post("/admin/password_change/", {**data, "old_password": "nope"})
    assert wrong.status_code == 200 and "old_password" in wrong.context["form"].errors
    new = STRONG + "-new"
    done = owner.post("/admin/password_change/", {**data, "new_password1": new, "new_password2": new})
    assert done.status_code == 302
    owner.user.refresh_from_db()
    assert owner.user.check_password(new)
    assert owner.get("/admin/").status_code == 200  # still signed in here


def test_staff_cannot_reach_another_organizations_member_or_a_superuser(owner, root):
    stranger = UserFactory(org=organization_provision(name="Globex"))
    for user in (stranger, root.user):
        before = user.password
        assert owner.get(change_url(user)).status_code == 302  # the admin's "doesn't exist"
        password = {"password1": STRONG + "!", "password2": STRONG + "!"}
        assert owner.post(f"/admin/accounts/user/{user.pk}/password/", password).status_code == 404
        user.refresh_from_db()
        assert user.password == before


# -- organizations ---------------------------------------------------------------------------


def test_staff_rename_their_organization_through_the_service(owner):
    url = f"/admin/accounts/organization/{owner.org.pk}/change/"
    assert owner.post(url, {"name": "  Acme Worldwide "}).status_code == 302
    owner.org.refresh_from_db()
    assert owner.org.name == "Acme Worldwide"
    refused = owner.post(url, {"name": "x" * 201})
    assert "no more than 200 characters" in errors_of(refused, "name")
    assert "This field is required." in errors_of(owner.post(url, {"name": "   "}), "name")
    owner.org.refresh_from_db()
    assert owner.org.name == "Acme Worldwide"


def test_a_superuser_adds_an_organization_provisioned_or_refused(root):
    refused = root.post("/admin/accounts/organization/add/", {"name": "x" * 201})
    assert "no more than 200 characters" in errors_of(refused, "name")
    assert not Organization.objects.exists()
    assert root.post("/admin/accounts/organization/add/", {"name": "Initech"}).status_code == 302
    assert Pipeline.objects.for_org(Organization.objects.get()).filter(is_default=True).exists()
