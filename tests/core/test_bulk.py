"""``rexcrm.core.bulk``: many new rows stored exactly as ``bulk_create`` stores them, by COPY on
PostgreSQL (from ``COPY_MIN_ROWS`` rows), by one INSERT otherwise; either way seen by the query
counters."""

import datetime
import time

import psycopg
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import signals

from activities.models import Activity
from rexcrm.core import bulk
from rexcrm.core.ids import uuid7
from rexcrm.core.rows import by_pks
from rexcrm.events import outbox
from rexcrm.events.models import Event
from rexcrm.events.outbox import EVENT_COLUMNS
from tests.factories import ContactFactory
from tests.helpers.queries import queries

WHEN = datetime.datetime(2026, 3, 1, 9, 30, tzinfo=datetime.UTC)


def statement_of(sql: list[str]) -> str:
    (only,) = sql
    return only.split()[0].upper()


def expected_statement(n: int) -> str:
    return "COPY" if connection.vendor == "postgresql" and n >= bulk.COPY_MIN_ROWS else "INSERT"


@pytest.mark.parametrize("n", [bulk.COPY_MIN_ROWS - 1, bulk.COPY_MIN_ROWS, 60])
def test_insert_new_stores_instances_as_bulk_create_would(org, n):
    contact = ContactFactory(org=org)
    made = [
        Activity(
            org=org,
            type="email" if i % 2 else "note",
            subject=f"Tab\there, line\nbreak, back\\slash {i}",
            body="" if i % 3 else "ünïcode ✓",
            contact=contact if i % 2 else None,
            occurred_at=WHEN + datetime.timedelta(minutes=i),
            duration=None if i % 2 else i,
            metadata={"n": i, "nested": {"list": [1, None, "x"]}} if i % 2 else {},
        )
        for i in range(n)
    ]
    with queries() as sql:
        bulk.insert_new(made)
    assert statement_of(sql) == expected_statement(n)
    assert all(not a._state.adding for a in made)
    stored = {a.pk: a for a in Activity.objects.filter(org=org)}
    assert set(stored) == {a.pk for a in made}
    for activity in made:
        row = stored[activity.pk]
        for name in ("type", "subject", "body", "contact_id", "occurred_at", "duration", "metadata"):
            assert getattr(row, name) == getattr(activity, name), name
        assert row.updated_at is not None and row.created_at == activity.created_at


@pytest.mark.parametrize("n", [1, bulk.COPY_MIN_ROWS, 45, 500])
def test_insert_rows_makes_events_in_order_with_their_database_defaults(org, n):
    rows = [(uuid7(), org.pk, "contact.created", WHEN, "key_x", f'{{"n": {i}}}') for i in range(n)]
    assert EVENT_COLUMNS == ("uuid", "org_id", "type", "occurred_at", "actor_id", "data")
    with queries() as sql:
        bulk.insert_rows(Event, EVENT_COLUMNS, rows)
    assert {statement.split()[0].upper() for statement in sql} == {expected_statement(n)}
    assert len(sql) == 1 or connection.vendor == "sqlite"  # SQLite: as many params a statement as it takes
    stored = list(Event.objects.filter(org=org).order_by("id"))
    assert [(e.uuid, e.org_id, e.type, e.occurred_at, e.actor_id, e.data) for e in stored] == rows
    assert all(e.webhook_id is None and e.txid is not None for e in stored)


def test_nothing_to_insert_runs_no_statement(org):
    with queries() as sql:
        bulk.insert_new([])
        bulk.insert_rows(Event, EVENT_COLUMNS, [])
    assert sql == []


def test_new_instances_are_what_the_constructor_makes_each_with_its_own_defaults(org):
    made = bulk.new_instances(Activity, 4, org=org)
    built = Activity(org=org)
    assert len(made) == 4 and len({a.pk for a in made}) == 4  # a new id each
    assert all((a._state.adding, a._state.db) == (built._state.adding, built._state.db) for a in made)
    for activity in made:
        for field in Activity._meta.concrete_fields:
            if not callable(field.default):  # a time, an id, a {}: called for each
                assert getattr(activity, field.attname) == getattr(built, field.attname), field.name
    made[0].metadata["k"] = "v"  # a callable default ({}) is not shared
    assert made[1].metadata == {}
    with queries() as sql:
        assert all(a.org == org for a in made)  # the organization set once, cached on every copy
    assert sql == []
    assert bulk.new_instances(Activity, 0, org=org) == []


def test_new_instances_runs_the_constructor_for_a_model_with_init_receivers(org):
    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    signals.post_init.connect(receiver, sender=Activity)
    try:
        made = bulk.new_instances(Activity, 3, org=org)
    finally:
        signals.post_init.disconnect(receiver, sender=Activity)
    assert seen == made and len({a.pk for a in made}) == 3


@pytest.mark.skipif(connection.vendor != "postgresql", reason="ON CONFLICT … RETURNING: PostgreSQL's path")
def test_insert_skipping_conflicts_stores_the_others_and_returns_their_ids(org):
    taken = Activity(org=org, type="email", source="gmail", external_id="taken")
    bulk.insert_new([taken])
    new = [
        Activity(org=org, type="email", source="gmail", external_id=name, metadata={"k": name})
        for name in ("a", "taken", "b")
    ]
    with queries() as sql:
        stored = bulk.insert_skipping_conflicts(new)
    assert len(sql) == 1 and "ON CONFLICT DO NOTHING" in sql[0]
    assert stored == {new[0].pk, new[2].pk}
    rows = dict(Activity.objects.filter(org=org).values_list("external_id", "metadata"))
    assert rows == {"taken": {}, "a": {"k": "a"}, "b": {"k": "b"}}
    assert bulk.insert_skipping_conflicts([]) == set()


def test_insert_one_returns_the_row_as_a_read_of_it_gives_it(org):
    """One INSERT stores the instance as ``insert_new`` would and answers its row: the same
    values, converted the same way (JSON, times, SQLite's types), as ``by_pks`` reads back."""
    contact = ContactFactory(org=org)
    activity = Activity(
        org=org,
        type="call",
        subject="Tab\there ✓",
        contact=contact,
        occurred_at=WHEN,
        metadata={"n": [1, None]},
    )
    columns = outbox.columns(Activity)
    with queries() as sql:
        row = bulk.insert_one(activity, columns=columns)
    assert statement_of(sql) == "INSERT" and " RETURNING " in sql[0]
    assert not activity._state.adding
    assert [row] == by_pks(Activity, [activity.pk], columns, org=org)
    stored = Activity.objects.get(pk=activity.pk)
    for name in ("type", "subject", "contact_id", "occurred_at", "metadata", "created_at", "updated_at"):
        assert getattr(stored, name) == getattr(activity, name), name


def test_insert_one_skips_a_conflict_only_when_asked(org):
    bulk.insert_new([Activity(org=org, type="email", source="gmail", external_id="taken")])
    again = Activity(org=org, type="email", source="gmail", external_id="taken", subject="second")
    assert bulk.insert_one(again, columns=["id"], skip_conflict=True) is None
    assert again._state.adding
    with pytest.raises(IntegrityError), transaction.atomic():
        bulk.insert_one(again, columns=["id"])
    assert list(Activity.objects.filter(org=org).values_list("subject", flat=True)) == [""]


@pytest.mark.parametrize(("n", "body"), [(bulk.COPY_MIN_ROWS, ""), (301, "x" * 1_000)])
def test_sending_stores_the_rows_by_the_end_of_the_block_and_runs_it_once(org, n, body):
    """Many rows past psycopg's 32 KiB messages too: every one stored, the last ones included."""
    made = [Activity(org=org, type="note", subject=f"s{i}", body=body) for i in range(n)]
    ran = []
    with queries() as sql, bulk.sending(made):
        ran.append(all(not a._state.adding for a in made))
    assert ran == [True] and statement_of(sql) == expected_statement(len(made))
    assert set(Activity.objects.filter(org=org).values_list("subject", flat=True)) == {
        a.subject for a in made
    }


@pytest.mark.parametrize("n", [1, bulk.COPY_MIN_ROWS])
def test_an_error_in_the_block_of_sending_stores_nothing_and_is_raised(org, n):
    made = [Activity(org=org, type="note") for _ in range(n)]
    with pytest.raises(ZeroDivisionError), transaction.atomic(), bulk.sending(made):
        1 / 0  # noqa: B018
    assert not Activity.objects.filter(org=org).exists()
    Activity.objects.create(org=org, type="note")  # the connection is usable again


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
def test_every_row_reaches_the_database_before_the_block_of_sending_runs(org):
    """The point of ``sending``: the database stores the rows while the block runs, so none may
    wait in psycopg's or libpq's buffers for the COPY's end (``pg_stat_progress_copy``, read
    from another session, counts the rows the COPY has taken)."""
    made = [Activity(org=org, type="note", body="x" * 500) for _ in range(301)]
    connection.ensure_connection()
    info = connection.connection.info  # the test database's session
    watcher = psycopg.connect(
        dbname=info.dbname, host=info.host, port=info.port, user=info.user, autocommit=True
    )
    with watcher, bulk.sending(made):
        pid = info.backend_pid
        for _ in range(500):
            row = watcher.execute(
                "SELECT tuples_processed FROM pg_stat_progress_copy WHERE pid = %s", [pid]
            ).fetchone()
            if row and row[0] == len(made):
                break
            time.sleep(0.01)
        assert row == (len(made),)
