"""``outbox.rendered_new``: the events of new rows made from their attributes are exactly what
reading the rows back renders (``outbox.snapshot``), so a batch's events need no read-back
(``activity_create_many`` makes them while the database stores the rows)."""

import datetime
import json
import zoneinfo

import pytest
from django.db import connection

from activities.models import Activity
from rexcrm.core import bulk
from rexcrm.events import outbox
from tests.factories import ContactFactory, UserFactory
from tests.helpers.queries import queries

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="jsonb's text is PostgreSQL's")

JSON_VALUES = [
    {},
    [],
    {"b": 1, "a": 2, "aa": [1, "x", None, True, False], "é": "ü", "": {}},
    {"zz": {"b": [], "a": {"y": 1, "x": -12345678901234567890}}, 'quote"back\\slash': "tab\tnl\ncr\r"},
    {"ctrl": "\x01\x1f\x7f\u2028", "slash": "a/b", "emoji": "✓ 🚀", "long key first?": 0, "k": "v"},
    ["nested", ["lists", {"in": ["objects"]}]],
    "a string",
    12,
    None,
    True,
]


@pytest.mark.parametrize("value", JSON_VALUES)
def test_stored_json_text_is_what_postgresql_gives_back(db, value):
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::jsonb::text", [json.dumps(value)])  # as bulk sends JSON
        (stored,) = cursor.fetchone()
    assert outbox.stored_json_text(value) == stored


@pytest.mark.parametrize(
    "value", [1.5, {"a": 1e2}, [0.1], {1: "not a string key"}, datetime.date(2026, 1, 1)]
)
def test_stored_json_text_refuses_what_postgresql_rewrites_or_is_not_json(value):
    assert outbox.stored_json_text(value) is None


def test_new_activities_render_as_their_rows_read_back(org):
    contact, owner = ContactFactory(org=org), UserFactory(org=org)
    paris = zoneinfo.ZoneInfo("Europe/Paris")
    made = [
        Activity(
            org=org,
            type="call",
            subtype="discovery",
            status="scheduled" if i % 2 else "completed",
            subject=f"Tab\there ✓ {i}",
            body="ünïcode\nbody",
            contact=contact if i % 2 else None,
            owner=owner if i % 3 else None,
            occurred_at=datetime.datetime(
                2026, 3, 1, 9, 30, 15, 123456, tzinfo=paris if i % 2 else datetime.UTC
            ),
            duration=i,
            direction="inbound" if i % 2 else None,
            source="gmail",
            external_id=f"x-{i}" if i % 2 else None,
            metadata=JSON_VALUES[i % 6] if i % 6 in (0, 2, 3, 4) else {"n": i},
            generated_by="agent",
            confidence_score=i / 30,
            model="m-1",
        )
        for i in range(bulk.COPY_MIN_ROWS)
    ]
    floaty = Activity(org=org, type="note", metadata={"score": 0.5})
    made.append(floaty)
    with bulk.sending(made), queries() as sql:
        objects, unread = outbox.rendered_new(Activity, made)
    assert sql == [] and unread == [floaty.pk]
    assert objects == outbox.snapshot(Activity, [a.pk for a in made if a is not floaty])
