"""The record of every interaction (activities) and the work still to do (tasks)."""

import functools
import operator

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from activities.choices import ActivityStatus, ActivityType, Direction, TaskPriority, TaskStatus
from activities.querysets import ActivityQuerySet
from contacts.models import Company, Contact
from deals.models import Deal
from rexcrm.core import clock
from rexcrm.core.models import OrgOwnedModel
from rexcrm.core.validators import validate_metadata, validate_one_line


class Activity(OrgOwnedModel):
    """A call, email, meeting, note… with a contact, a company and/or a deal.

    Links are cleared when the linked object is deleted (``SET_NULL``: one UPDATE per link,
    through the foreign key's index), so the history stays.
    """

    type_prefix = "act"
    editable_fields = (
        "type", "subtype", "status", "subject", "body", "contact", "company", "deal", "owner", "occurred_at",
        "duration", "direction", "source", "external_id", "metadata", "generated_by", "confidence_score", "model",
    )  # fmt: skip
    untrimmed_fields = ("body",)  # kept exactly as written

    type = models.CharField(max_length=10, choices=ActivityType.choices)
    subtype = models.CharField(max_length=100, blank=True, default="")
    status = models.CharField(max_length=10, choices=ActivityStatus.choices, default=ActivityStatus.COMPLETED)
    subject = models.CharField(max_length=500, blank=True, default="", validators=[validate_one_line])
    body = models.TextField(max_length=1_000_000, blank=True, default="")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="activities"
    )
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="activities"
    )
    deal = models.ForeignKey(
        Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="activities"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    occurred_at = models.DateTimeField(default=clock.now)
    duration = models.PositiveIntegerField(
        null=True, blank=True, validators=[MaxValueValidator(2_147_483_647)], help_text="Seconds"
    )
    direction = models.CharField(max_length=10, choices=Direction.choices, null=True, blank=True)
    source = models.CharField(max_length=100, default="api")
    external_id = models.CharField(max_length=255, null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_metadata])
    generated_by = models.CharField(max_length=255, blank=True, default="")
    confidence_score = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(0.0), MaxValueValidator(1.0)]
    )
    model = models.CharField(max_length=255, blank=True, default="", help_text="The AI model that wrote it.")

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "activities"
        constraints = [
            # The dedup key, searched on its own columns (``activities.selectors``), and the
            # lists' ``external_id`` filter: external_id first, so neither depends on the
            # organization's statistics, nor walks an organization's synced activities.
            models.UniqueConstraint(
                fields=["external_id", "source", "org"],
                condition=Q(external_id__isnull=False),
                name="activity_external_id_uniq",
            ),
            models.CheckConstraint(
                condition=Q(confidence_score__isnull=True)
                | Q(confidence_score__gte=0, confidence_score__lte=1),
                name="activity_confidence_score_range",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "occurred_at", "id"], name="activity_org_occurred"),
            models.Index(
                fields=["org", "contact", "occurred_at", "id"], name="activity_org_contact_occurred"
            ),
            models.Index(fields=["org", "deal", "occurred_at", "id"], name="activity_org_deal_occurred"),
            models.Index(
                fields=["org", "company", "occurred_at", "id"], name="activity_org_company_occurred"
            ),
            models.Index(fields=["org", "type", "occurred_at", "id"], name="activity_org_type_occurred"),
            models.Index(fields=["org", "owner", "occurred_at", "id"], name="activity_org_owner_occurred"),
            models.Index(fields=["org", "status", "occurred_at", "id"], name="activity_org_status_occurred"),
            models.Index(fields=["org", "source", "occurred_at", "id"], name="activity_org_source_occurred"),
            models.Index(
                fields=["org", "generated_by", "occurred_at", "id"],
                condition=~Q(generated_by=""),
                name="activity_org_ai_occurred",
            ),
            models.Index(fields=["org", "created_at", "id"], name="activity_org_created"),
            models.Index(fields=["org", "updated_at", "id"], name="activity_org_updated"),
            models.Index(fields=["org", "duration", "id"], name="activity_org_duration"),
            # Every organization's activities, newest first: a superuser's admin list (and its
            # date drill-down's MIN/MAX) with no organization chosen.
            models.Index(fields=["occurred_at", "id"], name="activity_occurred"),
        ]

    def __str__(self):
        return self.subject or f"{self.type} {self.typeid}"


class Task(OrgOwnedModel):
    """Future work for a team member (``owner`` is the assignee)."""

    type_prefix = "task"
    editable_fields = (
        "title", "description", "contact", "company", "deal", "owner", "due_at", "priority", "status", "metadata",
    )  # fmt: skip

    title = models.CharField(max_length=500)
    description = models.TextField(blank=True, default="")
    contact = models.ForeignKey(
        Contact, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks"
    )
    deal = models.ForeignKey(Deal, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    due_at = models.DateTimeField(null=True, blank=True)
    priority = models.CharField(max_length=10, choices=TaskPriority.choices, default=TaskPriority.NORMAL)
    # sort=priority orders by rank (low 0 < normal 1 < high 2 < urgent 3), not alphabetically;
    # the task services set it with priority, and a check constraint holds them together.
    priority_rank = models.PositiveSmallIntegerField(default=1, editable=False)
    status = models.CharField(max_length=10, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    completed_at = models.DateTimeField(null=True, blank=True, editable=False)
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_metadata])

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=functools.reduce(
                    operator.or_,
                    (Q(priority=value, priority_rank=rank) for rank, value in enumerate(TaskPriority.values)),
                ),
                name="task_priority_rank_matches",
            ),
        ]
        indexes = [
            models.Index(fields=["org", "due_at", "id"], name="task_org_due"),
            models.Index(fields=["org", "created_at", "id"], name="task_org_created"),
            models.Index(fields=["org", "updated_at", "id"], name="task_org_updated"),
            # Filters and sub-lists under the default sort (due_at), and sort=priority.
            models.Index(fields=["org", "status", "due_at", "id"], name="task_org_status_due"),
            models.Index(fields=["org", "contact", "due_at", "id"], name="task_org_contact_due"),
            models.Index(fields=["org", "company", "due_at", "id"], name="task_org_company_due"),
            models.Index(fields=["org", "deal", "due_at", "id"], name="task_org_deal_due"),
            models.Index(fields=["org", "owner", "due_at", "id"], name="task_org_owner_due"),
            models.Index(fields=["org", "priority_rank", "id"], name="task_org_priority"),
        ]

    def __str__(self):
        return self.title
