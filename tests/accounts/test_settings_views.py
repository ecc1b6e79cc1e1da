"""Settings of members and keys in the web UI: profile, team, API keys, the one-time sign-in link."""

import re

import pytest
from django.core.cache import cache
from django.test import Client

from rexcrm.accounts import selectors
from rexcrm.accounts.models import ApiKey, User
from rexcrm.accounts.services import apikey_create
from tests.conftest import MEMBER_PASSWORD, Api, page_queries
from tests.factories import ApiKeyFactory, UserFactory
from tests.helpers.queries import assert_same_queries

STRONG = "a-Long-enough-passphrase-42"
ADMIN_PAGES = ["/settings/api-keys/", "/settings/pipelines/", "/settings/webhooks/"]


@pytest.fixture
def shared_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


def text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize("path", ["/settings/", "/settings/profile/", "/settings/team/", *ADMIN_PAGES])
def test_settings_need_a_signed_in_member(db, path):
    response = Client().get(path)
    assert response.status_code == 302 and response["Location"] == f"/login/?next={path}"


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_members_who_are_not_administrators_get_403(ui, path):
    response = ui.get(path)
    assert response.status_code == 403 and "administrators" in text(response)


def test_members_see_profile_and_team_without_admin_links(ui, admin_member):
    assert ui.get("/settings/").url == "/settings/profile/"
    page = text(ui.get("/settings/team/"))
    assert "boss@acme.example" in page and "Add a member" not in page and "/deactivate/" not in page
    assert "/settings/api-keys/" not in page
    assert ui.post("/settings/team/", {"email": "x@acme.example", "sign_in": "link"}).status_code == 403
    assert ui.post(f"/settings/team/{admin_member.typeid}/deactivate/").status_code == 403


def test_profile_saves_the_name_and_keeps_bad_input(ui, member):
    response = ui.post(
        "/settings/profile/", {"first_name": "  Rita ", "last_name": "Rowe", "time_zone": "UTC"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert (member.first_name, member.last_name) == ("Rita", "Rowe")
    response = ui.post(
        "/settings/profile/", {"first_name": "R" * 151, "last_name": "Kept", "time_zone": "UTC"}
    )
    assert response.status_code == 400
    assert "no more than 150 characters" in text(response) and 'value="Kept"' in text(response)


def test_password_change_validates_and_keeps_the_session(ui, member):
    wrong = ui.post(
        "/settings/profile/password/",
        {"current_password": "nope", "password": STRONG, "password_again": STRONG},
    )
    assert wrong.status_code == 400 and "not your current password" in text(wrong)
    weak = ui.post(
        "/settings/profile/password/",
        {"current_password": MEMBER_PASSWORD, "password": "12345678", "password_again": "12345678"},
    )
    assert weak.status_code == 400 and "too common" in text(weak)
    differ = ui.post(
        "/settings/profile/password/",
        {"current_password": MEMBER_PASSWORD, "password": STRONG, "password_again": STRONG + "x"},
    )
    assert differ.status_code == 400 and "differ" in text(differ)
    done = ui.post(
        "/settings/profile/password/",
        {"current_password": MEMBER_PASSWORD, "password": STRONG, "password_again": STRONG},
    )
    assert done.status_code == 302
    assert ui.get("/settings/profile/").status_code == 200  # still signed in here
    assert Client().login(username=member.email, password=STRONG)


def test_add_a_member_with_an_initial_password(admin_ui, org):
    weak = admin_ui.post(
        "/settings/team/",
        {"email": "new@acme.example", "first_name": "Nina", "sign_in": "password", "password": "short"},
    )
    assert weak.status_code == 400
    assert (
        "too short" in text(weak)
        and 'value="new@acme.example"' in text(weak)
        and 'value="Nina"' in text(weak)
    )
    missing = admin_ui.post("/settings/team/", {"email": "new@acme.example", "sign_in": "password"})
    assert missing.status_code == 400 and "Type the initial password" in text(missing)
    bad_email = admin_ui.post("/settings/team/", {"email": "not-an-email", "sign_in": "link"})
    assert bad_email.status_code == 400 and "valid email" in text(bad_email)
    added = admin_ui.post(
        "/settings/team/",
        {"email": "new@acme.example", "first_name": "Nina", "sign_in": "password", "password": STRONG},
    )
    assert added.status_code == 201 and "/login/link/" not in text(added)
    member = User.objects.get(email="new@acme.example")
    assert member.org == org and not member.is_staff
    assert Client().login(username="new@acme.example", password=STRONG)
    taken = admin_ui.post("/settings/team/", {"email": "NEW@acme.example", "sign_in": "link"})
    assert taken.status_code == 400 and "already exists" in text(taken)


def test_one_time_sign_in_link_works_once(admin_ui, org):
    added = admin_ui.post(
        "/settings/team/",
        {"email": "link@acme.example", "first_name": "Lee", "sign_in": "link", "is_staff": "on"},
    )
    assert added.status_code == 201 and added["Cache-Control"].startswith("max-age=0")
    link = re.search(r'value="http://testserver(/login/link/[^"]+)"', text(added)).group(1)
    member = User.objects.get(email="link@acme.example")
    assert member.is_staff and not member.has_usable_password()

    browser = Client()
    opened = browser.get(link)
    assert opened.status_code == 302  # Django keeps the token in the session, off the URL
    form_url = opened["Location"]
    weak = browser.post(form_url, {"new_password1": "123", "new_password2": "123"})
    assert weak.status_code == 200 and "too short" in text(weak)
    done = browser.post(form_url, {"new_password1": STRONG, "new_password2": STRONG})
    assert done.status_code == 302 and done["Location"] == "/"
    assert browser.get("/").status_code == 200  # signed in
    member.refresh_from_db()
    assert member.check_password(STRONG) and member.last_login is not None

    again = Client().get(link, follow=True)
    assert "does not work any more" in text(again)
    # and no new link for a member who has signed in (no taking over a colleague's account)
    refused = admin_ui.post(f"/settings/team/{member.typeid}/signin-link/", follow=True)
    assert "/login/link/" not in text(refused) and "signed in already" in text(refused)


def test_a_new_link_for_a_member_who_never_signed_in(admin_ui, org):
    member = UserFactory(org=org, email="late@acme.example")
    response = admin_ui.post(f"/settings/team/{member.typeid}/signin-link/")
    assert response.status_code == 200 and "http://testserver/login/link/" in text(response)


def test_deactivated_member_cannot_sign_in_and_their_session_ends(admin_ui, org):
    member = UserFactory(org=org, email="leaving@acme.example")
    session = Client()
    session.force_login(member)
    assert session.get("/").status_code == 200
    response = admin_ui.post(f"/settings/team/{member.typeid}/deactivate/", follow=True)
    assert "deactivated" in text(response) and "Reactivate" in text(response)
    assert session.get("/").status_code == 302  # signed out at the next request
    assert not Client().login(username=member.email, password=MEMBER_PASSWORD)
    signin = Client().post("/login/", {"username": member.email, "password": MEMBER_PASSWORD})
    assert signin.status_code == 200 and "Please enter a correct" in text(signin)
    admin_ui.post(f"/settings/team/{member.typeid}/reactivate/")
    assert Client().login(username=member.email, password=MEMBER_PASSWORD)


def test_administrators_cannot_deactivate_themselves(admin_ui, admin_member):
    response = admin_ui.post(f"/settings/team/{admin_member.typeid}/deactivate/", follow=True)
    assert "cannot deactivate yourself" in text(response)
    admin_member.refresh_from_db()
    assert admin_member.is_active


def test_other_organizations_members_and_keys_are_404(admin_ui, other_org):
    stranger = UserFactory(org=other_org)
    key = ApiKeyFactory(org=other_org)
    for path in (
        f"/settings/team/{stranger.typeid}/deactivate/",
        f"/settings/team/{stranger.typeid}/reactivate/",
        f"/settings/team/{stranger.typeid}/signin-link/",
        f"/settings/team/{stranger.typeid}/make-admin/",
        f"/settings/team/{stranger.typeid}/remove-admin/",
        "/settings/team/user_nonsense/deactivate/",
        f"/settings/api-keys/{key.typeid}/revoke/",
        f"/settings/api-keys/{stranger.typeid}/revoke/",
    ):
        assert admin_ui.post(path).status_code == 404, path
    stranger.refresh_from_db()
    key.refresh_from_db()
    assert stranger.is_active and key.revoked_at is None


def test_a_deactivated_members_keys_get_401_within_a_second(shared_cache, admin_ui, org, monkeypatch):
    """Through the API: this process refuses the key at once; another process, which kept the
    key for its second, refuses it when that second is over."""
    clock = [1000.0]
    monkeypatch.setattr(selectors, "_clock", lambda: clock[0])
    member = UserFactory(org=org, is_staff=True)
    _, raw = apikey_create(org=org, actor=member, name="Member's key")
    _, org_raw = apikey_create(org=org, actor=None, name="System key")
    api, org_api = Api(raw), Api(org_raw)
    assert api.get("/users").status_code == 200

    # Another process deactivates the member: the database and the shared cache say so.
    kept = dict(selectors._local)
    admin_ui.post(f"/settings/team/{member.typeid}/deactivate/")
    selectors._local.update(kept)  # what this process (standing for the other one) still holds
    clock[0] += selectors.LOCAL_SECONDS - 0.01
    assert api.get("/users").status_code == 200
    clock[0] += 0.01
    assert api.get("/users").status_code == 401
    assert org_api.get("/users").status_code == 200  # keys of no member keep working
    cache.clear()  # the tombstone gone: the database still refuses the key
    clock[0] += selectors.LOCAL_SECONDS
    assert api.get("/users").status_code == 401

    admin_ui.post(f"/settings/team/{member.typeid}/reactivate/")
    assert api.get("/users").status_code == 200


def test_deactivating_refuses_the_key_at_once_in_this_process(shared_cache, admin_ui, org):
    member = UserFactory(org=org)
    _, raw = apikey_create(org=org, actor=member, name="k")
    assert Api(raw).get("/users").status_code == 200
    admin_ui.post(f"/settings/team/{member.typeid}/deactivate/")
    assert Api(raw).get("/users").status_code == 401


def test_create_a_key_shows_it_once_and_revoke_it(admin_ui, admin_member, org):
    bad = admin_ui.post("/settings/api-keys/", {"name": "Zap", "scope": "admin", "environment": "live"})
    assert bad.status_code == 400 and "Select a valid choice" in text(bad) and 'value="Zap"' in text(bad)
    long = admin_ui.post("/settings/api-keys/", {"name": "Z" * 201, "scope": "read", "environment": "test"})
    assert long.status_code == 400 and "no more than 200 characters" in text(long)
    created = admin_ui.post("/settings/api-keys/", {"name": "Zap", "scope": "read", "environment": "test"})
    assert created.status_code == 201 and created["Cache-Control"].startswith("max-age=0")
    raw = re.search(r'value="(rex_test_[A-Za-z0-9]+)"', text(created)).group(1)
    key = ApiKey.objects.get(org=org, name="Zap")
    assert (key.scope, key.environment, key.created_by) == ("read", "test", admin_member)
    listing = text(admin_ui.get("/settings/api-keys/"))
    assert raw not in listing and f"…{key.last4}" in listing
    assert Api(raw).get("/users").status_code == 200
    assert admin_ui.post(f"/settings/api-keys/{key.typeid}/revoke/").status_code == 302
    assert Api(raw).get("/users").status_code == 401
    assert admin_ui.get(f"/settings/api-keys/{key.typeid}/revoke/").status_code == 405


def test_lists_cost_the_same_queries_for_1_row_as_for_20(admin_ui, org, admin_member):
    def grow():
        for n in range(20):
            member = UserFactory(org=org)
            ApiKeyFactory(org=org, created_by=member if n % 2 else None)

    pages = ["/settings/team/", "/settings/api-keys/", "/settings/profile/"]
    one = {path: page_queries(admin_ui, path) for path in pages}
    grow()
    assert {path: page_queries(admin_ui, path) for path in pages} == one
    assert_same_queries(
        lambda: admin_ui.get("/settings/team/?is_active=true"), lambda: admin_ui.get("/settings/team/")
    )


def test_make_and_remove_administrators(admin_ui, ui, org, admin_member, member):
    assert ui.post(f"/settings/team/{member.typeid}/make-admin/").status_code == 403
    admin_ui.post(f"/settings/team/{member.typeid}/make-admin/")
    member.refresh_from_db()
    assert member.is_staff and ui.get("/settings/api-keys/").status_code == 200
    response = admin_ui.post(f"/settings/team/{admin_member.typeid}/remove-admin/", follow=True)
    assert "cannot remove your own administrator rights" in text(response)
    admin_ui.post(f"/settings/team/{member.typeid}/remove-admin/")
    member.refresh_from_db()
    admin_member.refresh_from_db()
    assert not member.is_staff and admin_member.is_staff
    assert ui.get("/settings/api-keys/").status_code == 403


def test_a_deactivated_members_sign_in_link_fails(admin_ui, org):
    added = admin_ui.post("/settings/team/", {"email": "gone@acme.example", "sign_in": "link"})
    link = re.search(r'value="http://testserver(/login/link/[^"]+)"', text(added)).group(1)
    member = User.objects.get(email="gone@acme.example")
    admin_ui.post(f"/settings/team/{member.typeid}/deactivate/")
    assert "does not work any more" in text(Client().get(link, follow=True))


def test_deactivating_in_the_admin_refuses_the_keys_too(shared_cache, org, admin_member):
    admin_member.is_superuser = True
    admin_member.save()
    member = UserFactory(org=org, email="old@acme.example")
    _, raw = apikey_create(org=org, actor=member, name="k")
    assert Api(raw).get("/users").status_code == 200
    client = Client()
    client.force_login(admin_member)
    change = client.get(f"/admin/accounts/user/{member.pk}/change/")
    form = change.context["adminform"].form
    data = {name: value for name, value in form.initial.items() if value is not None and name != "is_active"}
    data.update({"groups": [], "user_permissions": [], "last_login_0": "", "last_login_1": ""})
    data["date_joined_0"], data["date_joined_1"] = member.date_joined.strftime("%Y-%m-%d %H:%M:%S").split()
    data["org"] = org.pk
    response = client.post(f"/admin/accounts/user/{member.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    member.refresh_from_db()
    assert not member.is_active
    assert Api(raw).get("/users").status_code == 401
