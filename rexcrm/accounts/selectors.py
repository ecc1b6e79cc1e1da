"""Named reads of accounts data: an API key by its raw value, through the shared cache."""

from django.core.cache import cache

from rexcrm.accounts.models import ApiKey, hash_api_key

# Authenticated keys are cached (Redis only, see CACHES) for KEY_CACHE_SECONDS, which takes a
# database query off every API request. Revoking writes a tombstone over the entry before the
# DELETE returns, and entries are only ever added (never overwritten) by readers, so a reader
# racing a revocation cannot put the live key back.
KEY_CACHE_SECONDS = 60
REVOKED = "revoked"


def apikey_cache_key(key_hash: str) -> str:
    return f"apikey:{key_hash}"


def apikey_for_raw_key(raw_key: str) -> ApiKey | None:
    """The key (with its organization) for a raw key, or None; revoked keys come back with
    ``revoked_at`` set, or as None once their tombstone is cached."""
    key_hash = hash_api_key(raw_key)
    cached = cache.get(apikey_cache_key(key_hash))
    if cached is not None:
        return None if cached == REVOKED else cached
    key = ApiKey.objects.select_related("org").filter(key_hash=key_hash).first()
    if key is not None and key.revoked_at is None:
        cache.add(apikey_cache_key(key_hash), key, KEY_CACHE_SECONDS)
    return key
