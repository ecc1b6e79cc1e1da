"""The admin adapter (rexcrm.core.admin): every refusal of a service is a form error or a
message, never a 500, and nothing is written around the services."""

import datetime

import pytest
from django.contrib import admin
from django.forms import CheckboxInput, MultiWidget
from django.test import Client

from activities import services as activity_services
from activities.models import Activity
from contacts import services as contact_services
from contacts.models import Contact
from deals import services as deal_services
from deals.models import Deal, DealStageChange, Pipeline, Product
from rexcrm.core.admin import ServiceAdmin
from tests.factories import ContactFactory, UserFactory

T = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def client(org):
    client = Client()
    client.user = UserFactory(org=org, is_staff=True, is_superuser=True)
    client.force_login(client.user)
    return client


def form_data(response) -> dict:
    """What the admin page's form would submit unchanged: its fields and inline management forms."""
    form = response.context["adminform"].form
    data = {}
    for bound in form:
        widget, value = bound.field.widget, bound.value()
        if isinstance(widget, MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{bound.html_name}_{index}"] = "" if part is None else str(part)
        elif isinstance(widget, CheckboxInput):
            if value:
                data[bound.html_name] = "on"
        else:
            data[bound.html_name] = "" if value is None else value
    for inline in response.context["inline_admin_formsets"]:
        management = inline.formset.management_form
        for name in management.fields:
            data[f"{management.prefix}-{name}"] = management[name].value()
    return data


def submit(client, url, **changes):
    data = {**form_data(client.get(url)), **changes}
    return client.post(url, data)


def errors_of(response) -> str:
    assert response.status_code == 200, response.status_code  # the form again, not a 500
    form = response.context["adminform"].form
    assert form.errors, "the form should show the refusal"
    return str(form.errors)


def test_every_resource_admin_goes_through_the_adapter():
    """Each model with services has a ServiceAdmin whose form fields are its editable fields."""
    for model in (Contact, Deal, Pipeline, Product, Activity):
        model_admin = admin.site._registry[model]
        assert isinstance(model_admin, ServiceAdmin) and model_admin.writes.model is model


def test_add_and_change_pages_show_the_models_editable_fields(client, org):
    for model in (Contact, Deal, Pipeline, Product, Activity):
        response = client.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/add/")
        fields = list(response.context["adminform"].form.fields)
        many = {f.name for f in model._meta.many_to_many}
        assert fields == ["org", *(name for name in model.editable_fields if name not in many)], model


# -- every refusal path, as a form error ---------------------------------------------------------


def test_a_deal_added_on_a_won_stage(client, org):
    """The issue's first 500: the form's default status no longer contradicts the stage (only
    what the administrator changed is sent), and a status that does is a form error."""
    won = deal_services.pipeline_default(org=org).stages.get(name="Closed Won")
    response = submit(client, "/admin/deals/deal/add/", org=org.pk, name="Big", stage=won.pk, status="lost")
    assert "omit status or send won" in errors_of(response) and not Deal.objects.exists()
    response = submit(client, "/admin/deals/deal/add/", org=org.pk, name="Big", stage=won.pk)
    assert response.status_code == 302
    deal = Deal.objects.get()
    assert deal.status == "won" and deal.closed_at is not None


def test_deal_refusals(client, org):
    pipeline = deal_services.pipeline_default(org=org)
    empty = deal_services.pipeline_create(org=org, actor=None, name="Empty")
    other = deal_services.pipeline_create(org=org, actor=None, name="Other", stages=[{"name": "X"}])
    response = submit(client, "/admin/deals/deal/add/", org=org.pk, name="D", pipeline=empty.pk)
    assert "has no stages" in errors_of(response)
    response = submit(
        client,
        "/admin/deals/deal/add/",
        org=org.pk,
        name="D",
        pipeline=pipeline.pk,
        stage=other.stages.get().pk,
    )
    assert "belongs to another pipeline" in errors_of(response)
    response = submit(client, "/admin/deals/deal/add/", org=org.pk, name="D", value="-1", currency="XYZ")
    assert "Must be 0 or more" in errors_of(response) and "ISO 4217" in errors_of(response)
    deal = deal_services.deal_create(org=org, actor=None, name="D")
    url = f"/admin/deals/deal/{deal.pk}/change/"
    assert "Must be a stage of the deal" in errors_of(submit(client, url, stage=other.stages.get().pk))
    assert not Deal.objects.exclude(pk=deal.pk).exists() and not DealStageChange.objects.exists()


def test_pipeline_refusals(client, org):
    default = deal_services.pipeline_default(org=org)
    response = submit(client, f"/admin/deals/pipeline/{default.pk}/change/", is_default="")
    assert "one default pipeline" in errors_of(response)
    response = submit(client, "/admin/deals/pipeline/add/", org=org.pk, name="x" * 201)
    assert "no more than 200 characters" in errors_of(response)


def test_uniqueness_is_a_form_error(client, org):
    contact_services.contact_create(org=org, actor=None, email="ada@example.com")
    response = submit(client, "/admin/contacts/contact/add/", org=org.pk, email="ADA@example.com")
    assert "already exists" in errors_of(response)
    contact_services.company_create(org=org, actor=None, name="Acme", domain="acme.com")
    response = submit(
        client, "/admin/contacts/company/add/", org=org.pk, name="Acme 2", domain="www.acme.com"
    )
    assert "already exists" in errors_of(response)
    deal_services.product_create(org=org, actor=None, name="Growth", slug="growth")
    response = submit(client, "/admin/deals/product/add/", org=org.pk, name="Again", slug="GROWTH")
    assert "already exists" in errors_of(response)
    activity_services.activity_create(org=org, actor=None, type="email", external_id="m-1")
    second, _ = activity_services.activity_create(org=org, actor=None, type="email", external_id="m-2")
    response = submit(client, f"/admin/activities/activity/{second.pk}/change/", external_id="m-1")
    assert "already has this source and external_id" in errors_of(response)


def test_field_rules_are_form_errors_in_the_apis_words(client, org, other_org):
    response = submit(client, "/admin/activities/activity/add/", org=org.pk, type="call", subject="a\r\nb")
    assert "Must be one line" in errors_of(response)
    foreign = ContactFactory(org=other_org)
    response = submit(client, "/admin/activities/activity/add/", org=org.pk, type="call", contact=foreign.pk)
    assert f"No contact with id {foreign.typeid} in this organization." in errors_of(response)
    response = submit(client, "/admin/activities/task/add/", org=org.pk, title="   ")
    assert "This field is required." in errors_of(response)  # blank after trimming
    assert not Activity.objects.exists()


# -- deletes and actions: refusals are messages ------------------------------------------------


def test_refused_deletes_are_messages_and_change_nothing(client, org):
    default = deal_services.pipeline_default(org=org)
    response = client.post(f"/admin/deals/pipeline/{default.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200 and b"The default pipeline cannot be deleted" in response.content
    spare = deal_services.pipeline_create(org=org, actor=None, name="Spare")
    action = {"action": "delete_selected", "_selected_action": [spare.pk, default.pk], "post": "yes"}
    response = client.post("/admin/deals/pipeline/", action, follow=True)
    assert b"The default pipeline cannot be deleted" in response.content
    assert Pipeline.objects.filter(pk__in=[spare.pk, default.pk]).count() == 2  # all or nothing


# -- the services see the row as stored ----------------------------------------------------------


def test_moving_an_activity_to_another_contact_refreshes_both_timelines(client, org):
    """The issue's second bug: the old contact's last_activity_at went stale."""
    ada, bob = ContactFactory(org=org), ContactFactory(org=org)
    activity, _ = activity_services.activity_create(
        org=org, actor=None, type="call", contact=ada, occurred_at=T
    )
    response = submit(client, f"/admin/activities/activity/{activity.pk}/change/", contact=bob.pk)
    assert response.status_code == 302
    ada.refresh_from_db()
    bob.refresh_from_db()
    assert (ada.last_activity_at, bob.last_activity_at) == (None, T)


def test_the_actor_of_an_admin_change_is_the_administrator(client, org):
    deal = deal_services.deal_create(org=org, actor=None, name="D")
    stage = deal.pipeline.stages.get(position=1)
    assert submit(client, f"/admin/deals/deal/{deal.pk}/change/", stage=stage.pk).status_code == 302
    assert DealStageChange.objects.get().changed_by == client.user
