"""The admin's actions, secrets shown once, refusals as form errors, the two kinds of
administrator and what each may touch."""

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.test import Client

from activities import services as activity_services
from activities.models import Activity, Task
from contacts import services as contact_services
from contacts.models import Contact
from deals import services as deal_services
from deals.models import Deal, DealStageChange, Stage
from rexcrm.accounts.models import ApiKey, User, hash_api_key
from rexcrm.accounts.services import apikey_create
from rexcrm.events import services as event_services
from rexcrm.events.models import Webhook
from rexcrm.workspace.services import organization_provision
from tests.factories import (
    ContactFactory,
    DeliveryFactory,
    EventFactory,
    TaskFactory,
    UserFactory,
    WebhookFactory,
)


@pytest.fixture
def owner(db):
    """An organization's owner (``createorg --owner-email``): organization staff."""
    org = organization_provision(
        name="Acme Sales", owner_email="owner@acme.example", owner_password="pw-owner-1"
    )
    client = Client()
    client.user = User.objects.get(email="owner@acme.example")
    client.org = org
    client.force_login(client.user)
    return client


@pytest.fixture
def foreign(db):
    return organization_provision(name="Globex")


def act(client, path, action, objs, follow=False, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [obj.pk for obj in objs], **extra}
    return client.post(path, data, follow=follow)


def form_errors(response) -> str:
    assert response.status_code == 200, response.status_code
    return str(response.context["adminform"].form.errors)


# -- actions ---------------------------------------------------------------------------------


def test_export_selected_as_csv(owner, foreign):
    mine = [ContactFactory(org=owner.org, email=f"c{i}@acme.example") for i in range(3)]
    theirs = ContactFactory(org=foreign, email="spy@globex.example")
    response = act(owner, "/admin/contacts/contact/", "export_csv", [*mine, theirs])
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["id", "email"] and "ICP score" in rows[0] and "Organization" not in rows[0]
    assert sorted(row[0] for row in rows[1:]) == sorted(c.typeid for c in mine)  # never another org's


def test_csv_cells_cannot_run_as_formulas(owner):
    ContactFactory(org=owner.org, first_name="=HYPERLINK(1)")
    response = act(owner, "/admin/contacts/contact/", "export_csv", Contact.objects.all())
    assert "'=HYPERLINK(1)" in b"".join(response.streaming_content).decode()


def test_merge_contacts_after_picking_the_primary(owner, foreign):
    ada = ContactFactory(org=owner.org, email="ada@acme.example", phone="")
    dupe = ContactFactory(org=owner.org, email="ada.l@acme.example", phone="+1 555 0100")
    activity, _ = activity_services.activity_create(org=owner.org, actor=None, type="call", contact=dupe)
    theirs = ContactFactory(org=foreign)
    page = act(owner, "/admin/contacts/contact/", "merge", [ada, dupe, theirs])
    assert page.status_code == 200 and "Merge contacts" in page.content.decode()
    assert {c.pk for c in page.context["form"].fields["primary"].queryset} == {ada.pk, dupe.pk}
    done = act(owner, "/admin/contacts/contact/", "merge", [ada, dupe], apply="yes", primary=ada.pk)
    assert done.status_code == 302
    ada.refresh_from_db()
    activity.refresh_from_db()
    assert not Contact.objects.filter(pk=dupe.pk).exists() and Contact.objects.filter(pk=theirs.pk).exists()
    assert ada.phone == "+1 555 0100" and activity.contact_id == ada.pk


def test_merge_needs_two_contacts_of_the_administrators_organization(owner, foreign):
    ada = ContactFactory(org=owner.org)
    response = act(
        owner, "/admin/contacts/contact/", "merge", [ada, ContactFactory(org=foreign)], follow=True
    )
    response = owner.post(
        "/admin/contacts/contact/", {"action": "merge", ACTION_CHECKBOX_NAME: [ada.pk]}, follow=True
    )
    assert "Select from 2 to 101 contacts" in response.content.decode()
    assert Contact.objects.count() == 2


def test_merge_with_a_primary_not_selected_shows_the_page_again(owner):
    a, b, c = (ContactFactory(org=owner.org) for _ in range(3))
    response = act(owner, "/admin/contacts/contact/", "merge", [a, b], apply="yes", primary=c.pk)
    assert response.status_code == 200 and response.context["form"].errors and Contact.objects.count() == 3


def test_mark_tasks_completed(owner):
    contact = ContactFactory(org=owner.org)
    tasks = [
        activity_services.task_create(
            org=owner.org, actor=None, title=f"T{i}", contact=contact, due_at=contact.created_at
        )
        for i in range(2)
    ]
    response = act(owner, "/admin/activities/task/", "mark_completed", tasks, follow=True)
    assert "Marked 2 task(s) completed." in response.content.decode()
    contact.refresh_from_db()
    assert all(t.status == "completed" and t.completed_at for t in Task.objects.all())
    assert contact.next_task_due_at is None  # the service kept it


def test_move_deals_to_a_stage(owner, foreign):
    deals = [deal_services.deal_create(org=owner.org, actor=None, name=f"D{i}") for i in range(2)]
    won = Stage.objects.for_org(owner.org).get(name="Closed Won")
    page = act(owner, "/admin/deals/deal/", "move_to_stage", deals)
    choices = set(page.context["form"].fields["stage"].queryset)
    assert won in choices and not any(stage.org_id == foreign.pk for stage in choices)
    theirs = Stage.objects.for_org(foreign).first()
    again = act(owner, "/admin/deals/deal/", "move_to_stage", deals, apply="yes", stage=theirs.pk)
    assert again.status_code == 200 and again.context["form"].errors  # not a choice: the page again
    done = act(owner, "/admin/deals/deal/", "move_to_stage", deals, apply="yes", stage=won.pk)
    assert done.status_code == 302
    assert {(d.stage_id, d.status) for d in Deal.objects.all()} == {(won.pk, "won")}
    assert [c.changed_by for c in DealStageChange.objects.all()] == [owner.user, owner.user]


def test_revoke_api_keys(owner, foreign):
    mine, _ = apikey_create(org=owner.org, actor=None, name="Zapier")
    theirs, _ = apikey_create(org=foreign, actor=None, name="Theirs")
    act(owner, "/admin/accounts/apikey/", "revoke", [mine, theirs])
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None


def test_replay_a_webhooks_failed_deliveries(owner):
    webhook = event_services.webhook_create(
        org=owner.org, actor=None, name="Sync", url="https://hooks.example.com/x"
    )
    event = EventFactory(org=owner.org)
    DeliveryFactory(org=owner.org, webhook=webhook, event=event, status="failed", status_code=500)
    Webhook.objects.filter(pk=webhook.pk).update(
        cursor_txid=event.txid, cursor_id=event.pk
    )  # delivered past it
    quiet = WebhookFactory(org=owner.org)
    response = act(owner, "/admin/events/webhook/", "replay_failed", [webhook, quiet], follow=True)
    assert "1 webhook(s) will deliver again" in response.content.decode()
    webhook.refresh_from_db()
    assert (webhook.cursor_txid, webhook.cursor_id) == (event.txid, event.pk - 1)


# -- secrets shown once ----------------------------------------------------------------------


def test_an_api_key_added_here_is_shown_once_and_stored_hashed(owner):
    response = owner.post(
        "/admin/accounts/apikey/add/", {"name": "Sequencer", "scope": "read", "environment": "live"}
    )
    assert response.status_code == 200
    raw = response.context["secret"]
    key = ApiKey.objects.get()
    assert raw.startswith("rex_live_") and key.key_hash == hash_api_key(raw) and key.org == owner.org
    assert key.created_by == owner.user
    assert raw not in owner.get(f"/admin/accounts/apikey/{key.pk}/change/").content.decode()


def test_a_webhook_added_here_shows_its_generated_secret_once(owner):
    data = {"name": "Sync", "url": "https://hooks.example.com/rex", "event_types": '["deal.*"]', "status": "active",
            "secret": "", "metadata": "{}"}  # fmt: skip
    response = owner.post("/admin/events/webhook/add/", data)
    webhook = Webhook.objects.get()
    assert response.status_code == 200 and response.context["secret"] == webhook.secret
    assert webhook.secret.startswith("whsec_") and webhook.event_types == ["deal.*"]
    response = owner.post(
        "/admin/events/webhook/add/", {**data, "url": "ftp://nope", "event_types": '["nope"]'}
    )
    errors = form_errors(response)
    assert "url" in response.context["adminform"].form.errors and "event_types" in errors


# -- refusals are form errors -----------------------------------------------------------------


def test_a_stage_type_change_refused_while_deals_are_on_it(owner):
    deal = deal_services.deal_create(org=owner.org, actor=None, name="D")
    data = {"name": deal.stage.name, "type": "won", "color": ""}
    response = owner.post(f"/admin/deals/stage/{deal.stage_id}/change/", data)
    assert "move them before changing its type" in form_errors(response)
    response = owner.post(f"/admin/deals/stage/{deal.stage_id}/delete/", {"post": "yes"})
    assert response.status_code == 200 and "Cannot delete stage" in response.content.decode()  # deals on it
    assert Stage.objects.filter(pk=deal.stage_id).exists()


def test_staff_add_in_their_own_organization_and_cannot_link_another(owner, foreign):
    page = owner.get("/admin/contacts/contact/add/")
    assert "org" not in page.context["adminform"].form.fields
    response = owner.post(
        "/admin/contacts/contact/add/", {"email": "new@acme.example", "stage": "lead", "metadata": "{}"}
    )
    assert response.status_code == 302 and Contact.objects.get().org == owner.org
    theirs = ContactFactory(org=foreign)
    response = owner.post("/admin/activities/activity/add/", {"type": "call", "status": "completed", "contact": theirs.pk,
                          "occurred_at_0": "2026-03-16", "occurred_at_1": "14:00", "metadata": "{}"})  # fmt: skip
    assert "contact" in form_errors(response) and not Activity.objects.exists()


# -- the two kinds of administrator ------------------------------------------------------------


def test_createsuperuser_without_prompts(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "root@example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "pw-root-123456")
    call_command("createsuperuser", "--noinput", stdout=io.StringIO())
    user = User.objects.get(email="root@example.com")
    assert user.is_superuser and user.is_staff and user.org is None and user.check_password("pw-root-123456")


def test_createsuperuser_interactively(db, monkeypatch):
    from django.contrib.auth.management.commands import createsuperuser

    answers = iter(["admin@example.com"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    monkeypatch.setattr(createsuperuser.getpass, "getpass", lambda prompt="": "pw-Interactive-9")
    monkeypatch.setattr(
        createsuperuser.Command, "_get_input_message", createsuperuser.Command._get_input_message
    )
    call_command("createsuperuser", interactive=True, stdout=io.StringIO(), stdin=_Tty())
    assert User.objects.get(email="admin@example.com").is_superuser


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_a_superuser_sees_every_organization_and_picks_one(db, owner, foreign):
    root = Client()
    root.force_login(User.objects.create_superuser(email="root@example.com", password="pw-root-123"))
    ContactFactory(org=owner.org)
    ContactFactory(org=foreign)
    assert len(root.get("/admin/contacts/contact/").context["cl"].result_list) == 2
    assert "org" in root.get("/admin/contacts/contact/add/").context["adminform"].form.fields
    response = root.post("/admin/contacts/contact/add/", {"org": foreign.pk, "email": "x@globex.example",
                         "stage": "lead", "metadata": "{}"})  # fmt: skip
    assert response.status_code == 302 and Contact.objects.get(email="x@globex.example").org == foreign


def test_staff_manage_members_but_never_superusers_or_permissions(owner, foreign):
    root = User.objects.create_superuser(email="root@example.com", password="pw-root-123", org=owner.org)
    colleague = UserFactory(org=owner.org)
    listed = {u.pk for u in owner.get("/admin/accounts/user/").context["cl"].result_list}
    assert colleague.pk in listed and root.pk not in listed and owner.user.pk in listed
    page = owner.get(f"/admin/accounts/user/{colleague.pk}/change/")
    fields = set(page.context["adminform"].form.fields)
    assert not fields & {"is_superuser", "groups", "user_permissions", "org"}
    response = owner.post(f"/admin/accounts/user/{colleague.pk}/change/", {
        "email": colleague.email, "first_name": "Bo", "last_name": "", "time_zone": "UTC", "is_active": "on",
        "is_superuser": "on", "org": foreign.pk})  # fmt: skip
    assert response.status_code == 302
    colleague.refresh_from_db()
    assert (colleague.first_name, colleague.is_superuser, colleague.org) == ("Bo", False, owner.org)
    response = owner.post("/admin/accounts/user/add/", {"email": "new@acme.example", "password1": "pw-New-12345",
                          "password2": "pw-New-12345", "time_zone": "UTC", "is_staff": "on"})  # fmt: skip
    assert response.status_code == 302
    new = User.objects.get(email="new@acme.example")
    assert new.org == owner.org and new.is_staff and not new.is_superuser


def test_a_member_who_is_not_staff_cannot_enter(owner):
    member = Client()
    member.force_login(UserFactory(org=owner.org, is_staff=False))
    assert member.get("/admin/contacts/contact/").status_code == 302  # to the admin's login


# -- how it reads ------------------------------------------------------------------------------


def test_branding_labels_money_and_order(owner):
    assert "Rex CRM" in owner.get("/admin/").content.decode()
    contact = ContactFactory(org=owner.org, metadata={"plan": "pro", "seats": 5})
    page = owner.get(f"/admin/contacts/contact/{contact.pk}/change/").content.decode()
    assert "LinkedIn URL" in page and "ICP score" in page and "Linkedin url" not in page
    assert "&quot;plan&quot;: &quot;pro&quot;,\n" in page  # metadata indented
    deal_services.deal_create(org=owner.org, actor=None, name="Big", value=480000, currency="EUR")
    assert "€4,800.00" in owner.get("/admin/deals/deal/").content.decode()
    old, _ = activity_services.activity_create(
        org=owner.org, actor=None, type="call", occurred_at=contact.created_at
    )
    new, _ = activity_services.activity_create(org=owner.org, actor=None, type="note")
    assert [a.pk for a in owner.get("/admin/activities/activity/").context["cl"].result_list] == [
        new.pk,
        old.pk,
    ]
    assert (
        owner.get("/admin/activities/activity/add/").context["adminform"].form.initial["source"] == "manual"
    )
    TaskFactory(org=owner.org)
    contact_services.contact_update(org=owner.org, actor=None, contact=contact, icp_score=70)
    assert ">70<" in owner.get("/admin/contacts/contact/").content.decode()


def test_money_is_typed_in_the_currencys_units(owner):
    base = {"name": "Big", "currency": "EUR", "status": "open", "metadata": "{}"}
    response = owner.post("/admin/deals/deal/add/", {**base, "value": "4800.00"})
    assert response.status_code == 302
    deal = Deal.objects.get()
    assert (deal.value, deal.currency) == (480000, "EUR")
    page = owner.get(f"/admin/deals/deal/{deal.pk}/change/")
    assert page.context["adminform"].form.initial["value"] == 4800
    response = owner.post("/admin/deals/deal/add/", {**base, "currency": "JPY", "value": "480.5"})
    assert "At most 0 decimal places in JPY." in form_errors(response)
    data = {
        **base,
        "pipeline": deal.pipeline_id,
        "stage": deal.stage_id,
        "value": "4800.00",
        "currency": "JPY",
    }
    assert owner.post(f"/admin/deals/deal/{deal.pk}/change/", data).status_code == 302
    deal.refresh_from_db()
    assert (deal.value, deal.currency) == (4800, "JPY")  # the amount read again in yen
