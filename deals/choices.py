from django.db import models


class StageType(models.TextChoices):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class DealStatus(models.TextChoices):
    OPEN = "open"
    WON = "won"
    LOST = "lost"
    STALLED = "stalled"
