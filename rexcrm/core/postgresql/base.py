"""Django's PostgreSQL backend, with a health check that costs no round trip.

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
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
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
