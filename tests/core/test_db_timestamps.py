"""Timestamps on PostgreSQL load through psycopg's C loader alone (rexcrm/core/postgresql) when
the connection is in UTC: the same values, in ``datetime.UTC``, as Django's own loader gives."""

import datetime

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from psycopg.postgres import types

from rexcrm.core.postgresql.base import DatabaseWrapper, UtcTimestamptzLoader

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TIMESTAMPTZ = types["timestamptz"].oid
SQL = """SELECT '2026-03-16 14:00:00+05'::timestamptz, '2026-03-16 14:00:00.000001+00'::timestamptz,
    '0001-01-01 00:00:00+00'::timestamptz, '9999-12-31 23:59:59.999999+00'::timestamptz, NULL::timestamptz"""
EXPECTED = (
    datetime.datetime(2026, 3, 16, 9, 0, tzinfo=datetime.UTC),
    datetime.datetime(2026, 3, 16, 14, 0, 0, 1, tzinfo=datetime.UTC),
    datetime.datetime(1, 1, 1, tzinfo=datetime.UTC),
    datetime.datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=datetime.UTC),
    None,
)


def test_timestamps_load_in_utc_without_djangos_loader():
    with connection.cursor() as cursor:
        assert cursor.cursor.adapters.get_loader(TIMESTAMPTZ, 0) is UtcTimestamptzLoader
        cursor.execute(SQL)
        row = cursor.fetchone()
    assert row == EXPECTED
    assert all(value.tzinfo is datetime.UTC for value in row[:-1])


def test_djangos_loader_gives_the_same_values():
    with connection.cursor() as cursor:
        adapters = cursor.cursor.adapters
        adapters.register_loader("timestamptz", type("Loader", (BaseTzLoader,), {"timezone": datetime.UTC}))
        cursor.execute(SQL)
        assert cursor.fetchone() == EXPECTED


def test_a_database_with_its_own_time_zone_keeps_djangos_loader():
    other = DatabaseWrapper({**connection.settings_dict, "TIME_ZONE": "Europe/Paris"}, alias="paris")
    loader = other.get_connection_params()["context"].get_loader(TIMESTAMPTZ, 0)
    assert issubclass(loader, BaseTzLoader)
    assert str(loader.timezone) == "Europe/Paris"
