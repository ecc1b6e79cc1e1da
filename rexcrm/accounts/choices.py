from django.db import models


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read (GET only)"
    READ_WRITE = "read-write", "Read and write"
    CAPTURE_ONLY = "capture-only", "Lead capture only (POST /capture)"


class ApiKeyEnvironment(models.TextChoices):
    LIVE = "live", "Live"
    TEST = "test", "Test"
