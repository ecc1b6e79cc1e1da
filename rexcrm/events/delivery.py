"""Webhook delivery, the worker's job: each active webhook walks the event log in order.

A turn claims up to ``CLAIM`` webhooks that are due and have events past their cursor
(``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent workers claim different
ones; SQLite serializes the claim), and leases them to this worker for ``LEASE_SECONDS``. For
each, it POSTs the next events after the cursor, one at a time, in log order:

- a 2xx within the timeout: the next event goes; the delivery rows and the cursor past them
  are recorded together (every 50 events or second, in one transaction that also renews the
  lease);
- anything else (an error status, a 3xx, a timeout, a refused address): the attempt is
  recorded and the webhook waits until its next retry (backoff with jitter, at least the
  ``Retry-After`` of a 429) — later events wait behind it, which keeps them in order. After
  ``MAX_ATTEMPTS`` (about a day) the event is given up (``failure_count`` + 1) and the cursor
  moves on; while the previous event was given up, each later event gets one attempt only
  (the endpoint has been failing for a day). ``DISABLE_AFTER`` failed events in a row, or a
  410, disable the webhook.

Every write is conditional on the lease token, so a worker whose lease was taken over (it
stalled past the lease, or the webhook was replayed or changed) stops. A worker killed before
recording (mid-send, or with successes not yet recorded) moved no cursor: when its lease
expires another worker (or itself, restarted) sends those events again — at least once;
receivers dedupe by event id.
"""

import base64
import binascii
import datetime
import hashlib
import hmac
import logging
import random
import time
import uuid
from dataclasses import dataclass, field

import orjson
import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone
from requests_hardened import Config, Manager
from requests_hardened.ip_filter import InvalidIPAddress

from rexcrm.core import clock
from rexcrm.core.api.renderers import dumps
from rexcrm.events.choices import DeliveryStatus, WebhookStatus
from rexcrm.events.models import Delivery, Event, Webhook
from rexcrm.events.types import matches
from rexcrm.events.validators import check_url

logger = logging.getLogger("rexcrm.webhooks")

CLAIM = 10  # webhooks per turn
BATCH = 100  # events read at once per webhook
TURN_SECONDS = 5.0  # a webhook's share of a turn, so that busy webhooks do not starve the others
FLUSH_EVERY, FLUSH_SECONDS = 50, 1.0  # successes recorded together (one transaction)
MAX_ATTEMPTS = 9  # the first and 8 retries: 30 s x 3^n, about 27 h in all
DISABLE_AFTER = 20  # failed events in a row
USER_AGENT = "RexCRM-Webhooks/1.0"


def retry_delay(attempt: int) -> datetime.timedelta:
    """The wait after failed attempt ``attempt`` (1-based): 30 s x 3^(attempt-1), ±20 % jitter."""
    return datetime.timedelta(seconds=30 * 3 ** (attempt - 1) * random.uniform(0.8, 1.2))


def config(name: str):
    return settings.REX_WEBHOOKS[name]


# -- signing ---------------------------------------------------------------------------------


def body_of(event: Event) -> bytes:
    return dumps(
        {
            "id": event.typeid,
            "event": event.type,
            "type": event.type,
            "timestamp": event.occurred_at,
            "actor_id": event.actor_id or None,
            "data": orjson.Fragment(event.data),
        }
    )


def signature_headers(*, secret: str, event_id: str, body: bytes, timestamp: int) -> dict[str, str]:
    """``X-Rex-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed by the secret>``, and
    the Standard Webhooks headers (``webhook-id``, ``webhook-timestamp``, and ``webhook-signature``
    when the secret is a ``whsec_`` + base64 one, as the generated secrets are)."""
    signed = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "X-Rex-Signature": f"t={timestamp},v1={signed}",
        "webhook-id": event_id,
        "webhook-timestamp": str(timestamp),
    }
    try:
        key = base64.b64decode(secret.removeprefix("whsec_"), validate=True)
    except (binascii.Error, ValueError):
        return headers
    standard = hmac.new(key, f"{event_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    headers["webhook-signature"] = "v1," + base64.b64encode(standard).decode()
    return headers


# -- sending ---------------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    status_code: int | None = None
    duration_ms: int = 0
    error: str = ""
    retry_after: float | None = None  # seconds, from a 429's Retry-After
    at: datetime.datetime = field(default_factory=clock.now)  # when it was sent


def http_session():
    """A requests session that resolves the host once per connection and refuses loopback (unless
    ``ALLOW_LOOPBACK``), private, link-local (cloud metadata), CGNAT and multicast addresses,
    connecting to the address it checked (no DNS rebinding between check and use), and never
    follows a redirect (requests-hardened)."""
    timeout = config("TIMEOUT")
    return Manager(
        Config(
            ip_filter_enable=True,
            ip_filter_allow_loopback_ips=config("ALLOW_LOOPBACK"),
            never_redirect=True,
            default_timeout=(timeout, timeout),
            user_agent_override=USER_AGENT,
        )
    ).get_session()


def send(session, webhook: Webhook, event: Event) -> Outcome:
    try:
        check_url(webhook.url)
    except ValidationError as exc:
        return Outcome(False, error=exc.messages[0])
    body = body_of(event)
    headers = {
        "Content-Type": "application/json",
        **signature_headers(
            secret=webhook.secret, event_id=event.typeid, body=body, timestamp=int(time.time())
        ),
    }
    began = time.monotonic()
    try:
        with session.post(webhook.url, data=body, headers=headers, stream=True) as response:
            status = response.status_code
            retry_after = response.headers.get("Retry-After")
            _drain(response)
    except InvalidIPAddress as exc:
        return Outcome(False, error=f"Refused: the host resolves to a forbidden address ({exc}).")
    except requests.Timeout:
        return Outcome(False, duration_ms=_ms(began), error=f"Timed out after {config('TIMEOUT')} s.")
    except requests.RequestException as exc:
        return Outcome(False, duration_ms=_ms(began), error=f"{type(exc).__name__}: {exc}"[:500])
    outcome = Outcome(200 <= status < 300, status, _ms(began))
    if 300 <= status < 400:
        outcome.error = "Redirects are not followed: answer 2xx at this URL."
    elif not outcome.ok:
        outcome.error = f"HTTP {status}"
    if status == 429 and retry_after:
        outcome.retry_after = _seconds(retry_after)
    return outcome


def _drain(response, limit: int = 64 * 1024) -> None:
    """Read a short answer to its end, so its connection is kept for the next event; a longer
    one is not downloaded (the connection is closed instead)."""
    read = 0
    for chunk in response.iter_content(8192):
        read += len(chunk)
        if read > limit:
            return


def _ms(began: float) -> int:
    return int((time.monotonic() - began) * 1000)


def _seconds(retry_after: str) -> float | None:
    """Retry-After as seconds: a number, or an HTTP date."""
    try:
        return max(0.0, float(retry_after))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime

    try:
        return max(0.0, (parsedate_to_datetime(retry_after) - timezone.now()).total_seconds())
    except (TypeError, ValueError):
        return None


# -- the job ---------------------------------------------------------------------------------


def pending_events(webhook):
    """Committed events of the webhook's organization after its cursor (``webhook`` may be an
    ``OuterRef`` to it), broadcast or pinged to it, in log order."""
    if isinstance(webhook, Webhook):
        org, pk, txid, event_id = webhook.org_id, webhook.pk, webhook.cursor_txid, webhook.cursor_id
    else:
        org, pk = OuterRef("org"), OuterRef("pk")
        txid, event_id = OuterRef("cursor_txid"), OuterRef("cursor_id")
    return (
        Event.objects.committed()
        .filter(org=org)
        .filter(Q(webhook__isnull=True) | Q(webhook=pk))
        .filter(Q(txid__gt=txid) | Q(txid=txid, id__gt=event_id))
        .in_log_order()
    )


def claim(limit: int = CLAIM) -> tuple[uuid.UUID, list[Webhook]]:
    """Lease up to ``limit`` due webhooks that have events to send (one token for the lot)."""
    now = clock.now()
    token = uuid.uuid4()
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    with transaction.atomic():
        webhooks = list(
            Webhook.objects.filter(free, due, status=WebhookStatus.ACTIVE)
            .filter(Exists(pending_events(OuterRef("pk"))))
            .order_by(F("next_attempt_at").asc(nulls_first=True), "id")
            .select_for_update(skip_locked=True, of=("self",))[:limit]
        )
        lease = now + datetime.timedelta(seconds=config("LEASE_SECONDS"))
        Webhook.objects.filter(pk__in=[w.pk for w in webhooks]).update(
            lease_token=token, lease_expires_at=lease
        )
    return token, webhooks


def run(worker) -> bool:
    token, webhooks = claim()
    if not webhooks:
        return False
    with http_session() as session:
        for webhook in webhooks:
            try:
                deliver(session, webhook, token)
            finally:
                Webhook.objects.filter(pk=webhook.pk, lease_token=token).update(
                    lease_token=None, lease_expires_at=None
                )
    return True


def deliver(session, webhook: Webhook, token: uuid.UUID) -> None:
    """Send the webhook's next events in order, until one fails, the batch or the turn ends, or
    the lease is lost. Successes are recorded together every ``FLUSH_EVERY`` events or
    ``FLUSH_SECONDS`` (a worker killed in between sends those again: at least once)."""
    started = flushed = time.monotonic()
    delivered: list[tuple[Event, Outcome]] = []
    done = None  # the last event finished with: delivered, or passed over as not subscribed
    for event in pending_events(webhook)[:BATCH]:
        if event.webhook_id is None and not matches(webhook.event_types, event.type):
            done = event
            continue
        outcome = send(session, webhook, event)
        if not outcome.ok:
            record(webhook, token, delivered, done, failed=(event, outcome))
            return
        delivered.append((event, outcome))
        done = event
        now = time.monotonic()
        if len(delivered) >= FLUSH_EVERY or now - flushed > FLUSH_SECONDS or now - started > TURN_SECONDS:
            if not record(webhook, token, delivered, done) or now - started > TURN_SECONDS:
                return
            delivered, flushed = [], now
    if done is not None:
        record(webhook, token, delivered, done)


def record(webhook: Webhook, token, delivered: list, done: Event | None, failed=None) -> bool:
    """In one transaction, if this worker still holds the lease (which it renews): the delivery
    rows of ``delivered`` and of ``failed`` (an ``(event, outcome)``), the cursor past ``done``,
    and the retry state. Returns whether to go on with the next events."""
    now = clock.now()
    attempt = webhook.attempt + 1  # of the head event: the first one sent here
    rows = []
    for event, outcome in delivered:
        rows.append(_row(webhook, event, outcome, attempt))
        attempt = 1
    changes = {"attempt": 0, "failure_count": 0, "next_attempt_at": None} if delivered else {}
    failure_count = 0 if delivered else webhook.failure_count
    go_on = True
    if failed is not None:
        event, outcome = failed
        row = _row(webhook, event, outcome, attempt)
        rows.append(row)
        go_on = False
        if outcome.status_code == 410:  # Gone: the receiver asks us to stop
            changes.update(status=WebhookStatus.DISABLED, attempt=0, next_attempt_at=None)
        elif attempt >= (1 if failure_count else MAX_ATTEMPTS):  # given up: the cursor moves on
            failure_count += 1
            done, go_on = event, failure_count < DISABLE_AFTER
            changes.update(attempt=0, failure_count=failure_count, next_attempt_at=None)
            if not go_on:
                changes["status"] = WebhookStatus.DISABLED
        else:
            delay = retry_delay(attempt)
            if outcome.retry_after is not None:
                delay = max(delay, datetime.timedelta(seconds=min(outcome.retry_after, 86_400)))
            row.next_retry_at = now + delay
            changes.update(attempt=attempt, next_attempt_at=row.next_retry_at)
    if done is not None:
        changes.update(cursor_txid=done.txid, cursor_id=done.pk)
    with transaction.atomic():
        lease = clock.now() + datetime.timedelta(seconds=config("LEASE_SECONDS"))
        held = Webhook.objects.filter(pk=webhook.pk, lease_token=token).update(
            lease_expires_at=lease, **changes
        )
        if held:
            Delivery.objects.bulk_create(rows)
    for name, value in changes.items():
        setattr(webhook, name, value)
    if changes.get("status") == WebhookStatus.DISABLED:
        # Not the error: it can quote the URL, whose query string may hold the receiver's token.
        logger.warning("Webhook %s disabled (its deliveries record why)", webhook.typeid)
    return bool(held) and go_on


def _row(webhook: Webhook, event: Event, outcome: Outcome, attempt: int) -> Delivery:
    return Delivery(
        org_id=webhook.org_id,
        webhook_id=webhook.pk,
        event=event,
        attempt=attempt,
        status=DeliveryStatus.SUCCEEDED if outcome.ok else DeliveryStatus.FAILED,
        status_code=outcome.status_code,
        duration_ms=outcome.duration_ms,
        error=outcome.error[:500],
        created_at=outcome.at,
    )
