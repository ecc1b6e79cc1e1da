"""The admin over its whole registry, for both kinds of administrator: every page answers,
organization staff never see another organization's rows, and every changelist costs the same
number of queries for 1 row as for many (and never counts the table)."""

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import call_command
from django.test import Client

from rexcrm.accounts.models import Organization, User
from rexcrm.core.admin import OrgAdmin
from tests.factories import OrganizationFactory
from tests.helpers.queries import count_queries, queries
from tests.helpers.rows import OrgRows

# Not administered: internal state (rate-limit buckets, stored idempotent responses) and the
# deal-product link table (a deal's products are a list on the deal).
NOT_REGISTERED = {"core.ratelimitbucket", "core.idempotencykey", "deals.dealproduct"}
APPS = ("core", "accounts", "events", "contacts", "deals", "activities")
MODELS = [model for model in admin.site._registry if model._meta.app_label in APPS]


def url(model, view="changelist", *args):
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    return base + {"changelist": "", "add": "add/", "change": "{}/change/", "delete": "{}/delete/"}[
        view
    ].format(*args)


def label(model):
    return model._meta.label_lower


def make_rows(model, org, n):
    if model is Organization:
        return OrganizationFactory.create_batch(n)
    return OrgRows(org).create(model, n)


@pytest.fixture
def staff(db):
    """The owner ``createorg --owner-email`` makes: a staff member of the new organization."""
    call_command("createorg", "Owner Co", owner_email="owner@owner.example", owner_password="pw-owner-123")
    client = Client()
    assert client.login(email="owner@owner.example", password="pw-owner-123")
    client.user = User.objects.get(email="owner@owner.example")
    client.org = client.user.org
    return client


@pytest.fixture
def superuser(db):
    """A platform superuser, of no organization (as ``createsuperuser`` makes them)."""
    client = Client()
    client.user = User.objects.create_superuser(email="root@example.com", password="pw-root-123")
    client.force_login(client.user)
    client.org = OrganizationFactory(name="Any Co")
    return client


@pytest.fixture(params=["superuser", "staff"])
def administrator(request, db):
    return request.getfixturevalue(request.param)


def test_every_model_is_registered_on_the_shared_base():
    expected = {label(m) for app in APPS for m in apps.get_app_config(app).get_models()} - NOT_REGISTERED
    assert {label(m) for m in MODELS} == expected
    for model in MODELS:
        model_admin = admin.site._registry[model]
        assert isinstance(model_admin, OrgAdmin), model
        assert model_admin.search_fields, f"{model}: no search box"
        assert not model_admin.show_full_result_count, model


@pytest.mark.parametrize("model", MODELS, ids=label)
def test_every_page_answers(model, administrator):
    rows = make_rows(model, administrator.org, 2)
    row = administrator.org if model is Organization else rows[0]
    model_admin = admin.site._registry[model]
    response = administrator.get(url(model))
    assert response.status_code == 200
    assert row.pk in {obj.pk for obj in response.context["cl"].result_list}
    response = administrator.get(url(model), {"q": "a"})
    assert response.status_code == 200
    response = administrator.get(url(model), {"q": row.typeid})  # a pasted prefixed id
    assert [obj.pk for obj in response.context["cl"].result_list] == [row.pk], model
    response = administrator.get(url(model, "change", row.pk))
    assert response.status_code == 200 and row.typeid in response.content.decode()
    request = response.wsgi_request
    if model_admin.has_add_permission(request):
        assert administrator.get(url(model, "add")).status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=label)
def test_staff_never_see_another_organizations_rows(model, staff):
    other_org = OrganizationFactory(name="Globex")
    mine = make_rows(model, staff.org, 1)
    theirs = [other_org] if model is Organization else make_rows(model, other_org, 2)
    mine = [staff.org] if model is Organization else mine
    response = staff.get(url(model))
    shown = {obj.pk for obj in response.context["cl"].result_list}
    assert {obj.pk for obj in mine} <= shown and not shown & {obj.pk for obj in theirs}
    for obj in theirs:
        response = staff.get(url(model), {"q": obj.typeid})
        assert list(response.context["cl"].result_list) == []
        response = staff.get(url(model, "change", obj.pk))
        assert response.status_code == 302 and response["Location"] == "/admin/"  # "doesn't exist"
        assert staff.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code in (302, 403)
        assert model.objects.filter(pk=obj.pk).exists()


@pytest.mark.parametrize("model", MODELS, ids=label)
def test_autocomplete_offers_the_staffs_organizations_rows_only(model, staff):
    """Every foreign key is an autocomplete; its choices, and the form field that checks them,
    are the staff member's organization's rows."""
    model_admin = admin.site._registry[model]
    other_org = OrganizationFactory(name="Globex")
    for name in model_admin.get_autocomplete_fields(None):
        related = model._meta.get_field(name).related_model
        make_rows(related, staff.org, 1)
        make_rows(related, other_org, 1)
        response = staff.get(
            "/admin/autocomplete/",
            {"app_label": model._meta.app_label, "model_name": model._meta.model_name, "field_name": name},
        )
        if response.status_code == 403:  # a link the staff form never shows (e.g. a key's org)
            continue
        assert response.status_code == 200, (model, name)
        offered = {item["id"] for item in response.json()["results"]}
        org_field = "pk" if related is Organization else "org"
        allowed = {
            str(pk) for pk in related.objects.filter(**{org_field: staff.org.pk}).values_list("pk", flat=True)
        }
        assert offered and offered <= allowed, (model, name)


@pytest.mark.parametrize("model", MODELS, ids=label)
def test_changelist_queries_are_constant_and_never_count(model, administrator):
    make_rows(model, administrator.org, 1)
    with queries() as one:
        assert administrator.get(url(model)).status_code == 200
    make_rows(model, administrator.org, 30)
    with queries() as many:
        assert administrator.get(url(model)).status_code == 200
    assert len(one) == len(many), (label(model), one, many)
    with queries() as sql:
        administrator.get(url(model))
    assert not [s for s in sql if "COUNT(" in s.upper()], sql


def test_a_long_changelist_pages_without_counting(superuser):
    from activities.models import Activity

    make_rows(Activity, superuser.org, 120)
    page = superuser.get(url(Activity)).content.decode()
    assert "More than 50 activities" in page and "?p=2" in page
    last = superuser.get(url(Activity), {"p": 3})
    assert len(last.context["cl"].result_list) == 20 and "120 activities" in last.content.decode()
    assert superuser.get(url(Activity), {"p": 9}).status_code == 302  # past the end: Django's ?e=1


def test_records_show_their_related_rows_newest_first_and_bounded(superuser):
    from activities.models import Activity
    from contacts.models import Contact

    rows = OrgRows(superuser.org)
    contact = rows.linked(Contact)[0]
    rows.create(Activity, 25, contact=contact)
    first_url = url(Contact, "change", contact.pk)
    response = superuser.get(first_url)
    inline = next(i for i in response.context["inline_admin_formsets"] if i.opts.model is Activity)
    shown = [form.form.instance for form in inline]
    assert len(shown) == 20
    assert [a.occurred_at for a in shown] == sorted((a.occurred_at for a in shown), reverse=True)
    before = count_queries(lambda: superuser.get(first_url))
    rows.create(Activity, 10, contact=contact)
    assert count_queries(lambda: superuser.get(first_url)) == before


def test_the_date_drill_down_lists_calendar_periods_without_scanning(superuser):
    import datetime

    from activities.models import Activity

    rows = make_rows(Activity, superuser.org, 2)
    Activity.objects.filter(pk=rows[0].pk).update(
        occurred_at=datetime.datetime(2024, 5, 3, tzinfo=datetime.UTC)
    )
    Activity.objects.filter(pk=rows[1].pk).update(
        occurred_at=datetime.datetime(2026, 2, 9, tzinfo=datetime.UTC)
    )
    with queries() as sql:
        page = superuser.get(url(Activity)).content.decode()
    assert all(f"occurred_at__year={year}" in page for year in (2024, 2025, 2026))
    assert not [s for s in sql if "DISTINCT" in s.upper()]
    page = superuser.get(url(Activity), {"occurred_at__year": 2026}).content.decode()
    assert "occurred_at__month=2&" in page and "occurred_at__month=3&" not in page  # up to the last
    page = superuser.get(url(Activity), {"occurred_at__year": 2024}).content.decode()
    assert "occurred_at__month=5&" in page and "occurred_at__month=4&" not in page  # from the first
    page = superuser.get(url(Activity), {"occurred_at__year": 2026, "occurred_at__month": 2}).content.decode()
    assert "occurred_at__day=9" in page and "occurred_at__day=10" not in page
