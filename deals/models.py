"""The sales process: pipelines of stages, and deals moving through them."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from contacts.models import Company, Contact
from deals.choices import DealStatus, StageType
from rexcrm.core.models import OrgOwnedModel


class Pipeline(OrgOwnedModel):
    type_prefix = "pipe"

    name = models.CharField(max_length=200)
    is_default = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org"], condition=models.Q(is_default=True), name="pipeline_one_default_per_org"
            ),
        ]
        indexes = [models.Index(fields=["org", "created_at", "id"], name="pipeline_org_created")]

    def __str__(self):
        return self.name


class Stage(OrgOwnedModel):
    type_prefix = "stg"

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=10, choices=StageType.choices, default=StageType.OPEN)
    color = models.CharField(max_length=7, blank=True, default="")
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["pipeline", "position"]

    def __str__(self):
        return self.name


class Deal(OrgOwnedModel):
    type_prefix = "deal"

    name = models.CharField(max_length=255)
    pipeline = models.ForeignKey(Pipeline, on_delete=models.PROTECT, related_name="deals")
    stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="deals")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="deals"
    )
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="deals"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    value = models.BigIntegerField(default=0, help_text="Minor units (cents)")
    currency = models.CharField(max_length=3, default="USD")
    status = models.CharField(max_length=10, choices=DealStatus.choices, default=DealStatus.OPEN)
    expected_close = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=255, blank=True, default="")
    lost_reason = models.TextField(blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True)
    stage_entered_at = models.DateTimeField(default=timezone.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_activity_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["org", "created_at", "id"], name="deal_org_created"),
            models.Index(fields=["org", "updated_at", "id"], name="deal_org_updated"),
        ]

    def __str__(self):
        return self.name
