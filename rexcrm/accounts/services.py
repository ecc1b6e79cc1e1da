"""Every write to organizations, members and API keys (conventions: ``rexcrm.core.services``)."""

import secrets
import string

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from rexcrm.accounts import selectors
from rexcrm.accounts.models import Actor, ApiKey, Organization, User, hash_api_key
from rexcrm.accounts.selectors import KEY_CACHE_SECONDS, REVOKED, apikey_cache_key, apikey_forget
from rexcrm.core.services import apply_changes, lock

_KEY_ALPHABET = string.ascii_letters + string.digits
_KEY_RANDOM_CHARS = 40  # ~238 bits; the contract asks for at least 32 characters


def organization_create(*, name: str, actor: Actor) -> Organization:
    """The organization row alone: ``rexcrm.workspace.services.organization_provision`` is what
    creates a usable one (owner login, default pipeline)."""
    return Organization.objects.create(name=name)


def organization_update(*, org: Organization, actor: Actor, **changes) -> Organization:
    """Rename an organization (its only editable field)."""
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=org.pk)
        changed = apply_changes(org, changes)
        if changed:
            org.save(update_fields=[*changed, "updated_at"])
    return org


def member_create(
    *,
    org: Organization,
    actor: Actor,
    email: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    is_staff: bool = False,
) -> User:
    return User.objects.create_user(
        email=email, password=password, org=org, first_name=first_name, last_name=last_name, is_staff=is_staff
    )


def apikey_create(*, org: Organization, actor: Actor, **fields) -> tuple[ApiKey, str]:
    """Create a key (``name``, ``scope``: read-write by default, ``environment``: live by
    default) and return it with the raw key, which is never stored or shown again."""
    key = ApiKey(org=org, created_by=actor if isinstance(actor, User) else None)
    apply_changes(key, fields, creating=True)
    raw = f"rex_{key.environment}_" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(_KEY_RANDOM_CHARS))
    key.key_hash, key.last4 = hash_api_key(raw), raw[-4:]
    key.save(force_insert=True)
    return key, raw


def apikey_revoke(*, org: Organization, actor: Actor, key: ApiKey) -> ApiKey:
    """Revoke a key (idempotent). It fails on the very next request: the database says so, and
    the cache of authenticated keys gets a tombstone in place of its entry (set at once, not on
    commit: if an enclosing transaction rolled back, the key would fail for two minutes, the
    safe side)."""
    with transaction.atomic():
        key = lock(ApiKey, org=org, pk=key.pk)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at", "updated_at"])
    cache.set(apikey_cache_key(key.key_hash), REVOKED, 2 * KEY_CACHE_SECONDS)
    apikey_forget(key.key_hash)
    return key


# When this process last made sure each key's use was recorded (``selectors._clock``): it
# asks again, in the shared cache, once per resolution period, not on every request.
_touched: dict = {}


def apikey_touch(*, key: ApiKey, resolution_seconds: int) -> None:
    """Record use, at most once per ``resolution_seconds``, so reads stay write-free. A key
    from the cache may carry an old ``last_used_at``: the shared cache then lets one request
    per period write it, and each process asks the shared cache once per period."""
    checked = selectors._clock()
    if checked - _touched.get(key.pk, -resolution_seconds) < resolution_seconds:
        return
    now = timezone.now()
    stale = key.last_used_at is None or (now - key.last_used_at).total_seconds() >= resolution_seconds
    if stale and cache.add(f"apikey-used:{key.pk.hex}", 1, resolution_seconds):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    if len(_touched) >= selectors.LOCAL_MAX_KEYS:
        _touched.clear()
    _touched[key.pk] = checked
