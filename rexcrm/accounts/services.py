"""Every write to organizations, members and API keys (conventions: ``rexcrm.core.services``)."""

import logging
import secrets
import string

from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from redis import RedisError

from rexcrm.accounts import selectors
from rexcrm.accounts.models import Actor, ApiKey, Organization, User, hash_api_key
from rexcrm.accounts.selectors import KEY_CACHE_SECONDS, REVOKED, apikey_cache_key, apikey_forget
from rexcrm.core.exceptions import ConflictError
from rexcrm.core.services import apply_changes, clean_value, lock
from rexcrm.core.sharedcache import cache_call, mark_down

logger = logging.getLogger("rexcrm.accounts")

_KEY_ALPHABET = string.ascii_letters + string.digits
_KEY_RANDOM_CHARS = 40  # ~238 bits; the contract asks for at least 32 characters


def organization_create(*, name: str, actor: Actor) -> Organization:
    """The organization row alone: ``rexcrm.workspace.services.organization_provision`` is what
    creates a usable one (owner login, default pipeline)."""
    org = Organization()
    apply_changes(org, {"name": name}, creating=True)
    org.save(force_insert=True)
    return org


def organization_update(*, org: Organization, actor: Actor, **changes) -> Organization:
    """Rename an organization (its only editable field)."""
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=org.pk)
        changed = apply_changes(org, changes)
        if changed:
            org.save(update_fields=[*changed, "updated_at"])
    return org


def _password_errors(password, member: User) -> list[ValidationError]:
    """Django's password validation (``AUTH_PASSWORD_VALIDATORS``): length, common passwords,
    likeness to the member's name and email, all digits."""
    if not isinstance(password, str):
        return [ValidationError("Must be a string.", code="invalid")]
    try:
        validate_password(password, member)
    except ValidationError as exc:
        return exc.error_list
    return []


@transaction.atomic
def member_create(
    *,
    org: Organization,
    actor: Actor,
    email: str,
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    time_zone: str = "UTC",
    is_staff: bool = False,
) -> User:
    """A team member signing in with ``email`` and ``password`` (Django's password validation
    applies), or with no password yet (``None``): they choose one through a one-time sign-in
    link (``rexcrm.accounts.views``). ``is_staff`` makes them an administrator of the
    organization; ``time_zone`` (an IANA name) is the zone their pages show times in. Emails are logins, unique across the installation (compared case-insensitively):
    a taken one is a ``ConflictError`` on ``email``."""
    member = User(org=org, is_staff=bool(is_staff))
    errors: dict[str, list] = {}
    try:
        email = clean_value(User, User._meta.get_field("email"), email, org_id=None)
    except ValidationError as exc:
        errors["email"] = exc.error_list
    try:
        apply_changes(
            member, {"first_name": first_name, "last_name": last_name, "time_zone": time_zone}, creating=True
        )
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if not errors:
        member.email = User.objects.normalize_email(email)
        if password is not None and (problems := _password_errors(password, member)):
            errors["password"] = problems
    if errors:
        raise ValidationError(errors)
    taken = ConflictError("A member with this email already exists.", field="email")
    if User.objects.filter(email__iexact=member.email).exists():
        raise taken
    if password is None:
        member.set_unusable_password()
    else:
        member.set_password(password)
    try:
        with transaction.atomic():
            member.save(force_insert=True)
    except IntegrityError:  # the same email, created meanwhile
        raise taken from None
    return member


@transaction.atomic
def member_update(*, org: Organization, actor: Actor, member: User, **changes) -> User:
    """Change a member's ``first_name``, ``last_name`` and/or ``time_zone`` (only the fields
    given; a time zone is an IANA name such as ``Europe/Paris``)."""
    member = lock(User, org=org, pk=member.pk)
    changed = apply_changes(member, changes)
    if changed:
        member.save(update_fields=[*changed, "updated_at"])
    return member


@transaction.atomic
def member_set_password(*, org: Organization, actor: Actor, member: User, password: str) -> User:
    """Set a member's password (Django's password validation; errors keyed ``password``). Their
    other sessions end (the session hash changes); the caller keeps its own session with
    ``update_session_auth_hash`` when the member changed it themselves."""
    member = lock(User, org=org, pk=member.pk)
    if problems := _password_errors(password, member):
        raise ValidationError({"password": problems})
    member.set_password(password)
    member.save(update_fields=["password", "updated_at"])
    return member


def member_set_active(*, org: Organization, actor: Actor, member: User, active: bool) -> User:
    """Deactivate (``active=False``) or reactivate a member. A deactivated member cannot sign in
    (their sessions end at their next request: Django's backend refuses inactive users) and the
    API keys they created stop working: refused at once by this process, and by the others
    within a second (the shared cache gets a tombstone over each key, as for a revocation).
    Reactivating gives the keys back (unless revoked meanwhile). Members cannot deactivate
    themselves (an organization always keeps the administrator who acts). The keys follow the
    member's state even when it is already stored (the admin's form saves ``is_active`` first)."""
    if not isinstance(active, bool):
        raise ValidationError({"is_active": ValidationError("Must be true or false.", code="invalid")})
    with transaction.atomic():
        member = lock(User, org=org, pk=member.pk)
        if member.is_active != active:
            if not active and isinstance(actor, User) and actor.pk == member.pk:
                raise ConflictError("You cannot deactivate yourself.", field="is_active")
            member.is_active = active
            member.save(update_fields=["is_active", "updated_at"])
        hashes = list(
            ApiKey.objects.for_org(org)
            .filter(created_by=member, revoked_at__isnull=True)
            .values_list("key_hash", flat=True)
        )
    # Reactivating: a reader that saw the member inactive cached nothing, so dropping the
    # tombstones is enough.
    for key_hash in hashes:
        if active:
            cache_call("delete", apikey_cache_key(key_hash))
        else:
            _refuse(key_hash)
    return member


@transaction.atomic
def member_set_admin(*, org: Organization, actor: Actor, member: User, admin: bool) -> User:
    """Make a member an administrator of the organization (``is_staff``), or a member again.
    Members cannot demote themselves (an organization always keeps the administrator who acts)."""
    if not isinstance(admin, bool):
        raise ValidationError({"is_staff": ValidationError("Must be true or false.", code="invalid")})
    member = lock(User, org=org, pk=member.pk)
    if member.is_staff != admin:
        if not admin and isinstance(actor, User) and actor.pk == member.pk:
            raise ConflictError("You cannot remove your own administrator rights.", field="is_staff")
        member.is_staff = admin
        member.save(update_fields=["is_staff", "updated_at"])
    return member


@transaction.atomic
def user_set_superuser(*, actor: Actor, user: User, superuser: bool) -> User:
    """Make a user a platform superuser (every organization's data in the admin), or not. Only
    a superuser may, and never on themselves (the installation keeps the superuser who acts);
    a superuser is the platform's, not an organization's, so ``user`` may be of any organization
    or none."""
    if not isinstance(superuser, bool):
        raise ValidationError({"is_superuser": ValidationError("Must be true or false.", code="invalid")})
    if not (isinstance(actor, User) and actor.is_superuser):
        raise ConflictError("Only a superuser can make or unmake superusers.", field="is_superuser")
    user = User.objects.select_for_update().get(pk=user.pk)
    if user.is_superuser != superuser:
        if actor.pk == user.pk:
            raise ConflictError("You cannot remove your own superuser status.", field="is_superuser")
        user.is_superuser = superuser
        user.save(update_fields=["is_superuser", "updated_at"])
    return user


def _refuse(key_hash: str) -> None:
    """Refuse a key from the next request on: a tombstone over its shared cache entry (set at
    once, not on commit: if an enclosing transaction rolled back, the key would fail for two
    minutes, the safe side), and this process's copy dropped. With Redis unreachable, no process
    can read a stale entry from it meanwhile (each reads the database), but an entry cached
    before the outage would come back with Redis for what is left of its KEY_CACHE_SECONDS:
    so the tombstone is always tried, and a failure logged as an error."""
    apikey_forget(key_hash)
    try:
        cache.set(apikey_cache_key(key_hash), REVOKED, 2 * KEY_CACHE_SECONDS)
    except RedisError as exc:
        mark_down("key tombstone", exc)
        logger.error("A revoked key's tombstone was not written (Redis unreachable)")


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
    the cache of authenticated keys gets a tombstone in place of its entry (``_refuse``)."""
    with transaction.atomic():
        key = lock(ApiKey, org=org, pk=key.pk)
        if key.revoked_at is None:
            key.revoked_at = timezone.now()
            key.save(update_fields=["revoked_at", "updated_at"])
    _refuse(key.key_hash)
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
    # Redis unreachable: each process writes once per period (``default=True``).
    if stale and cache_call("add", f"apikey-used:{key.pk.hex}", 1, resolution_seconds, default=True):
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    if len(_touched) >= selectors.LOCAL_MAX_KEYS:
        _touched.clear()
    _touched[key.pk] = checked
