"""A server process made ready before its first request (``rexcrm.wsgi`` calls ``warm``).

Left to itself, a worker's first request pays for what Django does lazily once per process:
importing every URL module with its views and serializers (about 90 ms here). And every few
hundred requests that allocate much (a batch of 500), the garbage collector's full pass walked
every object the process had loaded, Django's and the app's modules included: 50 to 60 ms, one
batch in three slowed by as much as it costs.

``warm()`` does the import up front, then ``gc.freeze()``: what is loaded by then lives as long
as the process, and the collector's permanent generation spares it every later pass (the
pre-fork servers' practice, documented with ``gc.freeze``). It opens no connection, so it is as
safe in a server's parent process (gunicorn ``--preload``) as in each worker.
"""

import gc

from django.core.cache import caches
from django.db import connections
from django.urls import get_resolver


def warm() -> None:
    get_resolver().check()  # imports every URL module, its views and serializers (and checks them)
    gc.collect()
    gc.freeze()


def connect() -> None:
    """In a worker, before it serves (gunicorn's ``post_worker_init``, ``gunicorn.conf.py``):
    connect to the database, the cache and the rate limiter, which the first request would otherwise wait for.
    Never in a parent process: a connection must not be shared across ``fork``."""
    for connection in connections.all():
        connection.ensure_connection()
    for cache in caches.all():
        cache.get("warmup")  # opens a network cache's connection (Redis); a local one has none
    from rexcrm.core.api import ratelimit  # needs the apps loaded: not at this module's import

    ratelimit.connect()  # the rate limiter's own connection
