"""The shared cache of authenticated API keys (Redis in production; a local cache stands in)."""

import pytest
from django.core.cache import cache
from django.utils import timezone

from rexcrm.accounts import selectors
from rexcrm.accounts.models import ApiKey
from rexcrm.accounts.selectors import apikey_cache_key, apikey_for_raw_key
from rexcrm.accounts.services import apikey_revoke
from tests.helpers.queries import queries


@pytest.fixture
def shared_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    yield
    cache.clear()


def sql_of(call) -> list[str]:
    with queries() as sql:
        call()
    return sql


def test_a_cached_key_costs_no_query(shared_cache, api):
    first = sql_of(lambda: api.get("/users"))
    again = sql_of(lambda: api.get("/users"))
    assert any("accounts_apikey" in sql and "key_hash" in sql for sql in first)
    assert not any("key_hash" in sql for sql in again)
    assert len(again) < len(first)


def test_revoked_key_fails_on_the_next_request_even_when_cached(shared_cache, api):
    assert api.get("/users").status_code == 200  # now cached
    apikey_revoke(
        org=ApiKey.objects.get(pk=api.key.pk).org, actor=None, key=ApiKey.objects.get(pk=api.key.pk)
    )
    assert api.get("/users").status_code == 401


def test_a_reader_racing_a_revocation_cannot_restore_the_key(shared_cache, api):
    key = ApiKey.objects.select_related("org").get(pk=api.key.pk)
    apikey_revoke(org=key.org, actor=None, key=key)
    # A request that read the key before the revocation committed now tries to cache it:
    assert cache.add(apikey_cache_key(key.key_hash), key, 60) is False
    assert apikey_for_raw_key(api.raw_key) is None
    assert api.get("/users").status_code == 401


def test_last_used_at_is_written_once_per_period_with_cached_keys(shared_cache, api):
    writes = [
        sql
        for _ in range(5)
        for sql in sql_of(lambda: api.get("/users"))
        if sql.startswith("UPDATE") and "last_used_at" in sql
    ]
    assert len(writes) == 1
    assert ApiKey.objects.get(pk=api.key.pk).last_used_at is not None


def test_each_process_keeps_a_key_for_a_second(settings, api, monkeypatch):
    """Without Redis (or with it), a process serving a key asks again only once a second."""
    clock = [1000.0]
    monkeypatch.setattr(selectors, "_clock", lambda: clock[0])
    looked_up = lambda: any("key_hash" in sql for sql in sql_of(lambda: api.get("/users")))  # noqa: E731
    cache.clear()
    assert looked_up()
    assert not looked_up()  # this process's copy
    clock[0] += selectors.LOCAL_SECONDS
    cache.clear()
    assert looked_up()


def test_a_revocation_in_another_process_takes_effect_within_a_second(shared_cache, api, monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(selectors, "_clock", lambda: clock[0])
    assert api.get("/users").status_code == 200
    # Another process revokes: the database and the shared cache say so; this process's copy
    # does not know yet.
    key = ApiKey.objects.get(pk=api.key.pk)
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    cache.set(apikey_cache_key(key.key_hash), selectors.REVOKED, 120)
    clock[0] += selectors.LOCAL_SECONDS - 0.01
    assert api.get("/users").status_code == 200
    clock[0] += 0.01
    assert api.get("/users").status_code == 401
