from django.db import models


class WebhookStatus(models.TextChoices):
    ACTIVE = "active"
    PAUSED = "paused"
    DISABLED = "disabled"  # by the worker after 20 failed events in a row or a 410; or by a client


class DeliveryStatus(models.TextChoices):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
