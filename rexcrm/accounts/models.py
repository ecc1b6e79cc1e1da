"""Tenancy: organizations, their team members (users) and their API keys."""

import hashlib

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from rexcrm.accounts.choices import ApiKeyEnvironment, ApiKeyScope
from rexcrm.core.models import BaseModel, OrgQuerySet
from rexcrm.core.validators import validate_time_zone


class Organization(BaseModel):
    type_prefix = "org"
    editable_fields = ("name",)

    name = models.CharField(max_length=200)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class MemberManager(UserManager.from_queryset(OrgQuerySet)):
    """Users log in by email; there is no separate username."""

    use_in_migrations = True

    def _create_user_object(self, email, password, **extra_fields):
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.password = ""
        user.set_password(password)
        return user

    def _create_user(self, email, password, **extra_fields):
        user = self._create_user_object(email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)


class User(BaseModel, AbstractUser):
    """A team member of one organization (``user_`` ids on the API).

    Platform superusers created with ``createsuperuser`` may have no organization.
    """

    type_prefix = "user"
    editable_fields = ("first_name", "last_name", "time_zone")  # the email is set once, by member_create

    username = None
    email = models.EmailField("email address", unique=True)
    org = models.ForeignKey(
        Organization, on_delete=models.CASCADE, null=True, blank=True, related_name="members"
    )
    # The zone the web UI and the admin show and read times in (the API speaks UTC).
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = []

    objects = MemberManager()

    class Meta:
        ordering = ["email"]
        indexes = [models.Index(fields=["org", "created_at", "id"], name="user_org_created")]

    def __str__(self):
        return self.email

    @property
    def name(self) -> str:
        return self.get_full_name() or self.email


class ApiKey(BaseModel):
    """An API key. Only the SHA-256 of the raw key is stored; the raw key is shown once."""

    type_prefix = "key"
    editable_fields = ("name", "scope", "environment")

    org = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=200, blank=True)
    scope = models.CharField(max_length=20, choices=ApiKeyScope.choices, default=ApiKeyScope.READ_WRITE)
    environment = models.CharField(
        max_length=4, choices=ApiKeyEnvironment.choices, default=ApiKeyEnvironment.LIVE
    )
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    last4 = models.CharField(max_length=4, editable=False)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = OrgQuerySet.as_manager()

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["org", "created_at", "id"], name="apikey_org_created")]

    def __str__(self):
        return f"{self.name or 'API key'} (…{self.last4})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# Who performs a write, passed to every service as ``actor``: a team member, an API key, or None
# for the system (commands, migrations). Stage history records members; events record all.
type Actor = User | ApiKey | None


def hash_api_key(raw_key: str) -> str:
    """Keys are long random strings, so a plain SHA-256 is the right hash (as GitHub and Stripe)."""
    return hashlib.sha256(raw_key.encode()).hexdigest()
