"""Django's PostgreSQL backend, with a health check that costs no round trip and timestamps loaded
without a Python call each (on a connection in UTC).

With ``CONN_HEALTH_CHECKS`` Django checks a reused connection at the start of each request by
running ``SELECT 1``: one round trip per request, as much again as a list page's own query on
a warm index. A connection the server ended (a restart, ``pg_terminate_backend``, an idle
timeout) has something to read on its socket: the server's last error message or the end of
the stream. A healthy idle connection has nothing. So the check polls the socket without
waiting, and only when there is something to read runs Django's ``SELECT 1``, which reads it
(and fails on a dead connection, which Django then replaces before the request uses it).

A server gone without a word (a host lost, a network cut) is not seen by either check until a
query fails; that request fails, and Django closes the connection at its end, so the next
request reconnects.

Timestamps load through psycopg's own (C) loader. Django wraps it in a Python loader that
relabels each value with the connection's time zone (``replace(tzinfo=…)``): two Python calls
per timestamp, three per row of a list page. On a connection in UTC, which Django sets when
``USE_TZ`` is on and the database has no ``TIME_ZONE`` of its own, psycopg's values are
already in ``datetime.timezone.utc``, so the relabelling changes nothing and is left out.
"""

import datetime
import select
from functools import lru_cache

from django.db.backends.postgresql import base
from django.db.backends.postgresql.psycopg_any import orig_tz_loader_cls
from psycopg import adapt


class UtcTimestamptzLoader(adapt.Loader):
    """psycopg's timestamptz loader itself for a connection in UTC (its class cannot be
    subclassed): psycopg calls each instance's ``load``, here the C loader's own method."""

    timezone = datetime.UTC  # what Django's ``create_cursor`` compares with the connection's
    load = None  # set per instance

    def __init__(self, oid, context=None):
        super().__init__(oid, context)
        self.load = orig_tz_loader_cls(oid, context).load


@lru_cache
def _utc_adapters(template):
    adapters = adapt.AdaptersMap(template)
    adapters.register_loader("timestamptz", UtcTimestamptzLoader)
    return adapters


class DatabaseWrapper(base.DatabaseWrapper):
    def get_connection_params(self):
        params = super().get_connection_params()
        if self.timezone is datetime.UTC:  # the connection's TimeZone is set to "UTC"
            params["context"] = _utc_adapters(params["context"])
        return params

    def is_usable(self):
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        poll = select.poll()
        try:
            poll.register(connection.fileno(), select.POLLIN)
        except (OSError, ValueError):
            return False
        return not poll.poll(0) or super().is_usable()
