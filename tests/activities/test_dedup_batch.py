"""Dedup on (source, external_id) and POST /activities/batch."""

import threading

import orjson
import pytest
from django.db import IntegrityError, connection, connections
from django.test.utils import CaptureQueriesContext

from activities import selectors, services
from activities.models import Activity
from rexcrm.core import bulk
from rexcrm.events.models import Event
from tests.conftest import error_of
from tests.factories import ActivityFactory, ContactFactory
from tests.helpers.queries import assert_same_queries


def test_second_create_with_the_same_source_and_external_id_returns_the_first(api):
    first = api.post(
        "/activities", {"type": "email", "source": "gmail", "external_id": "m-1", "subject": "A"}
    )
    assert first.status_code == 201
    again = api.post(
        "/activities", {"type": "email", "source": "gmail", "external_id": "m-1", "subject": "B"}
    )
    assert again.status_code == 200
    assert again.json()["data"] == first.json()["data"] | {
        "relationships": again.json()["data"]["relationships"]
    }
    assert again.json()["data"]["subject"] == "A"
    assert Activity.objects.count() == 1


def test_dedup_is_per_source_and_per_organization(api, other_api):
    assert api.post("/activities", {"type": "email", "external_id": "m-1"}).status_code == 201  # source api
    assert api.post("/activities", {"type": "email", "external_id": "m-1"}).status_code == 200
    assert (
        api.post("/activities", {"type": "email", "source": "gmail", "external_id": "m-1"}).status_code == 201
    )
    assert other_api.post("/activities", {"type": "email", "external_id": "m-1"}).status_code == 201
    assert Activity.objects.count() == 3


def test_no_external_id_means_no_dedup(api):
    for body in [
        {"type": "note"},
        {"type": "note"},
        {"type": "note", "external_id": ""},
        {"type": "note", "external_id": None},
    ]:
        assert api.post("/activities", body).status_code == 201
    assert Activity.objects.filter(external_id__isnull=True).count() == 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_identical_creates_leave_one_row(org, make_api):
    api = make_api(org)
    statuses: list[int] = []
    barrier = threading.Barrier(8)

    def create():
        try:
            barrier.wait()
            response = api.post("/activities", {"type": "email", "source": "gmail", "external_id": "race-1"})
            statuses.append(response.status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200] * 7 + [201]
    assert Activity.objects.filter(external_id="race-1").count() == 1


def test_batch_with_valid_invalid_and_duplicate_items(api, org):
    existing = ActivityFactory(org=org, source="gmail", external_id="old")
    contact = ContactFactory(org=org)
    items = [
        {"type": "email", "source": "gmail", "external_id": "new-1", "contact_id": contact.typeid},
        {"type": "calls"},
        {"type": "email", "source": "gmail", "external_id": "old"},
        {"type": "email", "source": "gmail", "external_id": "new-1", "subject": "dup within the batch"},
        {"type": "note", "contact_id": "cont_01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        "not an object",
        {"type": "note", "wat": 1},
        {"type": "meeting", "occurred_at": "2026-03-16T14:00:00Z"},
        None,
        5,
    ]
    response = api.post("/activities/batch", {"activities": items})
    assert response.status_code == 200
    results = response.json()["data"]
    assert [r["index"] for r in results] == list(range(10))
    assert [r["status"] for r in results] == [201, 400, 200, 200, 400, 400, 400, 201, 400, 400]
    for result in (results[5], results[8], results[9]):
        assert result["error"]["message"].endswith("Expected a JSON object."), result
    assert results[2]["id"] == existing.typeid
    assert results[3]["id"] == results[0]["id"]
    assert results[1]["error"]["code"] == "validation_error" and "type" in results[1]["error"]["fields"]
    assert results[4]["error"]["code"] == "invalid_reference"
    assert results[6]["error"]["code"] == "unknown_field"
    assert all(r["id"] is None for r in results if r["status"] == 400)
    assert all(r["error"] is None for r in results if r["status"] != 400)
    assert Activity.objects.count() == 3  # existing + new-1 + the meeting
    stored = Activity.objects.get(external_id="new-1")
    assert stored.contact == contact and stored.typeid == results[0]["id"]


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "validation_error"),
        ({"activities": []}, "validation_error"),
        ({"activities": {"type": "note"}}, "validation_error"),
        ({"activities": [{"type": "note"}] * 501}, "validation_error"),
        ({"activities": [{"type": "note"}], "extra": 1}, "unknown_field"),
    ],
)
def test_batch_envelope_errors(api, body, code):
    response = api.post("/activities/batch", body)
    assert response.status_code == 400
    assert error_of(response)["code"] == code
    assert not Activity.objects.exists()


def test_batch_of_500_is_accepted(api):
    items = [{"type": "email", "source": "sync", "external_id": f"m-{i}"} for i in range(500)]
    results = api.post("/activities/batch", {"activities": items}).json()["data"]
    assert {r["status"] for r in results} == {201}
    again = api.post("/activities/batch", {"activities": items}).json()["data"]
    assert {r["status"] for r in again} == {200}
    assert [r["id"] for r in again] == [r["id"] for r in results]
    assert Activity.objects.count() == 500


def test_batch_resolves_references_in_bulk(api, org):
    contacts = ContactFactory.create_batch(30, org=org)

    def post(n):
        items = [{"type": "note", "contact_id": contacts[i % 30].typeid, "status": "draft"} for i in range(n)]
        assert api.post("/activities/batch", {"activities": items}).status_code == 200

    post(1)
    assert_same_queries(lambda: post(5), lambda: post(120))


def test_batch_refuses_another_organizations_references(api, other_org):
    foreign = ContactFactory(org=other_org)
    results = api.post(
        "/activities/batch",
        {
            "activities": [
                {"type": "note", "contact_id": foreign.typeid},
                {"type": "note"},
            ]
        },
    ).json()["data"]
    assert [r["status"] for r in results] == [400, 201]
    assert results[0]["error"]["code"] == "invalid_reference"
    assert "contact_id" in results[0]["error"]["fields"]
    assert not Activity.objects.filter(contact=foreign).exists()


def test_services_treat_an_empty_external_id_as_none(org):
    first, _ = services.activity_create(actor=None, org=org, type="note", external_id="")
    second, created = services.activity_create(actor=None, org=org, type="note", external_id="")
    assert created and first.pk != second.pk
    assert first.external_id is None and second.external_id is None
    services.activity_update(org=second.org, actor=None, activity=second, external_id="")
    second.refresh_from_db()
    assert second.external_id is None


def test_batch_returns_the_row_a_concurrent_writer_stored_meanwhile(org, monkeypatch):
    """The dedup read found nothing, then another transaction stored the same key before the
    INSERT: the item is not stored twice (ON CONFLICT DO NOTHING) and returns that row."""
    winner = ActivityFactory(org=org, source="gmail", external_id="raced")
    real = services.activities_by_dedup_keys
    calls = []

    def missing_first(*, org, keys):
        calls.append(keys)
        return {} if len(calls) == 1 else real(org=org, keys=keys)

    monkeypatch.setattr(services, "activities_by_dedup_keys", missing_first)
    items = [{"type": "email", "source": "gmail", "external_id": "raced"}, {"type": "note"}]
    results = services.activity_create_many(org=org, actor=None, items=items)
    assert [(activity.pk, created) for activity, created in results[:1]] == [(winner.pk, False)]
    assert results[1][1] is True
    assert Activity.objects.filter(external_id="raced").count() == 1
    assert Activity.objects.count() == 2


def test_create_returns_the_row_a_concurrent_writer_stored_meanwhile(org, monkeypatch):
    """The single create's twin of the above: its dedup read found nothing, its INSERT met the
    key (skipped, no savepoint): it answers that row, not created, and records no event."""
    winner = ActivityFactory(org=org, source="gmail", external_id="raced")
    real = services.activity_by_dedup_key
    calls = []

    def missing_first(*, org, source, external_id):
        calls.append(external_id)
        return None if len(calls) == 1 else real(org=org, source=source, external_id=external_id)

    monkeypatch.setattr(services, "activity_by_dedup_key", missing_first)
    events = Event.objects.count()
    activity, created = services.activity_create(
        org=org, actor=None, type="email", source="gmail", external_id="raced", subject="late"
    )
    assert (activity.pk, created, len(calls)) == (winner.pk, False, 2)
    assert Activity.objects.filter(external_id="raced").count() == 1
    assert Event.objects.count() == events


def test_create_whose_conflicting_row_is_gone_again_stores_nothing(org, monkeypatch):
    """The key's row conflicted, then was deleted before it could be read: an error (the
    request's 500, as before), and nothing of the create stays."""
    ActivityFactory(org=org, source="gmail", external_id="raced")
    monkeypatch.setattr(services, "activity_by_dedup_key", lambda **kwargs: None)
    events = Event.objects.count()
    with pytest.raises(IntegrityError, match="stored and deleted concurrently"):
        services.activity_create(org=org, actor=None, type="email", source="gmail", external_id="raced")
    assert Activity.objects.filter(org=org).count() == 1 and Event.objects.count() == events


def test_batch_returns_saved_instances(org):
    results = services.activity_create_many(org=org, actor=None, items=[{"type": "note", "subject": "a"}])
    activity, created = results[0]
    assert created and not activity._state.adding and activity._state.db == "default"
    activity.subject = "b"
    activity.save(update_fields=["subject"])  # an UPDATE of the stored row, not a second INSERT
    assert Activity.objects.get().subject == "b"


def test_a_large_batch_mixing_keyed_and_unkeyed_items_stores_each_once(org, monkeypatch):
    """More unkeyed items than ``bulk.COPY_MIN_ROWS`` (COPY on PostgreSQL) beside keyed ones (the
    INSERT that skips conflicts): a key stored before, one the dedup read missed (a concurrent
    writer's) and one repeated within the batch each come back as that row, and every new
    activity has one ``activity.created`` event."""
    old = ActivityFactory(org=org, source="gmail", external_id="old")
    raced = ActivityFactory(org=org, source="gmail", external_id="raced")
    real = services.activities_by_dedup_keys
    calls = []

    def missing_raced_first(*, org, keys):
        calls.append(keys)
        found = real(org=org, keys=keys)
        return {key: row for key, row in found.items() if key[1] != "raced"} if len(calls) == 1 else found

    monkeypatch.setattr(services, "activities_by_dedup_keys", missing_raced_first)
    unkeyed = [{"type": "note", "metadata": {"i": i}} for i in range(bulk.COPY_MIN_ROWS + 5)]
    keyed = [
        {"type": "email", "source": "gmail", "external_id": key} for key in ("k1", "old", "raced", "k2", "k1")
    ]
    results = services.activity_create_many(org=org, actor=None, items=[*unkeyed, *keyed])
    created = [activity for activity, was_created in results if was_created]
    assert len(created) == len(unkeyed) + 2  # and k1, k2
    answers = [(activity.pk, was_created) for activity, was_created in results[len(unkeyed) :]]
    k1 = answers[0][0]
    assert answers[1:] == [(old.pk, False), (raced.pk, False), (answers[3][0], True), (k1, False)]
    assert Activity.objects.filter(org=org).count() == 2 + len(created)
    notes = Activity.objects.filter(org=org, type="note", external_id=None)
    assert sorted(note.metadata["i"] for note in notes) == list(range(len(unkeyed)))
    events = Event.objects.filter(org=org, type="activity.created")
    assert sorted(orjson.loads(e.data)["object"]["id"] for e in events) == sorted(a.typeid for a in created)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner and statistics")
def test_the_dedup_read_is_planned_on_the_key_for_an_organization_the_statistics_never_saw(org, other_org):
    """After ANALYZE has seen one organization's rows only, another's are estimated at none, and
    ``org_id = …`` made an index of the organization's rows look free: the dedup read walked
    every activity of the organization (146 ms at 70,000). It searches the key's unique index,
    which leads with external_id, and finds only the organization's row."""

    def keyed(owner, n):
        return [Activity(org=owner, type="email", source="gmail", external_id=f"k{i}") for i in range(n)]

    Activity.objects.bulk_create(keyed(org, 3000))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE activities_activity")
    Activity.objects.bulk_create(keyed(other_org, 3000))
    keys = {("gmail", "k7"), ("gmail", "k2999"), ("gmail", "unknown"), ("api", "k8")}
    with CaptureQueriesContext(connection) as read:
        found = selectors.activities_by_dedup_keys(org=other_org, keys=keys)
    assert {key: a.org_id for key, a in found.items()} == {
        ("gmail", "k7"): other_org.pk,
        ("gmail", "k2999"): other_org.pk,
    }
    (query,) = read.captured_queries
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {query['sql']}")
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "activity_external_id_uniq" in plan, plan


def test_the_dedup_read_finds_exactly_the_keys_asked_of_this_organization(org, other_org):
    """One query over the sources and the external ids asked: a stored pair made of one key's
    source and another's external id is not a match, nor another organization's pair."""
    mine = ActivityFactory(org=org, source="gmail", external_id="a")
    ActivityFactory(org=org, source="outlook", external_id="b")  # gmail/b and outlook/a are asked
    ActivityFactory(org=other_org, source="outlook", external_id="a")
    found = selectors.activities_by_dedup_keys(
        org=org, keys={("gmail", "a"), ("outlook", "a"), ("gmail", "b")}
    )
    assert found == {("gmail", "a"): mine}
    assert selectors.activities_by_dedup_keys(org=org, keys=set()) == {}
