"""The people (contacts) and organisations (companies) a sales team works with."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models.functions import Lower

from contacts.choices import CompanySize, ContactSource, ContactStage
from contacts.querysets import CompanyQuerySet, ContactQuerySet
from rexcrm.core.models import OrgOwnedModel
from rexcrm.core.validators import validate_metadata

ADDRESS_KEYS = ("street", "city", "state", "postal_code", "country")
ADDRESS_VALUE_MAX_LENGTH = 255


def validate_address(value) -> None:
    """A postal address: an object of at most the five ``ADDRESS_KEYS``, each a short string."""
    if not isinstance(value, dict):
        raise ValidationError("Must be an object.", code="invalid")
    unknown = sorted(set(value) - set(ADDRESS_KEYS))
    if unknown:
        raise ValidationError(
            f"Unknown key(s) {', '.join(unknown)}; allowed: {', '.join(ADDRESS_KEYS)}.", code="invalid"
        )
    for key, text in value.items():
        if not isinstance(text, str):
            raise ValidationError(f"{key} must be a string or null.", code="invalid")
        if len(text) > ADDRESS_VALUE_MAX_LENGTH:
            raise ValidationError(
                f"{key} must be at most {ADDRESS_VALUE_MAX_LENGTH} characters.", code="max_length"
            )


class Company(OrgOwnedModel):
    type_prefix = "comp"
    # What a client may set, in the API's order: services, serializers and admin forms use it.
    editable_fields = (
        "name", "domain", "industry", "size", "website", "phone", "description", "address", "owner", "metadata",
    )  # fmt: skip

    name = models.CharField(max_length=255)
    domain = models.CharField(max_length=255, blank=True, default="", help_text="Normalised: acme.com")
    industry = models.CharField(max_length=100, blank=True, default="")
    size = models.CharField(max_length=10, choices=CompanySize.choices, null=True, blank=True)
    website = models.URLField(max_length=500, blank=True, default="")
    phone = models.CharField(max_length=50, blank=True, default="")
    description = models.TextField(blank=True, default="")
    address = models.JSONField(default=dict, blank=True, validators=[validate_address])
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_metadata])
    last_activity_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = CompanyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "companies"
        constraints = [
            models.UniqueConstraint(
                fields=["org", "domain"],
                condition=~models.Q(domain=""),
                name="company_org_domain_uniq",
                violation_error_message="A company with this domain already exists in this organization.",
            ),
        ]
        # Every filter and sort has an index led by org. Search uses a trigram index that
        # exists on PostgreSQL only (migration 0003).
        indexes = [
            models.Index(fields=["org", "created_at", "id"], name="company_org_created"),
            models.Index(fields=["org", "updated_at", "id"], name="company_org_updated"),
            models.Index(fields=["org", "name", "id"], name="company_org_name"),
            models.Index(fields=["org", "owner", "created_at", "id"], name="company_org_owner"),
            models.Index(fields=["org", "industry", "created_at", "id"], name="company_org_industry"),
            models.Index(fields=["org", "size", "created_at", "id"], name="company_org_size"),
        ]

    def __str__(self):
        return self.name


class Contact(OrgOwnedModel):
    type_prefix = "cont"
    editable_fields = (
        "email", "first_name", "last_name", "phone", "title", "linkedin_url", "stage", "source", "source_detail",
        "company", "owner", "icp_score", "icp_score_reason", "icp_scored_at", "metadata",
    )  # fmt: skip

    email = models.EmailField(max_length=254)
    first_name = models.CharField(max_length=150, blank=True, default="")
    last_name = models.CharField(max_length=150, blank=True, default="")
    phone = models.CharField(max_length=50, blank=True, default="")
    title = models.CharField(max_length=200, blank=True, default="")
    linkedin_url = models.URLField(max_length=500, blank=True, default="")
    stage = models.CharField(max_length=20, choices=ContactStage.choices, default=ContactStage.LEAD)
    source = models.CharField(max_length=20, choices=ContactSource.choices, null=True, blank=True)
    source_detail = models.CharField(max_length=255, blank=True, default="")
    company = models.ForeignKey(
        Company, on_delete=models.SET_NULL, null=True, blank=True, related_name="contacts"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    icp_score = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(100)])
    icp_score_reason = models.TextField(blank=True, default="")
    icp_scored_at = models.DateTimeField(null=True, blank=True)
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_metadata])
    last_activity_at = models.DateTimeField(null=True, blank=True, editable=False)
    next_task_due_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ContactQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                "org",
                Lower("email"),
                name="contact_org_email_ci_uniq",
                violation_error_message="A contact with this email already exists in this organization.",
            ),
            models.CheckConstraint(
                condition=models.Q(icp_score__isnull=True) | models.Q(icp_score__lte=100),
                name="contact_icp_score_range",
            ),
        ]
        # Every filter and sort has an index led by org; email uses the unique index above.
        # Search uses a trigram index that exists on PostgreSQL only (migration 0003).
        indexes = [
            models.Index(fields=["org", "created_at", "id"], name="contact_org_created"),
            models.Index(fields=["org", "updated_at", "id"], name="contact_org_updated"),
            models.Index(fields=["org", "last_name", "id"], name="contact_org_last_name"),
            models.Index(fields=["org", "last_activity_at", "id"], name="contact_org_last_activity"),
            models.Index(fields=["org", "icp_score", "id"], name="contact_org_icp_score"),
            models.Index(fields=["org", "stage", "created_at", "id"], name="contact_org_stage"),
            models.Index(fields=["org", "source", "created_at", "id"], name="contact_org_source"),
            models.Index(fields=["org", "company", "created_at", "id"], name="contact_org_company"),
            models.Index(fields=["org", "owner", "created_at", "id"], name="contact_org_owner"),
        ]

    def __str__(self):
        return self.name

    @property
    def name(self) -> str:
        return contact_name(self.first_name, self.last_name, self.email)


def contact_name(first_name: str, last_name: str, email: str) -> str:
    return f"{first_name} {last_name}".strip() or email
