"""The PostgreSQL connection's health check (rexcrm/core/postgresql): no round trip for a
healthy connection, and a connection the server ended is replaced before a request uses it."""

import time

import psycopg
import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_a_healthy_connection_is_usable_without_a_query(monkeypatch):
    connection.ensure_connection()

    def no_query(*args, **kwargs):
        raise AssertionError("the health check sent a query")

    monkeypatch.setattr(connection.connection, "cursor", no_query)
    assert connection.is_usable()


def test_a_connection_the_server_ended_is_replaced_at_the_next_request():
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    with psycopg.connect(**params, autocommit=True) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    for _ in range(50):  # the server's goodbye reaches the socket
        if not connection.is_usable():
            break
        time.sleep(0.02)
    assert not connection.is_usable()

    # What Django does at the start of a request (request_started), then at the first query.
    connection.health_check_enabled = True
    connection.close_if_unusable_or_obsolete()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid
