"""Pruning: events (with their delivery attempts) older than ``EVENT_RETENTION_DAYS`` (at
least 30), and Idempotency-Key records older than 24 hours. The worker runs it once an hour;
``manage.py prune_events`` runs it by hand."""

import datetime
import time

from django.conf import settings
from django.db import transaction

from rexcrm.accounts.models import Organization
from rexcrm.core import clock
from rexcrm.core.models import IdempotencyKey
from rexcrm.events.models import Delivery, Event

MIN_RETENTION_DAYS = 30
CHUNK = 10_000
EVERY_SECONDS = 3600

_last_run = 0.0


def prune(*, days: int | None = None) -> tuple[int, int]:
    """Delete what has expired; returns (events, idempotency records) deleted."""
    days = max(days or settings.REX_WEBHOOKS["EVENT_RETENTION_DAYS"], MIN_RETENTION_DAYS)
    cutoff = clock.now() - datetime.timedelta(days=days)
    events = 0
    for org_id in Organization.objects.values_list("pk", flat=True).iterator():
        old = Event.objects.filter(org_id=org_id, occurred_at__lt=cutoff)  # the (org, occurred_at) index
        while pks := list(old.values_list("pk", flat=True)[:CHUNK]):
            with transaction.atomic():
                Delivery.objects.filter(event_id__in=pks).delete()
                Event.objects.filter(pk__in=pks).delete()
            events += len(pks)
    keys, _ = IdempotencyKey.objects.expired().delete()
    return events, keys


def run(worker) -> bool:
    """The worker's job: prune once an hour (each worker; pruning twice is harmless)."""
    global _last_run
    if time.monotonic() - _last_run < EVERY_SECONDS and _last_run:
        return False
    _last_run = time.monotonic()
    prune()
    return False
