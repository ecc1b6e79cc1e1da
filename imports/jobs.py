"""The worker's import job: take one queued (or abandoned) import and run it for a while.

A job is leased like a webhook (``rexcrm.events.delivery``): ``SELECT … FOR UPDATE SKIP
LOCKED`` picks an import nobody holds (or whose holder's lease expired: a killed worker), and
every chunk commits only while the lease is still this worker's, renewing it. A turn lasts
about ``TURN_SECONDS``, so the worker's other jobs (webhook deliveries) keep their pace.
"""

import datetime
import logging
import uuid

from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from imports import services
from imports.models import ImportJob, ImportStatus
from rexcrm.core.logs import describe_error

logger = logging.getLogger("rexcrm.imports")


def claim() -> tuple[ImportJob, uuid.UUID] | None:
    now = timezone.now()
    token = uuid.uuid4()
    free = Q(lease_expires_at__isnull=True) | Q(lease_expires_at__lt=now)
    with transaction.atomic():
        job = (
            ImportJob.objects.filter(free, status__in=[ImportStatus.QUEUED, ImportStatus.RUNNING])
            .order_by("created_at", "id")
            .select_for_update(skip_locked=True)
            .first()
        )
        if job is None:
            return None
        lease = now + datetime.timedelta(seconds=services.config("LEASE_SECONDS"))
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.RUNNING,
            started_at=Coalesce("started_at", now),
            lease_token=token,
            lease_expires_at=lease,
        )
    job.refresh_from_db()
    return job, token


def run(worker) -> bool:
    claimed = claim()
    if claimed is None:
        return False
    job, token = claimed
    try:
        services.import_run(
            job,
            token,
            seconds=services.config("TURN_SECONDS"),
            stopping=lambda: worker is not None and worker.stopping,
        )
    except services.LeaseLost:
        logger.warning("Import %s was taken over by another worker", job.typeid)
    except Exception as exc:
        logger.exception("Import %s stopped at row %s", job.typeid, job.position + 1)
        services.import_fail(job, token, describe_error(exc))
    finally:
        # Released, and stamped: a running import nobody picks up again shows as stalled.
        ImportJob.objects.filter(pk=job.pk, lease_token=token).update(
            lease_token=None, lease_expires_at=timezone.now()
        )
    return True
