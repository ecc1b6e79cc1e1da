"""GET /api/events: the log in order, paged by cursor or after, filtered by type patterns,
organization-scoped, in a constant number of queries."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contacts.services import company_create, contact_create
from deals.services import deal_create
from rexcrm.core import ids
from rexcrm.events.models import Event
from rexcrm.events.services import webhook_create, webhook_ping
from tests.conftest import error_of


@pytest.fixture
def history(org):
    """13 events: contact.created x5, company.created x3, then the default pipeline's
    pipeline.created and deal.created x4."""
    for n in range(5):
        contact_create(org=org, actor=None, email=f"c{n}@acme.example")
    for n in range(3):
        company_create(org=org, actor=None, name=f"Co {n}")
    for n in range(4):
        deal_create(org=org, actor=None, name=f"Deal {n}")
    return [e.typeid for e in Event.objects.for_org(org).order_by("txid", "id")]


def test_lists_the_log_in_order_with_cursors(api, history):
    rows = api.get_all("/events", limit=5)
    assert [row["id"] for row in rows] == history
    assert [row["id"] for row in rows] == sorted(history)  # ids sort in log order too
    first = rows[0]
    assert set(first) == {"id", "type", "occurred_at", "actor_id", "data"}
    assert first["type"] == "contact.created" and first["actor_id"] is None
    assert first["data"]["object"]["email"] == "c0@acme.example"
    page = api.get("/events", limit=5).json()
    assert page["has_more"] is True and page["meta"]["cursor"] == page["next_cursor"]


def test_after_an_event_id(api, history):
    rows = api.get_all("/events", after=history[3], limit=4)
    assert [row["id"] for row in rows] == history[4:]
    assert api.get("/events", after=history[-1]).json()["data"] == []
    lower = api.get("/events", after=history[3].lower()).json()["data"]
    assert [row["id"] for row in lower] == history[4:]


def test_type_filters_with_wildcards(api, history):
    def types(**params):
        return [row["type"] for row in api.get_all("/events", **params)]

    assert types(type="company.created") == ["company.created"] * 3
    assert types(type="deal.*") == ["deal.created"] * 4
    assert types(type="deal.*,company.created") == ["company.created"] * 3 + ["deal.created"] * 4
    assert len(types(type="*")) == len(history)
    response = api.get("/events", type="deal.created,dael.*")
    assert response.status_code == 400 and "dael.*" in error_of(response)["message"]


def test_is_scoped_to_the_organization(api, other_api, history, other_org):
    contact_create(org=other_org, actor=None, email="x@globex.example")
    theirs = [row["id"] for row in other_api.get_all("/events")]
    assert not set(theirs) & set(history)
    assert [row["id"] for row in api.get_all("/events")] == history
    response = other_api.get("/events", after=history[0])  # another organization's event
    assert response.status_code == 400 and error_of(response)["code"] == "invalid_reference"


def test_pings_are_not_in_the_log(api, org, history):
    webhook = webhook_create(org=org, actor=None, name="x", url="https://hooks.example.com/x")
    webhook_ping(org=org, actor=None, webhook=webhook)
    assert [row["id"] for row in api.get_all("/events")] == history


def test_needs_read_scope_or_better(org, make_api, history):
    assert make_api(org, scope="read").get("/events").status_code == 200
    assert make_api(org, scope="capture-only").get("/events").status_code == 403


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": "cont_01JQ3Z6W5C8V2N4R7T9X0Y1B2D"}, "after"),
        ({"after": ids.encode("evt", ids.uuid7())}, "after"),
        ({"limit": "0"}, "limit"),
        ({"sort": "type"}, "sort"),
        ({"fields": "type"}, "fields"),
    ],
)
def test_bad_parameters_are_400(api, history, params, field):
    response = api.get("/events", **params)
    assert response.status_code == 400 and field in error_of(response)["fields"]


def test_a_cursor_from_another_list_is_refused(api, history):
    contacts_cursor = api.get("/contacts", limit=1).json()["next_cursor"]
    response = api.get("/events", cursor=contacts_cursor)
    assert response.status_code == 400 and error_of(response)["code"] == "invalid_cursor"


def test_constant_queries_per_page(api, org, history):
    for n in range(30):
        contact_create(org=org, actor=None, email=f"more{n}@acme.example")
    api.get("/events")  # the key's first use is written once
    counts = []
    for limit in (1, 40):
        with CaptureQueriesContext(connection) as queries:
            assert api.get("/events", limit=limit, after=history[0], type="contact.*").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_transaction_still_running_holds_back_the_events_after_it(make_api):
    """A transaction that began first but commits last must not be overtaken: until it ends,
    the events committed after it stay invisible, so a cursor never skips its events."""
    import threading

    from django.db import connections, transaction

    from tests.factories import OrganizationFactory

    org = OrganizationFactory()
    api = make_api(org)
    started, release = threading.Event(), threading.Event()

    def slow_writer():
        try:
            with transaction.atomic():
                contact_create(org=org, actor=None, email="slow@acme.example")
                started.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    started.wait(10)
    company_create(org=org, actor=None, name="Quick")  # commits while the slow one runs
    assert api.get("/events", type="company.*,contact.*").json()["data"] == []
    release.set()
    thread.join(10)
    rows = api.get("/events", type="company.*,contact.*").json()["data"]
    assert [row["type"] for row in rows] == ["contact.created", "company.created"]
