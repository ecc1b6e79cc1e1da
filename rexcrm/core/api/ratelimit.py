"""Per-key rate limiting (API.md §8): a token bucket shared by every server process.

The bucket is kept as GCRA state (one number per key: the "theoretical arrival time" at which
the bucket would be full again), updated atomically in one round trip: a Lua script in Redis
when ``REDIS_URL`` is set, else one ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement in
the database. Both refill continuously at ``RATE_LIMIT_PER_MINUTE`` and hold at most
``RATE_LIMIT_BURST`` requests (default: one minute's worth). While Redis is unreachable, the
database's buckets decide (``rexcrm.core.sharedcache``): still exact across processes, from a
full bucket when a key moves from one store to the other.
"""

import math
import os
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from functools import cache

from django.conf import settings
from django.db import connection
from redis import RedisError
from rest_framework.throttling import BaseThrottle

from rexcrm.core.models import RateLimitBucket
from rexcrm.core.sharedcache import mark_down, redis_down


@dataclass(frozen=True, slots=True)
class RateDecision:
    allowed: bool
    limit: int
    remaining: int
    reset: int  # Unix seconds at which the bucket is full again
    retry_after: float  # seconds until the next request may pass (0 when allowed)

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


def _decide(allowed: bool, tat: float, now: float, interval: float, burst: int, limit: int) -> RateDecision:
    if allowed:
        remaining = max(0, math.floor((burst * interval - (tat - now)) / interval + 1e-9))
        retry_after = 0.0
    else:
        remaining = 0
        retry_after = tat + interval - burst * interval - now
    return RateDecision(allowed, limit, remaining, math.ceil(max(tat, now)), max(0.0, retry_after))


_LUA = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
if new_tat - now <= burst * interval then
  redis.call('SET', KEYS[1], tostring(new_tat), 'PX', math.ceil((new_tat - now) * 1000) + 1000)
  return {1, tostring(new_tat), tostring(now)}
end
return {0, tostring(tat), tostring(now)}
"""


class RedisLimiter:
    """The script on a connection of this thread's own, its command packed once per bucket.

    Through the client, one EVALSHA cost about 250 Python calls (the pool's checkout and
    health poll, the retry wrapper, packing five arguments, the response's parsing), the
    largest piece of a small list request. Here a thread keeps one connection (a new one in a
    forked process), sends the command it packed the first time (a bucket's arguments never
    change), and reads the reply with redis-py's parser. A connection found broken is replaced
    once, as the client's retry would; a server that lost the script (restarted) is sent it
    again (``NOSCRIPT``); any other failure is the caller's ``RedisError``.
    """

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self.script = self.client.register_script(_LUA)
        self._local = threading.local()
        self._packed: dict[tuple, list[bytes]] = {}

    def _connection(self):
        local = self._local
        if getattr(local, "pid", None) != os.getpid():  # first use in this thread or process
            pool = self.client.connection_pool
            local.connection, local.pid = pool.connection_class(**pool.connection_kwargs), os.getpid()
            local.unread = False
        return local.connection

    def _send(self, connection, command: tuple) -> None:
        packed = self._packed.get(command)
        if packed is None:
            packed = connection.pack_command("EVALSHA", self.script.sha, 1, *command)
            if len(self._packed) < 10_000:
                self._packed[command] = packed
        connection.send_packed_command(packed, check_health=False)

    def _evalsha(self, connection, command: tuple):
        self._send(connection, command)
        return connection.read_response()

    def send(self, bucket: str, interval: float, burst: int) -> Callable[[], tuple[bool, float, float]]:
        """Send the script's call and return the function that reads its answer (``hit``'s):
        the caller works meanwhile. An answer left unread (a request that failed in between) is
        read and dropped before the next call."""
        from redis.exceptions import ConnectionError, NoScriptError

        connection, command, local = self._connection(), (f"rexcrm:rl:{bucket}", interval, burst), self._local
        if local.unread:
            local.unread = False
            try:
                connection.read_response()
            except RedisError:
                connection.disconnect()
        try:
            self._send(connection, command)
        except ConnectionError:  # e.g. the server closed it: once more on a new connection
            connection.disconnect()
            self._send(connection, command)
        local.unread = True

        def answer() -> tuple[bool, float, float]:
            local.unread = False
            try:
                allowed, tat, now = connection.read_response()
            except ConnectionError:
                connection.disconnect()
                allowed, tat, now = self._evalsha(connection, command)
            except NoScriptError:  # a restarted server lost the script
                self.script.sha = self.client.script_load(_LUA)
                self._packed.clear()
                allowed, tat, now = self._evalsha(connection, command)
            return bool(allowed), float(tat), float(now)

        return answer

    def hit(self, bucket: str, interval: float, burst: int) -> tuple[bool, float, float]:
        return self.send(bucket, interval, burst)()

    def connect(self) -> None:
        self._connection().connect()


class DatabaseLimiter:
    def hit(self, bucket: str, interval: float, burst: int) -> tuple[bool, float, float]:
        now = time.time()
        table = connection.ops.quote_name(RateLimitBucket._meta.db_table)
        greatest = "GREATEST" if connection.vendor == "postgresql" else "MAX"
        # The bucket's new state if this request is let through; a first request always is.
        then = f"{greatest}({table}.tat, %(now)s) + %(interval)s"
        fits = f"{then} - %(now)s <= %(capacity)s"
        sql = (
            f'INSERT INTO {table} ("key", tat, allowed) VALUES (%(key)s, %(now)s + %(interval)s, TRUE) '
            f'ON CONFLICT ("key") DO UPDATE SET tat = CASE WHEN {fits} THEN {then} ELSE {table}.tat END, '
            f"allowed = {fits} RETURNING tat, allowed"
        )
        params = {"key": bucket, "now": now, "interval": interval, "capacity": burst * interval}
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            tat, allowed = cursor.fetchone()
        return bool(allowed), float(tat), now


_DATABASE = DatabaseLimiter()


@cache
def _limiter(redis_url: str):
    return RedisLimiter(redis_url) if redis_url else _DATABASE


def connect() -> None:
    """Open this thread's connection to Redis now (a worker before it serves: ``rexcrm.core.
    warmup.connect``), not on the first request. Redis down: the first request finds out."""
    limiter = _limiter(settings.REDIS_URL)
    if limiter is not _DATABASE:
        with suppress(RedisError):
            limiter.connect()


def _start(bucket: str, interval: float, burst: int) -> Callable[[], tuple[bool, float, float]]:
    """The request counted against ``bucket``, its answer read by the function returned: from
    Redis, or the database's buckets while Redis is down (or it fails meanwhile)."""
    limiter = _limiter(settings.REDIS_URL)
    if limiter is not _DATABASE and not redis_down():
        try:
            answer = limiter.send(bucket, interval, burst)
        except RedisError as exc:
            mark_down("rate limiter", exc)
        else:

            def read():
                try:
                    return answer()
                except RedisError as exc:
                    mark_down("rate limiter", exc)
                    return _DATABASE.hit(bucket, interval, burst)

            return read
    result = _DATABASE.hit(bucket, interval, burst)
    return lambda: result


def start_rate(
    bucket: str, *, limit: int | None = None, burst: int | None = None
) -> Callable[[], RateDecision]:
    """One request against ``bucket`` (``check_rate``), its decision read when the returned
    function is called: with Redis, the caller works while the script runs."""
    config = settings.REX_API
    limit = limit or config["RATE_LIMIT_PER_MINUTE"]
    burst = burst or config["RATE_LIMIT_BURST"] or limit
    interval = 60.0 / limit
    read = _start(bucket, interval, burst)

    def decision() -> RateDecision:
        allowed, tat, now = read()
        return _decide(allowed, tat, now, interval, burst, limit)

    return decision


def check_rate(bucket: str, *, limit: int | None = None, burst: int | None = None) -> RateDecision:
    """One request against ``bucket``: ``limit`` per minute, ``burst`` at once (the API key
    settings by default; sign-in attempts pass their own)."""
    return start_rate(bucket, limit=limit, burst=burst)()


def key_bucket(key) -> str:
    return f"key:{key.pk.hex}"


class ApiKeyRateThrottle(BaseThrottle):
    """DRF throttle: one bucket per API key; the decision is kept for the response headers.
    (A read's decision is read later: ``ApiViewMixin``.)"""

    def allow_request(self, request, view):
        start = self.start(request)
        return True if start is None else self.decided(request, start())

    def start(self, request) -> Callable[[], RateDecision] | None:
        """The request counted, its decision read when the function returned is called (None
        without a key: nothing to count)."""
        return None if request.auth is None else start_rate(key_bucket(request.auth))

    def decided(self, request, decision: RateDecision) -> bool:
        self.decision = decision
        request._request.rate_limit = decision  # for the response's headers
        return decision.allowed

    def wait(self):
        return math.ceil(self.decision.retry_after)
