"""Named reads of accounts data: an API key by its raw value, through two caches."""

import time

from django.db.models import BooleanField, Value
from django.db.models.functions import Coalesce

from rexcrm.accounts.models import ApiKey, hash_api_key
from rexcrm.core.sharedcache import cache_call

# Authenticated keys are cached twice, which takes the database (and mostly Redis) off every
# API request:
# - in Redis (the shared cache; see CACHES) for KEY_CACHE_SECONDS. Revoking writes a tombstone
#   over the entry before the DELETE returns, and entries are only ever added (never
#   overwritten) by readers, so a reader racing a revocation cannot put the live key back;
# - in each process for LOCAL_SECONDS, so a process serving a key many times a second asks
#   Redis once a second. A revoked key is refused at once by the process that revoked it and
#   within LOCAL_SECONDS by every other.
# A key stops working when it is revoked or when the member who created it is deactivated
# (``apikey_usable``); only usable keys are cached, and deactivating a member puts tombstones
# over their keys' entries as revoking does (``rexcrm.accounts.services.member_set_active``).
# While Redis is unreachable, keys are read from the database (``cache_call``).
KEY_CACHE_SECONDS = 60
LOCAL_SECONDS = 1.0
LOCAL_MAX_KEYS = 10_000
REVOKED = "revoked"
_local: dict[str, tuple[float, ApiKey]] = {}
_clock = time.monotonic


def apikey_cache_key(key_hash: str) -> str:
    return f"apikey:{key_hash}"


def apikey_for_raw_key(raw_key: str) -> ApiKey | None:
    """The key (with its organization) for a raw key, or None; revoked keys come back with
    ``revoked_at`` set, or as None once their tombstone is cached. Check ``apikey_usable``."""
    key_hash = hash_api_key(raw_key)
    now = _clock()
    local = _local.get(key_hash)
    if local is not None and now - local[0] < LOCAL_SECONDS:
        return local[1]
    key = _shared_apikey(key_hash)
    if key is not None and apikey_usable(key):
        if len(_local) >= LOCAL_MAX_KEYS:
            _local.clear()
        _local[key_hash] = (now, key)
    else:
        _local.pop(key_hash, None)
    return key


def apikey_usable(key: ApiKey) -> bool:
    """Not revoked, and its creator (if a member created it) still active. ``key`` comes from
    ``apikey_for_raw_key``, which reads whether the creator is active with the key."""
    # getattr: an entry cached by a process of the previous release has no ``creator_active``
    # (during a rolling deploy, for at most KEY_CACHE_SECONDS).
    return key.revoked_at is None and getattr(key, "creator_active", True)


def apikey_forget(key_hash: str) -> None:
    """Drop a key from this process's cache (a revocation here takes effect at once)."""
    _local.pop(key_hash, None)


def _shared_apikey(key_hash: str) -> ApiKey | None:
    cached = cache_call("get", apikey_cache_key(key_hash))
    if cached is not None:
        return None if cached == REVOKED else cached
    key = (
        ApiKey.objects.select_related("org")
        .annotate(creator_active=Coalesce("created_by__is_active", Value(True), output_field=BooleanField()))
        .filter(key_hash=key_hash)
        .first()
    )
    if key is not None and apikey_usable(key):
        cache_call("add", apikey_cache_key(key_hash), key, KEY_CACHE_SECONDS)
    return key
