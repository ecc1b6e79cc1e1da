"""Every write to organizations, members and API keys."""

import secrets
import string

from django.core.cache import cache
from django.utils import timezone

from rexcrm.accounts.choices import ApiKeyEnvironment, ApiKeyScope
from rexcrm.accounts.models import ApiKey, Organization, User, hash_api_key
from rexcrm.accounts.selectors import KEY_CACHE_SECONDS, REVOKED, apikey_cache_key

_KEY_ALPHABET = string.ascii_letters + string.digits
_KEY_RANDOM_CHARS = 40  # ~238 bits; the contract asks for at least 32 characters


def organization_create(*, name: str, actor=None) -> Organization:
    """The organization row alone: ``rexcrm.workspace.services.organization_provision`` is what
    creates a usable one (owner login, default pipeline)."""
    return Organization.objects.create(name=name)


def member_create(
    *,
    org: Organization,
    actor=None,
    email: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
) -> User:
    return User.objects.create_user(
        email=email, password=password, org=org, first_name=first_name, last_name=last_name, is_staff=is_staff
    )


def apikey_create(
    *,
    org: Organization,
    name: str = "",
    scope: str = ApiKeyScope.READ_WRITE,
    environment: str = ApiKeyEnvironment.LIVE,
    created_by: User | None = None,
) -> tuple[ApiKey, str]:
    """Create a key and return it with the raw key, which is never stored or shown again."""
    raw = f"rex_{environment}_" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(_KEY_RANDOM_CHARS))
    key = ApiKey.objects.create(
        org=org,
        name=name,
        scope=scope,
        environment=environment,
        key_hash=hash_api_key(raw),
        last4=raw[-4:],
        created_by=created_by,
    )
    return key, raw


def apikey_revoke(*, key: ApiKey) -> ApiKey:
    """Revoke a key. It fails on the very next request: the database says so, and the cache of
    authenticated keys gets a tombstone in place of its entry (set at once, not on commit: if
    an enclosing transaction rolled back, the key would fail for two minutes, the safe side)."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
    cache.set(apikey_cache_key(key.key_hash), REVOKED, 2 * KEY_CACHE_SECONDS)
    return key


def apikey_touch(*, key: ApiKey, resolution_seconds: int) -> None:
    """Record use, at most once per ``resolution_seconds``, so reads stay write-free. A key
    from the cache may carry an old ``last_used_at``: the shared cache then lets one request
    per period write it."""
    now = timezone.now()
    stale = key.last_used_at is None or (now - key.last_used_at).total_seconds() >= resolution_seconds
    if stale and cache.add(f"apikey-used:{key.pk.hex}", 1, resolution_seconds):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
