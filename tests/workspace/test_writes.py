"""The web UI's writes: create and edit forms, inline edit, Log activity, stage moves, completing
a task, bulk actions and link suggestions; all through the services, all scoped to the
organization."""

import json
import re

import pytest
from django.test import Client

from activities.models import Activity, Task
from contacts.models import Contact
from deals.models import Deal, DealStageChange
from deals.services import pipeline_default
from rexcrm.events.models import Event
from tests.conftest import page_queries
from tests.factories import CompanyFactory, ContactFactory, TaskFactory, UserFactory


@pytest.fixture
def pipeline(org):
    return pipeline_default(org=org)


@pytest.fixture
def deal(org, pipeline, member):
    contact = ContactFactory(org=org, first_name="Ada", last_name="Lovelace")
    return Deal.objects.create(
        org=org, pipeline=pipeline, stage=pipeline.stages.order_by("position").first(), name="Big one",
        contact=contact, owner=member,
    )  # fmt: skip


def html(response) -> str:
    return response.content.decode()


def field_error(page: str, name: str) -> str:
    """The error shown in the form field block of the field ``name``, or ''."""
    for block in page.split('<div class="form-field')[1:]:
        if f'name="{name}"' in block:
            match = re.search(r'<div class="invalid-feedback d-block">([^<]*)</div>', block)
            return match.group(1) if match else ""
    return ""


WRITE_URLS = [
    "/contacts/new/",
    "/companies/new/",
    "/deals/new/",
    "/tasks/new/",
    "/activities/new/",
    "/contacts/cont_01H0000000000000000000000A/edit/",
    "/deals/deal_01H0000000000000000000000A/stage/",
    "/tasks/task_01H0000000000000000000000A/complete/",
    "/suggest/contacts/?q=a",
]


@pytest.mark.parametrize("path", WRITE_URLS)
def test_every_write_page_needs_sign_in(db, path):
    for method in ("get", "post"):
        response = getattr(Client(), method)(path)
        assert response.status_code == 302 and response["Location"].startswith("/login/?next="), method


@pytest.mark.parametrize(
    ("path", "labels"),
    [
        ("/contacts/new/", ["First name", "Last name", "Email", "Company", "Owner", "Stage", "ICP score"]),
        ("/companies/new/", ["Name", "Domain", "Industry", "Size", "Owner"]),
        ("/deals/new/", ["Name", "Value", "Currency", "Stage", "Expected close", "Contact", "Products"]),
        ("/tasks/new/", ["Title", "Due", "Priority", "Status", "Owner", "Contact", "Deal"]),
        ("/activities/new/", ["Type", "Subject", "Body", "Occurred at", "Duration (minutes)", "Contact"]),
    ],
)
def test_create_forms_have_a_label_for_every_field(ui, pipeline, path, labels):
    page = html(ui.get(path))
    for label in labels:
        match = re.search(rf'<label class="form-label[^"]*" for="(id_\w+)">{re.escape(label)}</label>', page)
        assert match, label
        assert f'id="{match.group(1)}"' in page
    assert "csrfmiddlewaretoken" in page


def test_create_a_contact_through_the_service(ui, org, member):
    company = CompanyFactory(org=org, name="Acme")
    response = ui.post(
        "/contacts/new/",
        {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "company": f"Acme ({company.typeid})",
            "owner": member.pk,
            "stage": "prospect",
        },
    )
    contact = Contact.objects.for_org(org).get(email="ada@example.com")
    assert response.status_code == 302 and response["Location"] == f"/contacts/{contact.typeid}/"
    assert (contact.company, contact.owner, contact.stage) == (company, member, "prospect")
    assert Event.objects.filter(org=org, type="contact.created", actor_id=member.typeid).exists()
    page = html(ui.get(response["Location"]))
    assert "Contact “Ada Lovelace” created." in page


def test_bad_input_is_shown_next_to_the_fields_with_what_was_typed(ui, org, other_org):
    ContactFactory(org=org, email="taken@example.com")
    foreign = CompanyFactory(org=other_org)
    response = ui.post(
        "/contacts/new/",
        {"first_name": "<b>Ada</b>", "email": "not-an-email", "company": foreign.typeid, "icp_score": "x"},
    )
    page = html(response)
    assert response.status_code == 200
    assert "in this organization" in field_error(page, "company")
    assert field_error(page, "icp_score") == "Enter a whole number."
    assert 'value="not-an-email"' in page and 'value="&lt;b&gt;Ada&lt;/b&gt;"' in page
    assert 'value="x"' in page and "is-invalid" in page
    page = html(
        ui.post("/contacts/new/", {"email": "not-an-email", "icp_score": "140"})
    )  # the service's rules
    assert field_error(page, "email") == "Enter a valid email address.", re.findall(
        r'invalid-feedback d-block">([^<]*)', page
    )
    assert "100" in field_error(page, "icp_score") and 'value="140"' in page
    page = html(ui.post("/contacts/new/", {"email": "TAKEN@example.com"}))
    assert field_error(page, "email")
    assert Contact.objects.for_org(org).count() == 1


def test_edit_a_contact_changes_only_what_changed(ui, org, member):
    contact = ContactFactory(org=org, first_name="Ada", last_name="L", email="ada@example.com", title="CTO")
    page = html(ui.get(f"/contacts/{contact.typeid}/edit/"))
    assert 'value="ada@example.com"' in page and 'value="CTO"' in page
    data = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "title": "CTO"}
    data |= {"stage": contact.stage, "owner": ""}
    response = ui.post(f"/contacts/{contact.typeid}/edit/", data)
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.last_name == "Lovelace"
    event = Event.objects.filter(org=org, type="contact.updated").get()
    data = json.loads(event.data) if isinstance(event.data, str) else event.data
    assert "last_name" in data["previous"] and "title" not in data["previous"]


@pytest.mark.parametrize("kind", ["contacts", "companies", "deals", "tasks", "activities"])
def test_edit_forms_of_other_orgs_missing_and_malformed_ids_are_404(ui, other_org, kind):
    from tests.factories import ActivityFactory

    other_pipeline = pipeline_default(org=other_org)
    foreign = {
        "contacts": lambda: ContactFactory(org=other_org),
        "companies": lambda: CompanyFactory(org=other_org),
        "deals": lambda: Deal.objects.create(
            org=other_org, pipeline=other_pipeline, stage=other_pipeline.stages.first(), name="x"
        ),
        "tasks": lambda: TaskFactory(org=other_org),
        "activities": lambda: ActivityFactory(org=other_org),
    }[kind]()
    prefix = foreign.typeid.split("_")[0]
    for bad in (foreign.typeid, f"{prefix}_01H0000000000000000000000A", "nonsense", f"{prefix}_!!"):
        assert ui.get(f"/{kind}/{bad}/edit/").status_code == 404, bad
        assert ui.post(f"/{kind}/{bad}/edit/", {"name": "hijack", "title": "hijack"}).status_code == 404
    assert ui.post(f"/tasks/{foreign.typeid}/complete/").status_code == 404 or kind != "tasks"
    assert ui.post(f"/deals/{foreign.typeid}/stage/").status_code == 404 or kind != "deals"


def test_a_new_deal_from_a_contact_page_and_its_value_in_major_units(ui, org, pipeline, member):
    contact = ContactFactory(org=org, first_name="Ada", last_name="Lovelace")
    page = html(ui.get(f"/deals/new/?contact_id={contact.typeid}"))
    assert f'value="Ada Lovelace ({contact.typeid})"' in page
    stage = pipeline.stages.order_by("position")[2]
    response = ui.post(
        "/deals/new/",
        {"name": "Plan", "value": "1234.56", "currency": "usd", "stage": stage.pk, "contact": contact.typeid},
    )
    assert response.status_code == 302, re.findall(
        r'invalid-feedback d-block">([^<]*)|alert-danger[^>]*>(.*?)</div>', html(response)
    )
    deal = Deal.objects.for_org(org).get(name="Plan")
    assert (deal.value, deal.currency, deal.stage, deal.contact) == (123456, "USD", stage, contact)
    assert "$1,234.56" in html(ui.get(response["Location"]))
    page = html(ui.post("/deals/new/", {"name": "Yen", "value": "10.5", "currency": "JPY"}))
    assert "At most 0 decimal places" in field_error(page, "value")
    page = html(ui.post("/deals/new/", {"name": "", "value": "abc", "currency": "ZZZ"}))
    assert field_error(page, "name") and field_error(page, "value")


def test_editing_a_deals_stage_moves_it_through_the_service(ui, org, deal, pipeline, member):
    target = pipeline.stages.order_by("position")[1]
    page = html(ui.get(f"/deals/{deal.typeid}/edit/"))
    data = dict(re.findall(r'<input type="text" name="(\w+)" value="([^"]*)"', page))
    data |= {"value": "0", "currency": "USD", "stage": target.pk, "status": "open", "owner": member.pk}
    response = ui.post(f"/deals/{deal.typeid}/edit/", data)
    assert response.status_code == 302, html(response)
    change = DealStageChange.objects.get(deal=deal)
    assert (change.to_stage, change.changed_by) == (target, member)


def test_move_a_deal_from_its_page_or_the_board(ui, org, other_org, deal, pipeline, member):
    stages = list(pipeline.stages.order_by("position"))
    response = ui.post(f"/deals/{deal.typeid}/stage/", {"stage": stages[2].typeid, "next": "/pipelines/"})
    assert response.status_code == 302 and response["Location"] == "/pipelines/"
    deal.refresh_from_db()
    assert deal.stage == stages[2]
    assert DealStageChange.objects.get(deal=deal).changed_by == member
    assert Event.objects.filter(org=org, type="deal.stage_changed").count() == 1
    foreign_stage = pipeline_default(org=other_org).stages.first()
    for bad in (foreign_stage.typeid, "nonsense", ""):
        response = ui.post(f"/deals/{deal.typeid}/stage/", {"stage": bad})
        assert response.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == stages[2]
    assert "Not moved" in html(ui.get(f"/deals/{deal.typeid}/"))
    response = ui.post(
        f"/deals/{deal.typeid}/stage/", {"stage": stages[3].typeid, "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/deals/{deal.typeid}/"


def test_deal_page_and_board_have_the_move_controls(ui, deal, pipeline):
    page = html(ui.get(f"/deals/{deal.typeid}/"))
    for stage in pipeline.stages.exclude(pk=deal.stage_id):
        assert f'name="stage" value="{stage.typeid}" title="Move to {stage.name}"' in page
    board = html(ui.get("/pipelines/"))
    assert f'<label class="visually-hidden" for="move-{deal.typeid}">Move Big one to stage</label>' in board
    assert 'hx-target="#board" hx-select="#board"' in board and "Sortable.min.js" in board


def test_log_an_activity_on_a_contact_page(ui, org, member):
    contact = ContactFactory(org=org, first_name="Ada")
    page = html(ui.get(f"/contacts/{contact.typeid}/"))
    log_form = page[page.index('id="log-activity"') : page.index('id="timeline"')]
    for label in ("Type", "Subject", "Body", "Occurred at", "Duration (minutes)"):
        assert f">{label}</label>" in log_form
    assert 'hx-select="#log-activity"' in log_form and 'hx-select-oob="#timeline,#messages"' in log_form
    data = {
        "form_id": "log-activity",
        "next": f"/contacts/{contact.typeid}/",
        "type": "call",
        "subject": "Discovery <call>",
        "body": "<script>alert(1)</script>",
        "occurred_at": "2026-03-16T10:30",
        "duration": "25",
        "contact": re.search(r'name="contact" value="([^"]+)"', log_form).group(1),
    }
    response = ui.post("/activities/new/", data, headers={"HX-Request": "true"})
    assert response.status_code == 302 and response["Location"] == f"/contacts/{contact.typeid}/"
    activity = Activity.objects.for_org(org).get()
    assert (activity.contact, activity.owner, activity.duration, activity.type) == (
        contact,
        member,
        1500,
        "call",
    )
    page = html(ui.get(response["Location"]))
    timeline = page[page.index('id="timeline"') :]
    assert "Discovery &lt;call&gt;" in timeline and "&lt;script&gt;alert(1)&lt;/script&gt;" in timeline
    assert "<script>alert" not in page


def test_log_activity_errors_stay_in_the_log_form(ui, org, other_org):
    contact = ContactFactory(org=org)
    foreign = ContactFactory(org=other_org)
    data = {"form_id": "log-activity", "type": "telegram", "subject": "Kept", "contact": contact.typeid}
    page = html(ui.post("/activities/new/", data, headers={"HX-Request": "true"}))
    assert '<div id="log-activity" class="card-body">' in page and field_error(page, "type")
    assert 'value="Kept"' in page
    page = html(ui.post("/activities/new/", {**data, "type": "call", "contact": foreign.typeid}))
    assert "alert-danger" in page and "in this organization" in page
    assert not Activity.objects.exists()


def test_inline_edit_of_the_details_card(ui, org):
    contact = ContactFactory(org=org, first_name="Ada", title="CTO")
    page = html(ui.get(f"/contacts/{contact.typeid}/"))
    edit = re.search(r'hx-get="([^"]+)" hx-target="#details-card"', page).group(1).replace("&amp;", "&")
    form = html(ui.get(edit, headers={"HX-Request": "true"}))
    assert '<div id="details-card" class="card-body">' in form
    assert 'hx-select="#details-card"' in form and 'hx-select-oob="#record-head,#messages"' in form
    data = dict(re.findall(r'<input type="(?:text|email|url|number)" name="(\w+)" value="([^"]*)"', form))
    data |= {"form_id": "details-card", "next": f"/contacts/{contact.typeid}/", "stage": contact.stage}
    response = ui.post(edit.split("?")[0], {**data, "title": "CEO"}, headers={"HX-Request": "true"})
    assert response.status_code == 302 and response["Location"] == f"/contacts/{contact.typeid}/"
    contact.refresh_from_db()
    assert contact.title == "CEO"


def test_complete_a_task_with_one_click(ui, org, member):
    task = TaskFactory(org=org, owner=member, title="Call <Ada>", due_at=None)
    response = ui.post(f"/tasks/{task.typeid}/complete/", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "Done" in html(response) and "Call &lt;Ada&gt;" in html(response)
    task.refresh_from_db()
    assert task.status == "completed" and task.completed_at
    other = TaskFactory(org=org, owner=member)
    response = ui.post(f"/tasks/{other.typeid}/complete/", {"next": "/tasks/"})
    assert response["Location"] == "/tasks/"
    assert ui.get(f"/tasks/{other.typeid}/complete/").status_code == 405


def test_today_has_a_complete_button_per_task(ui, org, member):
    from rexcrm.core import clock

    task = TaskFactory(org=org, owner=member, title="Follow up", due_at=clock.now())
    page = html(ui.get("/"))
    assert f'hx-post="/tasks/{task.typeid}/complete/"' in page and 'aria-label="Complete: Follow up"' in page


def test_create_and_edit_a_task(ui, org, member, deal):
    response = ui.post(
        "/tasks/new/",
        {"title": "Send quote", "due_at": "2026-04-01T09:00", "priority": "high", "status": "pending",
         "owner": member.pk, "deal": deal.typeid},
    )  # fmt: skip
    assert response.status_code == 302
    task = Task.objects.for_org(org).get()
    assert (task.deal, task.priority, task.due_at.hour) == (deal, "high", 9)
    page = html(ui.post(f"/tasks/{task.typeid}/edit/", {"title": "", "priority": "whenever"}))
    assert field_error(page, "title") and field_error(page, "priority")


def test_bulk_actions_go_through_the_services_and_stay_in_the_org(ui, org, other_org, member):
    mine = [ContactFactory(org=org) for _ in range(3)]
    theirs = ContactFactory(org=other_org)
    colleague = UserFactory(org=org, first_name="Col")
    ids = [c.typeid for c in mine[:2]] + [theirs.typeid]
    back = "/contacts/?stage=lead"
    response = ui.post("/contacts/", {"ids": ids, "action": f"owner:{colleague.typeid}", "next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert [c.owner_id for c in Contact.objects.filter(pk__in=[c.pk for c in mine]).order_by("created_at")] == [
        colleague.pk, colleague.pk, None,
    ]  # fmt: skip
    theirs.refresh_from_db()
    assert theirs.owner_id is None
    assert "2 contacts updated." in html(ui.get(back))
    ui.post("/contacts/", {"ids": [mine[0].typeid], "action": "stage:customer"})
    assert Contact.objects.get(pk=mine[0].pk).stage == "customer"
    ui.post("/contacts/", {"ids": [mine[2].typeid, theirs.typeid], "action": "delete:"})
    assert (
        not Contact.objects.filter(pk=mine[2].pk).exists() and Contact.objects.filter(pk=theirs.pk).exists()
    )
    for bad in (
        {"ids": ["nonsense"], "action": "delete:"},
        {"ids": [mine[0].typeid], "action": "stage:nope"},
        {"ids": [mine[0].typeid], "action": "explode:"},
        {"ids": [], "action": "delete:"},
        {"ids": [mine[0].typeid] * 501, "action": "delete:"},
    ):
        response = ui.post("/contacts/", bad)
        assert response.status_code == 302
        messages = html(ui.get("/contacts/"))
        assert "Not done" in messages or "Select between" in messages, bad
    assert Contact.objects.filter(pk=mine[0].pk).exists()


def test_bulk_move_deals_to_a_stage_and_status_of_tasks(ui, org, deal, pipeline, member):
    stage = pipeline.stages.order_by("position")[3]
    ui.post("/deals/", {"ids": [deal.typeid], "action": f"stage:{stage.typeid}"})
    assert DealStageChange.objects.get(deal=deal).to_stage == stage
    task = TaskFactory(org=org)
    ui.post("/tasks/", {"ids": [task.typeid], "action": "status:completed"})
    task.refresh_from_db()
    assert task.status == "completed"


def test_lists_show_bulk_actions_and_the_export_link_with_filters(ui, org):
    ContactFactory(org=org, stage="lead")
    page = html(ui.get("/contacts/?stage=lead&sort=-created_at&limit=5"))
    assert 'href="/contacts/export.csv?stage=lead&amp;sort=-created_at"' in page
    assert '<option value="delete:">Delete</option>' in page and 'name="ids"' in page
    empty = html(ui.get("/tasks/"))
    assert "No tasks yet" in empty and 'href="/tasks/new/"' in empty


def test_link_suggestions_search_the_org_only(ui, org, other_org):
    ada = ContactFactory(org=org, first_name="Ada", last_name="<Lovelace>")
    ContactFactory(org=other_org, first_name="Ada", last_name="Other")
    page = html(ui.get("/suggest/contacts/?contact=ada"))
    assert page.count("<option") == 1 and f"Ada &lt;Lovelace&gt; ({ada.typeid})" in page
    assert html(ui.get(f"/suggest/contacts/?contact=Ada ({ada.typeid})")).count("<option") == 1
    assert ui.get("/suggest/users/?q=a").status_code == 404
    assert html(ui.get("/suggest/deals/?deal=")).strip() == ""


@pytest.mark.parametrize("kind", ["contacts", "deals", "tasks"])
def test_form_pages_cost_constant_queries(ui, org, member, pipeline, kind):
    contact = ContactFactory(org=org, company=CompanyFactory(org=org), owner=member)
    deal = Deal.objects.create(
        org=org, pipeline=pipeline, stage=pipeline.stages.first(), name="d", contact=contact
    )
    task = TaskFactory(org=org, contact=contact, deal=deal, owner=member)
    url = {"contacts": contact, "deals": deal, "tasks": task}[kind].typeid
    one = page_queries(ui, f"/{kind}/{url}/edit/")
    for _ in range(200):
        ContactFactory(org=org, company=contact.company)
    Deal.objects.bulk_create(
        [Deal(org=org, pipeline=pipeline, stage=pipeline.stages.first(), name="x") for _ in range(200)]
    )
    assert page_queries(ui, f"/{kind}/{url}/edit/") == one


@pytest.mark.parametrize("kind", ["companies", "deals"])
def test_log_an_activity_on_a_company_or_deal_page(ui, org, deal, kind):
    deal.company = CompanyFactory(org=org)
    deal.save()
    record = deal if kind == "deals" else deal.company
    page = html(ui.get(f"/{kind}/{record.typeid}/"))
    log_form = page[page.index('id="log-activity"') : page.index('id="timeline"')]
    data = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', log_form))
    response = ui.post("/activities/new/", {**data, "type": "note", "subject": "Noted"})
    assert response["Location"] == f"/{kind}/{record.typeid}/"
    activity = Activity.objects.for_org(org).get()
    if kind == "deals":
        assert (activity.deal, activity.contact) == (deal, deal.contact)
    else:
        assert activity.company == deal.company and activity.deal is None
    assert "Noted" in html(ui.get(response["Location"]))
