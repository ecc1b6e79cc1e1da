"""Every write to webhooks (conventions: ``rexcrm.core.services``). Events are appended by the
services that change objects, through ``rexcrm.events.outbox``."""

import base64
import datetime
import secrets

from django.core.exceptions import ValidationError
from django.db import transaction

from rexcrm.accounts.models import Actor, Organization
from rexcrm.core.api.renderers import dumps
from rexcrm.core.exceptions import ConflictError
from rexcrm.core.services import Writes, apply_changes, error, field_errors, lock
from rexcrm.events import types
from rexcrm.events.choices import WebhookStatus
from rexcrm.events.models import Event, Webhook
from rexcrm.events.validators import check_url

SECRET_MIN_LENGTH = 16
# A change of one of these takes effect at the next event: the worker holding the webhook stops.
_DELIVERY_FIELDS = frozenset({"url", "event_types", "secret", "status"})


def new_secret() -> str:
    """``whsec_`` and 32 random bytes in base64 (the Standard Webhooks form)."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _webhook_changes(fields: dict) -> dict:
    """URLs and event types checked (types deduplicated); a secret at least 16 characters."""
    fields = dict(fields)
    errors = {}
    if "url" in fields:
        try:
            check_url(fields["url"])
        except ValidationError as exc:
            errors["url"] = exc.error_list
    if "event_types" in fields:
        try:
            fields["event_types"] = types.clean_patterns(fields["event_types"])
        except ValidationError as exc:
            errors["event_types"] = exc.error_list
    secret = fields.get("secret")
    if isinstance(secret, str) and (len(secret) < SECRET_MIN_LENGTH or not secret.strip()):
        errors["secret"] = [
            ValidationError(
                f"Must be at least {SECRET_MIN_LENGTH} characters, not all whitespace.", code="invalid"
            )
        ]
    if errors:
        raise ValidationError(errors)
    return fields


@transaction.atomic
def webhook_create(*, org: Organization, actor: Actor, **fields) -> Webhook:
    """A webhook (``name`` and ``url`` required) for every event type unless ``event_types``
    says otherwise, signed with ``secret`` (generated if absent). It receives the events
    committed from now on."""
    fields = {"event_types": ["*"], **fields}
    if fields.get("secret") in (None, ""):
        fields["secret"] = new_secret()
    webhook = Webhook(org=org)
    apply_changes(webhook, _webhook_changes(fields), creating=True)
    webhook.cursor_txid, webhook.cursor_id = Event.objects.end()
    webhook.save(force_insert=True)
    return webhook


@transaction.atomic
def webhook_update(*, org: Organization, actor: Actor, webhook: Webhook, **changes) -> Webhook:
    """Change only the given fields. Activating a webhook (or changing its URL) retries its
    head event now and clears ``failure_count``; the worker delivering it, if any, stops
    at the next event and the new settings apply from there."""
    webhook = lock(Webhook, org=org, pk=webhook.pk)
    was_active = webhook.status == WebhookStatus.ACTIVE
    changed = apply_changes(webhook, _webhook_changes(changes))
    if not changed:
        return webhook
    if {"url", "status"} & set(changed) and webhook.status == WebhookStatus.ACTIVE:
        webhook.attempt, webhook.next_attempt_at = 0, None
        if not was_active or "url" in changed:
            webhook.failure_count = 0
        changed += ["attempt", "next_attempt_at", "failure_count"]
    if _DELIVERY_FIELDS & set(changed):
        webhook.lease_token = webhook.lease_expires_at = None
        changed += ["lease_token", "lease_expires_at"]
    webhook.save(update_fields=sorted({*changed, "updated_at"}))
    return webhook


@transaction.atomic
def webhook_delete(*, org: Organization, actor: Actor, webhook: Webhook) -> None:
    """Delete a webhook with its delivery history and pings."""
    webhook = lock(Webhook, org=org, pk=webhook.pk)
    Event.objects.filter(webhook=webhook).delete()
    webhook.delete()


@transaction.atomic
def webhook_ping(*, org: Organization, actor: Actor, webhook: Webhook) -> Event:
    """Queue a ``ping`` event for this webhook only, delivered next (after an event being
    retried, which is retried now)."""
    webhook = lock(Webhook, org=org, pk=webhook.pk)
    if webhook.status != WebhookStatus.ACTIVE:
        raise ConflictError(
            f"The webhook is {webhook.status}: set its status to active first.", field="status"
        )
    event = Event(
        org=org, webhook=webhook, type=types.PING, data=dumps({"webhook_id": webhook.typeid}).decode()
    )
    event.save(force_insert=True)
    webhook.next_attempt_at = None
    webhook.save(update_fields=["next_attempt_at", "updated_at"])
    return event


@transaction.atomic
def webhook_replay(*, org: Organization, actor: Actor, webhook: Webhook, since: datetime.datetime) -> Webhook:
    """Deliver again, in order, the events since ``since`` (those the webhook subscribes to):
    its cursor moves back to the first event that occurred at or after it (never forward)."""
    if not isinstance(since, datetime.datetime):
        raise field_errors("since", error("not_a_datetime"))
    webhook = lock(Webhook, org=org, pk=webhook.pk)
    first = (
        Event.objects.committed()
        .filter(org=org, webhook__isnull=True, occurred_at__gte=since)
        .order_by("occurred_at", "id")
        .first()
    )
    if first is None or (first.txid, first.pk) > (webhook.cursor_txid, webhook.cursor_id):
        return webhook  # nothing delivered since then
    webhook.cursor_txid, webhook.cursor_id = first.txid, first.pk - 1
    webhook.attempt, webhook.next_attempt_at = 0, None
    webhook.lease_token = webhook.lease_expires_at = None
    webhook.save(
        update_fields=[
            "cursor_txid", "cursor_id", "attempt", "next_attempt_at", "lease_token", "lease_expires_at", "updated_at",
        ]
    )  # fmt: skip
    return webhook


WEBHOOK_WRITES = Writes(Webhook, create=webhook_create, update=webhook_update, delete=webhook_delete)
