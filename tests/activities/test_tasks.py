"""/tasks: fields and validation, completion, overdue, due-date order, next_task_due_at."""

import datetime

import pytest

from activities.models import Task
from activities.services import task_create, task_delete, task_update
from contacts.models import Contact
from deals import services as deal_services
from rexcrm.core import clock, ids
from tests.conftest import error_of
from tests.factories import CompanyFactory, ContactFactory, UserFactory
from tests.helpers.queries import count_queries

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)
HOUR = datetime.timedelta(hours=1)


def tid(obj) -> str:
    return ids.encode(obj.type_prefix, obj.pk)


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def create(api, **body):
    response = api.post("/tasks", {"title": "Call back", **body})
    assert response.status_code == 201, response.content
    return response.json()["data"]


def test_create_with_defaults_and_every_field(org, api):
    with clock.frozen(T0):
        data = create(api)
    assert {
        k: v for k, v in data.items() if k not in {"id", "created_at", "updated_at", "relationships"}
    } == {
        "title": "Call back",
        "description": "",
        "contact_id": None,
        "company_id": None,
        "deal_id": None,
        "owner_id": None,
        "due_at": None,
        "priority": "normal",
        "status": "pending",
        "completed_at": None,
        "is_overdue": False,
        "metadata": {},
    }
    assert data["id"].startswith("task_") and data["created_at"] == "2026-03-02T09:00:00Z"
    contact, company, owner = ContactFactory(org=org), CompanyFactory(org=org), UserFactory(org=org)
    deal = deal_services.deal_create(actor=None, org=org, name="D")
    full = create(
        api,
        title="Send the contract",
        description="With the new terms",
        contact_id=tid(contact),
        company_id=tid(company),
        deal_id=tid(deal),
        owner_id=tid(owner),
        due_at="2026-03-05T17:00:00+01:00",
        priority="urgent",
        metadata={"from": "sequence"},
    )
    assert full["due_at"] == "2026-03-05T16:00:00Z"  # stored and shown in UTC
    assert (full["contact_id"], full["company_id"], full["deal_id"], full["owner_id"]) == (
        tid(contact),
        tid(company),
        tid(deal),
        tid(owner),
    )
    assert full["relationships"]["deal"] == {"type": "deal", "id": tid(deal), "name": "D"}
    assert create(api, due_at="2026-03-05T16:00:00")["due_at"] == "2026-03-05T16:00:00Z"  # naive is UTC
    assert create(api, status="completed")["completed_at"] is not None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": None}, "title"),
        ({"title": ""}, "title"),
        ({"title": 5}, "title"),
        ({"title": "t" * 501}, "title"),
        ({"description": ["x"]}, "description"),
        ({"due_at": "tomorrow"}, "due_at"),
        ({"due_at": "2026-02-30T10:00:00Z"}, "due_at"),
        ({"due_at": 1767225600}, "due_at"),
        ({"priority": "critical"}, "priority"),
        ({"priority": "High"}, "priority"),
        ({"status": "done"}, "status"),
        ({"contact_id": "comp_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "contact_id"),
        ({"deal_id": "deal_x"}, "deal_id"),
        ({"owner_id": ["user_01ARZ3NDEKTSV4RRFFQ69G5FAV"]}, "owner_id"),
        ({"metadata": "x"}, "metadata"),
        ({"completed": True}, "completed"),
    ],
)
def test_field_validation(api, body, field):
    response = api.post("/tasks", {"title": "T", **body})
    error = error_of(response)
    assert response.status_code == 400 and error["code"] in {"validation_error", "unknown_field"}, error
    assert set(error["fields"]) == {field}
    assert not Task.objects.exists()


def test_missing_title(api):
    error = error_of(api.post("/tasks", {}))
    assert error["code"] == "validation_error" and set(error["fields"]) == {"title"}


def test_references_of_another_organization_are_invalid_references(other_org, api):
    foreign = {
        "contact_id": tid(ContactFactory(org=other_org)),
        "company_id": tid(CompanyFactory(org=other_org)),
        "deal_id": tid(deal_services.deal_create(actor=None, org=other_org, name="Theirs")),
        "owner_id": tid(UserFactory(org=other_org)),
    }
    for field, value in foreign.items():
        error = error_of(api.post("/tasks", {"title": "T", field: value}))
        assert error["code"] == "invalid_reference" and set(error["fields"]) == {field}, field
    task = create(api)
    error = error_of(api.patch(f"/tasks/{task['id']}", {"deal_id": foreign["deal_id"]}))
    assert error["code"] == "invalid_reference"
    assert Task.objects.count() == 1


def test_completion_round_trip(api):
    task = create(api, due_at=iso(T0))
    with clock.frozen(T0 + HOUR):
        done = api.patch(f"/tasks/{task['id']}", {"status": "completed"}).json()["data"]
    assert (done["status"], done["completed_at"], done["is_overdue"]) == ("completed", iso(T0 + HOUR), False)
    with clock.frozen(T0 + 2 * HOUR):
        again = api.patch(f"/tasks/{task['id']}", {"status": "completed", "title": "Renamed"}).json()["data"]
    assert again["completed_at"] == iso(T0 + HOUR)  # completing a completed task keeps the time
    with clock.frozen(T0 + 3 * HOUR):
        reopened = api.patch(f"/tasks/{task['id']}", {"status": "pending"}).json()["data"]
    assert (reopened["completed_at"], reopened["is_overdue"]) == (None, True)
    cancelled = api.patch(f"/tasks/{task['id']}", {"status": "cancelled"}).json()["data"]
    assert cancelled["completed_at"] is None and cancelled["is_overdue"] is False
    # completed_at is read-only: sent, it is ignored.
    ignored = api.patch(f"/tasks/{task['id']}", {"completed_at": iso(T0)}).json()["data"]
    assert ignored["completed_at"] is None


def test_patch_changes_only_sent_fields(org, api):
    contact = ContactFactory(org=org)
    task = create(api, contact_id=tid(contact), priority="high", due_at=iso(T0), metadata={"a": 1})
    patched = api.patch(f"/tasks/{task['id']}", {"title": "New title"}).json()["data"]
    assert {k: v for k, v in patched.items() if k not in {"title", "updated_at"}} == {
        k: v for k, v in task.items() if k not in {"title", "updated_at"}
    }
    patched = api.patch(f"/tasks/{task['id']}", {"due_at": None, "priority": "low"}).json()["data"]
    assert (patched["due_at"], patched["priority"], patched["contact_id"]) == (None, "low", tid(contact))


def test_is_overdue_against_a_fixed_clock(api):
    task = create(api, due_at=iso(T0))
    with clock.frozen(T0 - HOUR):
        assert api.get(f"/tasks/{task['id']}").json()["data"]["is_overdue"] is False
    with clock.frozen(T0):
        assert api.get(f"/tasks/{task['id']}").json()["data"]["is_overdue"] is False  # due now: not yet
    with clock.frozen(T0 + HOUR):
        assert api.get(f"/tasks/{task['id']}").json()["data"]["is_overdue"] is True
        assert api.get("/tasks").json()["data"][0]["is_overdue"] is True


@pytest.fixture
def tasks(org, api):
    """Tasks around T0: title -> data."""
    made = [
        create(api, title="overdue", due_at=iso(T0 - 5 * HOUR), priority="high"),
        create(api, title="overdue but done", due_at=iso(T0 - 4 * HOUR), status="completed"),
        create(
            api, title="overdue but cancelled", due_at=iso(T0 - 3 * HOUR), status="cancelled", priority="low"
        ),
        create(api, title="due now", due_at=iso(T0), priority="urgent"),
        create(api, title="later", due_at=iso(T0 + 24 * HOUR), priority="low"),
        create(api, title="someday"),
        create(api, title="someday too", priority="urgent"),
    ]
    return {t["title"]: t for t in made}


def titles(api, path="/tasks", **params):
    return [t["title"] for t in api.get_all(path, **params)]


def test_overdue_filter(api, tasks):
    with clock.frozen(T0):
        assert titles(api, overdue="true") == ["overdue"]
        assert set(titles(api, overdue="false")) == set(tasks) - {"overdue"}
    with clock.frozen(T0 + HOUR):
        assert titles(api, overdue="true") == ["overdue", "due now"]
    assert error_of(api.get("/tasks", overdue="yes please"))["code"] == "validation_error"


def test_due_bounds_are_half_open_and_other_filters(org, api, tasks):
    assert titles(api, due_after=iso(T0)) == ["due now", "later"]  # inclusive
    assert titles(api, due_before=iso(T0)) == [
        "overdue",
        "overdue but done",
        "overdue but cancelled",
    ]  # exclusive
    assert titles(api, due_after=iso(T0 - 4 * HOUR), due_before=iso(T0 + HOUR)) == [
        "overdue but done",
        "overdue but cancelled",
        "due now",
    ]
    assert titles(api, due_after="2026-03-03") == ["later"]  # a date is its midnight UTC
    assert titles(api, status="completed,cancelled") == ["overdue but done", "overdue but cancelled"]
    assert titles(api, priority="urgent") == ["due now", "someday too"]
    contact, deal, owner, company = (
        ContactFactory(org=org),
        deal_services.deal_create(actor=None, org=org, name="D"),
        UserFactory(org=org),
        CompanyFactory(org=org),
    )
    create(
        api,
        title="linked",
        contact_id=tid(contact),
        deal_id=tid(deal),
        owner_id=tid(owner),
        company_id=tid(company),
    )
    for field, obj in [
        ("contact_id", contact),
        ("deal_id", deal),
        ("owner_id", owner),
        ("company_id", company),
    ]:
        assert titles(api, **{field: tid(obj)}) == ["linked"], field
    for params in [
        {"status": "open"},
        {"priority": "urgent,p1"},
        {"due_after": "soon"},
        {"due_before": "2026-99-01"},
        {"deal_id": "cont_01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        {"overdue": "2"},
        {"search": "x"},
    ]:
        response = api.get("/tasks", **params)
        assert response.status_code == 400 and set(params) <= set(error_of(response)["fields"]), params


def test_default_sort_is_due_at_with_undated_last(api, tasks):
    expected = [
        "overdue",
        "overdue but done",
        "overdue but cancelled",
        "due now",
        "later",
        "someday",
        "someday too",
    ]
    assert titles(api) == expected
    assert titles(api, limit=2) == expected  # the cursor pages through the undated ones too
    # A missing due date sorts as the latest one: first when descending (one index serves both).
    assert titles(api, sort="-due_at", limit=2) == ["someday too", "someday", *expected[:5][::-1]]


def test_sort_by_priority_is_by_rank(api, tasks):
    ranked = titles(api, sort="priority", limit=3)
    ranks = [api.get(f"/tasks/{tasks[t]['id']}").json()["data"]["priority"] for t in ranked]
    order = ["low", "normal", "high", "urgent"]
    assert ranks == sorted(ranks, key=order.index)
    assert ranked[:2] == ["overdue but cancelled", "later"] and ranked[-2:] == ["due now", "someday too"]
    assert titles(api, sort="-priority", limit=3) == ranked[::-1]
    assert titles(api, sort="created_at") == list(tasks)
    assert error_of(api.get("/tasks", sort="title"))["code"] == "validation_error"
    # Changing the priority moves the task in that order.
    api.patch(f"/tasks/{tasks['later']['id']}", {"priority": "urgent"})
    assert titles(api, sort="priority")[0] == "overdue but cancelled"
    assert titles(api, sort="-priority")[:3] == ["someday too", "later", "due now"]


def test_sub_lists(org, other_org, api):
    contact, company = ContactFactory(org=org), CompanyFactory(org=org)
    deal = deal_services.deal_create(actor=None, org=org, name="D")
    create(api, title="for contact", contact_id=tid(contact), due_at=iso(clock.now() + HOUR))
    create(api, title="for deal", deal_id=tid(deal))
    create(api, title="for company", company_id=tid(company))
    create(api, title="for all", contact_id=tid(contact), deal_id=tid(deal), company_id=tid(company))
    assert titles(api, f"/contacts/{tid(contact)}/tasks") == ["for contact", "for all"]
    assert titles(api, f"/deals/{tid(deal)}/tasks") == ["for deal", "for all"]
    assert titles(api, f"/companies/{tid(company)}/tasks") == ["for company", "for all"]
    assert titles(api, f"/contacts/{tid(contact)}/tasks", overdue="true") == []
    for path, message in [
        (f"/contacts/{tid(ContactFactory(org=other_org))}/tasks", "Contact not found."),
        (
            f"/deals/{tid(deal_services.deal_create(actor=None, org=other_org, name='X'))}/tasks",
            "Deal not found.",
        ),
        (f"/companies/{tid(CompanyFactory(org=other_org))}/tasks", "Company not found."),
        ("/deals/deal_nope/tasks", "Deal not found."),
    ]:
        response = api.get(path)
        assert response.status_code == 404 and error_of(response)["message"] == message


# -- Contact.next_task_due_at -----------------------------------------------------------------


def next_due(contact):
    return Contact.objects.get(pk=contact.pk).next_task_due_at


def test_next_task_due_at_is_maintained(org, api):
    ada, bob = ContactFactory(org=org), ContactFactory(org=org)
    assert next_due(ada) is None
    late = create(api, contact_id=tid(ada), due_at=iso(T0 + 48 * HOUR))
    assert next_due(ada) == T0 + 48 * HOUR
    soon = create(api, contact_id=tid(ada), due_at=iso(T0 + HOUR))
    create(api, contact_id=tid(ada))  # no due date: never the next one
    assert next_due(ada) == T0 + HOUR
    api.patch(f"/tasks/{soon['id']}", {"status": "completed"})
    assert next_due(ada) == T0 + 48 * HOUR
    api.patch(f"/tasks/{soon['id']}", {"status": "pending"})
    assert next_due(ada) == T0 + HOUR
    api.patch(f"/tasks/{soon['id']}", {"due_at": iso(T0 + 72 * HOUR)})
    assert next_due(ada) == T0 + 48 * HOUR
    api.patch(f"/tasks/{late['id']}", {"contact_id": tid(bob)})  # moves to Bob: both recomputed
    assert (next_due(ada), next_due(bob)) == (T0 + 72 * HOUR, T0 + 48 * HOUR)
    api.patch(f"/tasks/{soon['id']}", {"status": "cancelled"})
    assert next_due(ada) is None
    assert api.delete(f"/tasks/{late['id']}").status_code == 204
    assert next_due(bob) is None
    api.patch(f"/tasks/{soon['id']}", {"contact_id": None, "status": "pending"})
    assert next_due(ada) is None
    assert api.get(f"/tasks/{soon['id']}").json()["data"]["contact_id"] is None


def test_services_keep_next_task_due_at_too(org):
    ada = ContactFactory(org=org)
    task = task_create(actor=None, org=org, title="T", contact=ada, due_at=T0)
    assert next_due(ada) == T0
    task_update(org=task.org, actor=None, task=task, due_at=T0 + HOUR)
    assert next_due(ada) == T0 + HOUR
    task_delete(org=task.org, actor=None, task=task)
    assert next_due(ada) is None


def test_delete_and_foreign_paths(other_org, api):
    task = create(api)
    theirs = task_create(actor=None, org=other_org, title="Theirs")
    for method, body in [("get", None), ("patch", {"title": "Mine"}), ("delete", None)]:
        call = getattr(api, method)
        response = call(f"/tasks/{tid(theirs)}", body) if body else call(f"/tasks/{tid(theirs)}")
        assert response.status_code == 404 and error_of(response)["message"] == "Task not found."
    assert api.delete(f"/tasks/{task['id']}").status_code == 204
    assert api.get(f"/tasks/{task['id']}").status_code == 404
    theirs.refresh_from_db()
    assert theirs.title == "Theirs"


def test_list_query_counts_are_constant(org, api):
    contact, company, owner = ContactFactory(org=org), CompanyFactory(org=org), UserFactory(org=org)
    deal = deal_services.deal_create(actor=None, org=org, name="D")

    def make(n):
        for i in range(n):
            task_create(
                actor=None,
                org=org,
                title=f"T{i}",
                contact=contact,
                company=company,
                deal=deal,
                owner=owner,
                due_at=T0 + i * HOUR if i % 3 else None,
            )

    def count(path, **params):
        return count_queries(lambda: api.get_ok(path, limit=200, **params))

    paths = [
        ("/tasks", {}),
        ("/tasks", {"include": "contact,company,deal,owner", "overdue": "false"}),
        ("/tasks", {"sort": "-priority"}),
        (f"/contacts/{tid(contact)}/tasks", {}),
        (f"/deals/{tid(deal)}/tasks", {}),
        (f"/companies/{tid(company)}/tasks", {}),
    ]
    make(1)
    count("/tasks")
    one = [count(path, **params) for path, params in paths]
    make(199)
    assert [count(path, **params) for path, params in paths] == one
