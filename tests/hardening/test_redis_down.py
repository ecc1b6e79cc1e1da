"""Redis down (REDIS_URL at a closed port): the API keeps serving from the database.

The documented degrade (rexcrm/core/sharedcache.py, bench/drills.py drill 3): the rate limiter
falls back to the database's buckets, still exact across processes, and sign-in throttling with
it; authenticated keys are read from the database, so a revocation still refuses the very next
request. One warning per process and period, not one per request.
"""

import logging
import secrets

import pytest
from django.conf import settings
from django.test import Client

from rexcrm.accounts import selectors
from rexcrm.core import sharedcache
from rexcrm.core.models import RateLimitBucket
from tests.conftest import error_of
from tests.factories import UserFactory

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1


@pytest.fixture(autouse=True)
def redis_down(settings):
    settings.REDIS_URL = CLOSED
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED,
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5},
        }
    }
    selectors._local.clear()
    sharedcache.mark_up()
    yield
    selectors._local.clear()
    sharedcache.mark_up()


def test_the_api_reads_and_writes_without_redis(api, caplog):
    caplog.set_level(logging.WARNING, logger="rexcrm.redis")
    created = api.post("/contacts", {"email": f"{secrets.token_hex(4)}@acme.example", "first_name": "Ada"})
    assert created.status_code == 201, created.content
    contact_id = created.json()["data"]["id"]
    assert api.get(f"/contacts/{contact_id}").status_code == 200
    for _ in range(5):
        listed = api.get("/contacts")
        assert listed.status_code == 200
        assert listed["X-RateLimit-Limit"] == str(settings.REX_API["RATE_LIMIT_PER_MINUTE"])
    warnings = [r for r in caplog.records if r.name == "rexcrm.redis"]
    assert len(warnings) == 1  # once per process and period, not once per request
    assert "Redis unavailable" in warnings[0].getMessage()


def test_the_rate_limit_stays_exact_in_the_database(api, settings):
    settings.REX_API = {**settings.REX_API, "RATE_LIMIT_PER_MINUTE": 60, "RATE_LIMIT_BURST": 3}
    statuses = [api.get("/users").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    error = error_of(api.get("/users"))
    assert error["code"] == "rate_limit_exceeded"
    assert RateLimitBucket.objects.filter(key=f"key:{api.key.pk.hex}").exists()


def test_a_revoked_key_is_refused_at_once(api, make_api, org):
    other = make_api(org)
    assert other.get("/users").status_code == 200
    assert api.delete(f"/apikeys/{other.key.typeid}").status_code in (200, 204)
    selectors._local.clear()  # as another process would see it, a second later
    assert error_of(other.get("/users"))["code"] == "unauthorized"


def test_a_deactivated_members_keys_are_refused(org, make_api):
    from rexcrm.accounts.services import apikey_create, member_set_active

    member = UserFactory(org=org, email=f"rep-{secrets.token_hex(4)}@acme.example")
    _, raw = apikey_create(org=org, actor=member, name="rep", scope="read")
    client = Client(HTTP_X_API_KEY=raw)
    assert client.get("/api/users").status_code == 200
    member_set_active(org=org, actor=None, member=member, active=False)
    selectors._local.clear()
    assert client.get("/api/users").status_code == 401


def test_sign_in_throttling_still_holds(org):
    password = "correct horse battery staple"
    user = UserFactory(org=org, email=f"boss-{secrets.token_hex(4)}@acme.example")
    user.set_password(password)
    user.save()
    client = Client(REMOTE_ADDR=f"10.9.{secrets.randbelow(256)}.{secrets.randbelow(256)}")
    for attempt in range(10):
        client.post("/login/", {"username": user.email, "password": f"guess {attempt}"})
    client.post("/login/", {"username": user.email, "password": password})
    assert "_auth_user_id" not in client.session  # throttled by the database's buckets
