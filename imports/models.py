"""A CSV import: the stored file, its column mapping, and where its background job stands."""

import datetime

from django.db import models
from django.utils import timezone

from rexcrm.core.models import OrgOwnedModel


class ImportResource(models.TextChoices):
    CONTACTS = "contacts", "Contacts"
    COMPANIES = "companies", "Companies"
    ACTIVITIES = "activities", "Activities"


class ImportStatus(models.TextChoices):
    MAPPING = "mapping", "Waiting for its column mapping"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Stopped"


class ImportJob(OrgOwnedModel):
    type_prefix = "imp"

    created_by = models.ForeignKey("accounts.User", on_delete=models.SET_NULL, null=True, related_name="+")
    resource = models.CharField(max_length=20, choices=ImportResource.choices)
    file = models.FileField(upload_to="imports/%Y/%m/")
    filename = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField()
    encoding = models.CharField(max_length=20)
    delimiter = models.CharField(max_length=1)
    headers = models.JSONField(default=list)  # the header row as written
    mapping = models.JSONField(default=list)  # per column: an API field name, or "" to skip
    total_rows = models.PositiveIntegerField()  # records after the header (blank lines included)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.MAPPING)
    # Records of the file committed so far: a chunk's rows and this position commit together,
    # so a worker killed mid-chunk leaves the job at the end of the last committed chunk.
    position = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, default="")  # why the job stopped, when it did
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    lease_token = models.UUIDField(null=True, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["org", "-created_at"], name="importjob_org_created"),
            models.Index(fields=["status", "lease_expires_at"], name="importjob_status_lease"),
        ]

    def __str__(self):
        return f"{self.filename} → {self.resource}"

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        return int(100 * self.position / self.total_rows) if self.total_rows else 0

    @property
    def stalled(self) -> bool:
        """Running, but no worker has held it for a while (one was stopped or killed)."""
        quiet = timezone.now() - datetime.timedelta(seconds=2)  # a live worker's next turn comes sooner
        return (
            self.status == ImportStatus.RUNNING
            and bool(self.lease_expires_at)
            and self.lease_expires_at < quiet
        )

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)


class ImportFailure(models.Model):
    """A row the import refused, with the reason: the lines of ``/imports/<id>/errors.csv``."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="failures")
    row = models.PositiveIntegerField()  # the row number in the file, the header being row 1
    values = models.JSONField()  # the row's cells as read
    reason = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["job", "row"], name="importfailure_job_row")]

    def __str__(self):
        return f"row {self.row}: {self.reason}"
