"""A server process imports what it serves and freezes it before the first request."""

import gc
import importlib
import os
import time

import pytest

import rexcrm.wsgi
from rexcrm.core import warmup
from rexcrm.core.api import ratelimit


def test_the_wsgi_module_warms_its_process(monkeypatch):
    calls = []
    monkeypatch.setattr(warmup, "warm", lambda: calls.append("warm"))
    importlib.reload(rexcrm.wsgi)
    assert calls == ["warm"]
    assert callable(rexcrm.wsgi.application)


def test_warm_loads_the_url_modules_and_freezes_what_is_loaded(monkeypatch):
    loaded = []
    resolver = type("Resolver", (), {"check": lambda self: loaded.append(True) or []})()
    monkeypatch.setattr(warmup, "get_resolver", lambda: resolver)
    try:
        warmup.warm()
        assert loaded == [True]
        assert gc.get_freeze_count() > 0  # the objects loaded so far: spared by every collection
    finally:
        gc.unfreeze()


def test_a_gunicorn_worker_connects_before_it_serves_only_rex_crm(monkeypatch):
    """``gunicorn.conf.py``'s ``post_worker_init`` connects a worker serving ``rexcrm.wsgi``, and
    leaves alone another application started from this folder (a benchmark's floor)."""
    import runpy
    import sys
    from pathlib import Path

    hook = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))["post_worker_init"]
    calls = []
    monkeypatch.setattr(warmup, "connect", lambda: calls.append("connect"))
    hook(worker=None)
    assert calls == ["connect"]  # rexcrm.wsgi is imported above
    monkeypatch.delitem(sys.modules, "rexcrm.wsgi")
    hook(worker=None)
    assert calls == ["connect"]


def test_connect_opens_every_database_connection_and_the_cache(monkeypatch):
    done = []
    database = type("Connection", (), {"ensure_connection": lambda self: done.append("database")})()
    cache = type("Cache", (), {"get": lambda self, key: done.append("cache")})()
    monkeypatch.setattr(warmup.connections, "all", lambda: [database])
    monkeypatch.setattr(warmup.caches, "all", lambda: [cache])
    monkeypatch.setattr(ratelimit, "connect", lambda: done.append("rate limiter"))
    warmup.connect()
    assert done == ["database", "cache", "rate limiter"]


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
def test_the_rate_limiters_connection_is_open_before_the_first_request(settings):
    settings.REDIS_URL = os.environ["REDIS_URL"]
    limiter = ratelimit._limiter(settings.REDIS_URL)
    limiter._connection().disconnect()
    ratelimit.connect()
    assert limiter._connection()._sock is not None
    assert limiter.hit(f"test:{time.time_ns()}", 1.0, 1)[0] is True  # and it serves as before


def test_the_rate_limiter_connects_nowhere_without_redis(settings):
    settings.REDIS_URL = ""
    ratelimit.connect()  # the database's buckets: nothing to open
