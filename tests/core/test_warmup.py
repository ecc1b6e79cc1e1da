"""A server process imports what it serves and freezes it before the first request."""

import gc
import importlib

import rexcrm.wsgi
from rexcrm.core import warmup


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
