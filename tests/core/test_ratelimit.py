"""Per-key token bucket (API.md §8): headers, 429, and state shared outside the process."""

import os
import threading
import time

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.test import override_settings

from activities.models import Activity
from rexcrm.core import sharedcache
from rexcrm.core.api import ratelimit
from rexcrm.core.models import RateLimitBucket
from tests.conftest import error_of
from tests.factories import ActivityFactory


def limited(per_minute, burst=None):
    return override_settings(
        REX_API={**settings.REX_API, "RATE_LIMIT_PER_MINUTE": per_minute, "RATE_LIMIT_BURST": burst}
    )


def test_headers_on_every_keyed_response(org, make_api):
    api = make_api(org)
    read = make_api(org, scope="read")
    for response in [
        api.get("/users"),
        api.get("/users/user_bad"),
        read.post("/apikeys", {"scope": "read"}),
        api.post("/apikeys", {"scope": "bad"}),
    ]:
        assert response["X-RateLimit-Limit"] == "1000", response.status_code
        assert 0 <= int(response["X-RateLimit-Remaining"]) < 1000
        assert int(response["X-RateLimit-Reset"]) >= int(time.time())


@limited(per_minute=60, burst=1000)  # one token a second: the count cannot refill between requests
def test_remaining_counts_down_per_key(org, make_api):
    first, second = make_api(org), make_api(org)
    remaining = [int(first.get("/users")["X-RateLimit-Remaining"]) for _ in range(3)]
    assert remaining == [999, 998, 997]
    assert second.get("/users")["X-RateLimit-Remaining"] == "999"  # its own bucket


@limited(per_minute=60, burst=3)
def test_over_the_limit_is_429_with_retry_after(org, make_api):
    api = make_api(org)
    assert [api.get("/users").status_code for _ in range(3)] == [200, 200, 200]
    response = api.get("/users")
    assert response.status_code == 429
    error = error_of(response)
    assert error["code"] == "rate_limit_exceeded"
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 1  # one token every second at 60/min
    assert error["message"] == f"Rate limit exceeded. Retry after {retry_after} seconds."
    assert response["X-RateLimit-Remaining"] == "0"
    assert response["X-RateLimit-Limit"] == "60"


@limited(per_minute=300, burst=2)
def test_bucket_refills_over_time(org, make_api):
    api = make_api(org)
    assert [api.get("/users").status_code for _ in range(3)] == [200, 200, 429]
    time.sleep(0.25)  # 300/min = one token per 200 ms
    assert api.get("/users").status_code == 200


def test_gcra_decision_arithmetic():
    # 60/min (1 s per token), burst 5: a fresh bucket after one request has 4 left, full at now+1.
    decision = ratelimit._decide(True, tat=101.0, now=100.0, interval=1.0, burst=5, limit=60)
    assert (decision.remaining, decision.reset, decision.retry_after) == (4, 101, 0.0)
    refused = ratelimit._decide(False, tat=105.0, now=100.0, interval=1.0, burst=5, limit=60)
    assert (refused.allowed, refused.remaining, refused.retry_after) == (False, 0, 1.0)


def _hammer(limiter, bucket, count, results):
    for _ in range(count):
        results.append(limiter.hit(bucket, 1.0, 10)[0])


@pytest.mark.django_db(transaction=True)
def test_database_backend_is_shared_between_connections():
    """Two threads hold two database connections, as two server processes would."""
    results: list[bool] = []
    threads = [
        threading.Thread(target=_hammer, args=(ratelimit.DatabaseLimiter(), "shared", 8, results))
        for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 16
    assert results.count(True) == 10  # the burst, shared: not 10 per connection


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's unlogged tables")
def test_database_buckets_are_unlogged(db):
    """A bucket's upsert commits without waiting for the write-ahead log's flush (migration
    ``core.0003``): the buckets are seconds of state, refilled if a crash empties them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relpersistence FROM pg_class WHERE relname = %s", [RateLimitBucket._meta.db_table]
        )
        assert cursor.fetchone() == ("u",)


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
def test_redis_backend_is_shared_between_clients():
    bucket = f"test:{time.time_ns()}"
    results: list[bool] = []
    for limiter in [
        ratelimit.RedisLimiter(os.environ["REDIS_URL"]),
        ratelimit.RedisLimiter(os.environ["REDIS_URL"]),
    ]:
        _hammer(limiter, bucket, 8, results)
    assert results.count(True) == 10


@limited(per_minute=60, burst=1)
def test_a_refused_read_runs_no_query(org, make_api):
    """A read's decision is read before its first SQL statement (the round trip overlaps the
    work before it): a refused read queries nothing."""
    api = make_api(org)
    ActivityFactory(org=org)
    assert api.get("/activities").status_code == 200
    ran = []

    def record(execute, sql, params, many, context):  # what the database answered (a log
        result = execute(sql, params, many, context)  # would hold a refused statement too)
        ran.append(sql)
        return result

    with connection.execute_wrapper(record):
        response = api.get("/activities")
    assert response.status_code == 429 and error_of(response)["code"] == "rate_limit_exceeded"
    assert [sql for sql in ran if "activities_activity" in sql] == []
    assert response["Retry-After"] == "1" and response["X-RateLimit-Remaining"] == "0"


@limited(per_minute=60, burst=1)
def test_a_refused_read_is_429_before_its_own_errors(org, make_api):
    """API.md's order (401, 429, 403, 400…) holds for reads decided late: a 403, a 400 or a
    404 that the read would have answered is a 429 once the bucket is empty."""
    capture = make_api(org, scope="capture-only")
    assert capture.get("/activities").status_code == 403
    assert capture.get("/activities").status_code == 429
    api = make_api(org)
    assert api.get("/activities").status_code == 200
    for path in ["/activities?bogus=1", "/activities/act_bad", f"/activities/{Activity().typeid}"]:
        response = api.get(path)
        assert response.status_code == 429, path
        assert response["X-RateLimit-Limit"] == "60"


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
def test_an_answer_left_unread_is_dropped_before_the_next_call():
    """A request that failed between counting and reading its decision leaves the answer on
    the connection: the next call reads past it, and the request it counted stays counted."""
    limiter = ratelimit.RedisLimiter(os.environ["REDIS_URL"])
    bucket = f"test:{time.time_ns()}"
    limiter.send(bucket, 1.0, 2)  # never read
    assert limiter.hit(bucket, 1.0, 2)[0] is True
    assert limiter.hit(bucket, 1.0, 2)[0] is False


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
@pytest.mark.django_db
def test_an_answer_that_fails_is_decided_by_the_database(monkeypatch):
    def send(bucket, interval, burst):
        def answer():
            raise redis.ConnectionError("gone")

        return answer

    monkeypatch.setattr(ratelimit._limiter(settings.REDIS_URL), "send", send)
    try:
        decision = ratelimit.check_rate(f"test:{time.time_ns()}", limit=60, burst=1)
        assert decision.allowed and sharedcache.redis_down()
        assert RateLimitBucket.objects.count() == 1
    finally:
        sharedcache.mark_up()
