from django.db import models


class ActivityType(models.TextChoices):
    CALL = "call"
    EMAIL = "email"
    MEETING = "meeting"
    NOTE = "note"
    TASK = "task"
    CUSTOM = "custom"
    OTHER = "other"


class ActivityStatus(models.TextChoices):
    DRAFT = "draft"
    COMPLETED = "completed"
    SCHEDULED = "scheduled"
    REJECTED = "rejected"


class Direction(models.TextChoices):
    INBOUND = "inbound"
    OUTBOUND = "outbound"
    NA = "na", "Not applicable"


class TaskPriority(models.TextChoices):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class TaskStatus(models.TextChoices):
    PENDING = "pending"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
