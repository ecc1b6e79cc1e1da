"""The activities and tasks list pages."""

import datetime

import pytest

from activities.models import Activity, Task
from rexcrm.core import clock
from tests.conftest import page_queries, row_ids
from tests.factories import ActivityFactory, ContactFactory, TaskFactory

NOW = datetime.datetime(2026, 3, 16, 12, tzinfo=datetime.UTC)


@pytest.fixture
def history(org, member):
    contact = ContactFactory(org=org)
    activities = [
        Activity(
            org=org,
            type=["call", "email", "meeting", "note"][i % 4],
            subject=f"{['Pricing', 'Intro', 'Demo'][i % 3]} {i}",
            occurred_at=NOW - datetime.timedelta(hours=i % 9),
            duration=None if i % 3 else 60 * i,
            contact=contact,
            owner=member if i % 2 else None,
        )
        for i in range(30)
    ]
    Activity.objects.bulk_create(activities)
    tasks = [
        Task(
            org=org,
            title=f"Task {i}",
            due_at=None if i % 5 == 0 else NOW + datetime.timedelta(days=i % 7 - 3),
            priority=["low", "normal", "high", "urgent"][i % 4],
            priority_rank=i % 4,
            status="completed" if i % 6 == 0 else "pending",
            owner=member,
        )
        for i in range(25)
    ]
    Task.objects.bulk_create(tasks)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "type=call,email",
        "sort=duration",
        "sort=-duration&limit=4",
        "search=pricing",
        "before=2026-03-16T08:00:00Z",
        "before=2026-03-16T08:00:00Z&sort=occurred_at&limit=3",
    ],
)
def test_activity_list_is_the_api_list(ui, api, history, query):
    params = dict(pair.split("=") for pair in query.split("&")) if query else {}
    assert row_ids(ui.get(f"/activities/?{query}")) == [
        r["id"] for r in api.get("/activities", **params).json()["data"]
    ]


@pytest.mark.parametrize(
    "query", ["", "sort=priority", "sort=-priority", "sort=-due_at", "overdue=true", "status=pending&limit=3"]
)
def test_task_list_is_the_api_list(ui, api, history, query):
    params = dict(pair.split("=") for pair in query.split("&")) if query else {}
    with clock.frozen(NOW):
        assert row_ids(ui.get(f"/tasks/?{query}")) == [
            r["id"] for r in api.get("/tasks", **params).json()["data"]
        ]


def test_activity_body_is_shown_as_text(ui, org):
    ActivityFactory(org=org, subject="<img src=x>", body="<script>alert('x')</script>")
    html = ui.get("/activities/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "<img src=x>" not in html


def test_bad_filters_are_inline_errors(ui, history):
    for query, message in (
        ("type=fax", "Select a valid choice"),
        ("overdue=maybe", "not a boolean"),
        ("sort=title", "sort"),
    ):
        response = ui.get(f"/tasks/?{query}" if "fax" not in query else f"/activities/?{query}")
        assert response.status_code == 200 and message in response.content.decode()


def test_empty_states(ui):
    assert "No activities yet" in ui.get("/activities/").content.decode()
    assert "No tasks yet" in ui.get("/tasks/").content.decode()


@pytest.mark.parametrize("path", ["/activities/?limit=200", "/tasks/?limit=200"])
def test_list_queries_are_constant(ui, org, member, path):
    contact = ContactFactory(org=org)
    ActivityFactory(org=org, contact=contact, owner=member)
    TaskFactory(org=org, contact=contact, owner=member)
    one = page_queries(ui, path)
    Activity.objects.bulk_create(
        [Activity(org=org, type="call", contact=contact, owner=member) for _ in range(199)]
    )
    Task.objects.bulk_create([Task(org=org, title="t", contact=contact, owner=member) for _ in range(199)])
    assert len(row_ids(ui.get(path))) == 200
    assert page_queries(ui, path) == one
