"""Redis is an accelerator the API survives without (bench/drills.py, drill 3).

When Redis cannot be reached, each process notices on its first failed command, logs one
warning, and for ``DOWN_SECONDS`` does without it before trying again: the rate limiter uses
the database's buckets (``rexcrm.core.api.ratelimit``; limits stay exact across processes) and
the key cache reads the database (``rexcrm.accounts.selectors``). No request waits on a dead
Redis more than once per period and process.
"""

import logging
import time

from django.core.cache import cache
from redis import RedisError

logger = logging.getLogger("rexcrm.redis")

DOWN_SECONDS = 5.0
_down_until = 0.0


def redis_down() -> bool:
    return time.monotonic() < _down_until


def mark_down(what: str, exc: Exception) -> None:
    global _down_until
    if not redis_down():
        logger.warning(
            "Redis unavailable (%s: %s); doing without it for %ss", what, type(exc).__name__, DOWN_SECONDS
        )
    _down_until = time.monotonic() + DOWN_SECONDS


def mark_up() -> None:
    """Forget a failure (tests)."""
    global _down_until
    _down_until = 0.0


def cache_call(method: str, *args, default=None):
    """``cache.<method>(*args)``, or ``default`` while Redis is unreachable."""
    if redis_down():
        return default
    try:
        return getattr(cache, method)(*args)
    except RedisError as exc:
        mark_down(f"cache.{method}", exc)
        return default
