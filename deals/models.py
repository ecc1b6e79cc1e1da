"""The sales process: pipelines of stages, deals moving through them, and products."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator, validate_slug
from django.db import models
from django.db.models.functions import Lower

from contacts.models import Company, Contact
from deals.choices import DealStatus, StageType
from deals.currencies import CURRENCY_CODES, DEFAULT_CURRENCY
from rexcrm.core import clock
from rexcrm.core.models import OrgOwnedModel
from rexcrm.core.validators import validate_metadata

validate_color = RegexValidator(
    r"^#[0-9a-fA-F]{6}\Z", "Must be a colour #rrggbb, e.g. #3b82f6.", code="invalid"
)
# Money: minor units from 0 to the largest integer a JavaScript client holds exactly (2**53 - 1).
MAX_CENTS = 9_007_199_254_740_991
MONEY_VALIDATORS = [
    MinValueValidator(0, "Must be 0 or more."),
    MaxValueValidator(MAX_CENTS, f"Must be at most {MAX_CENTS}."),
]


def validate_currency(value: str) -> None:
    if value not in CURRENCY_CODES:
        raise ValidationError(f"{value!r} is not an ISO 4217 currency code (e.g. USD, EUR).", code="invalid")


class Pipeline(OrgOwnedModel):
    type_prefix = "pipe"
    editable_fields = ("name", "is_default", "metadata")

    name = models.CharField(max_length=200)
    is_default = models.BooleanField(default=False)
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_metadata])

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
    editable_fields = ("name", "type", "color")

    pipeline = models.ForeignKey(Pipeline, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=10, choices=StageType.choices, default=StageType.OPEN)
    color = models.CharField(
        max_length=7, null=True, blank=True, validators=[validate_color], help_text="#rrggbb"
    )
    position = models.PositiveIntegerField()

    class Meta:
        ordering = ["pipeline", "position"]
        constraints = [
            # Positions are 0..n-1 in each pipeline (services keep them contiguous).
            models.UniqueConstraint(
                fields=["org", "pipeline", "position"], name="stage_org_pipeline_position_uniq"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.type in (StageType.WON, StageType.LOST)


class Deal(OrgOwnedModel):
    type_prefix = "deal"
    editable_fields = (
        "name", "pipeline", "stage", "contact", "company", "owner", "value", "currency", "status", "expected_close",
        "source", "lost_reason", "products", "metadata",
    )  # fmt: skip

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
    value = models.BigIntegerField(default=0, validators=MONEY_VALIDATORS, help_text="Minor units (cents)")
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY, validators=[validate_currency])
    status = models.CharField(max_length=10, choices=DealStatus.choices, default=DealStatus.OPEN)
    expected_close = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=255, blank=True, default="")
    lost_reason = models.TextField(blank=True, default="")
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_metadata])
    stage_entered_at = models.DateTimeField(default=clock.now, editable=False)
    closed_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Maintained by the activity services (the latest occurred_at of the deal's activities).
    last_activity_at = models.DateTimeField(null=True, blank=True, editable=False)
    products = models.ManyToManyField("Product", through="DealProduct", related_name="deals", blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gte=0), name="deal_value_not_negative"),
        ]
        indexes = [
            models.Index(fields=["org", "created_at", "id"], name="deal_org_created"),
            models.Index(fields=["org", "updated_at", "id"], name="deal_org_updated"),
            # Filters and sub-lists, each under the default sort (-created_at).
            models.Index(fields=["org", "pipeline", "created_at", "id"], name="deal_org_pipeline_created"),
            models.Index(fields=["org", "stage", "created_at", "id"], name="deal_org_stage_created"),
            models.Index(fields=["org", "status", "created_at", "id"], name="deal_org_status_created"),
            models.Index(fields=["org", "contact", "created_at", "id"], name="deal_org_contact_created"),
            models.Index(fields=["org", "company", "created_at", "id"], name="deal_org_company_created"),
            models.Index(fields=["org", "owner", "created_at", "id"], name="deal_org_owner_created"),
            # Sorts (and the value / expected_close bounds).
            models.Index(fields=["org", "value", "id"], name="deal_org_value"),
            models.Index(fields=["org", "expected_close", "id"], name="deal_org_expected_close"),
            models.Index(fields=["org", "name", "id"], name="deal_org_name"),
        ]

    def __str__(self):
        return self.name


class DealStageChange(OrgOwnedModel):
    """One row per real stage change of a deal (``GET /deals/:id/history``), written only by
    ``deal_move_stage``. The stage columns keep their ids after a stage is deleted (no foreign
    key constraint), so history is never rewritten.
    """

    type_prefix = "dsc"

    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
    changed_at = models.DateTimeField()
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        indexes = [models.Index(fields=["org", "deal", "changed_at", "id"], name="dealstagechange_org_deal")]

    def __str__(self):
        return f"Stage change {self.typeid}"


class Product(OrgOwnedModel):
    type_prefix = "prod"
    editable_fields = ("name", "slug", "description", "price", "currency", "is_active", "metadata")

    name = models.CharField(max_length=255)
    slug = models.CharField(
        max_length=100,
        validators=[validate_slug],
        help_text="URL-safe (letters, digits, - and _); unique per organization, case-insensitively",
    )
    description = models.TextField(blank=True, default="")
    price = models.BigIntegerField(default=0, validators=MONEY_VALIDATORS, help_text="Minor units (cents)")
    currency = models.CharField(max_length=3, default=DEFAULT_CURRENCY, validators=[validate_currency])
    is_active = models.BooleanField(default=True)
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_metadata])

    class Meta:
        constraints = [
            models.UniqueConstraint("org", Lower("slug"), name="product_org_slug_ci_uniq"),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_not_negative"),
        ]
        indexes = [
            models.Index(fields=["org", "created_at", "id"], name="product_org_created"),
            models.Index(fields=["org", "updated_at", "id"], name="product_org_updated"),
            models.Index(fields=["org", "name", "id"], name="product_org_name"),
        ]

    def __str__(self):
        return self.name


class DealProduct(models.Model):
    """The products on a deal (``product_ids``); org-owned like every tenant table."""

    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    deal = models.ForeignKey(Deal, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org", "deal", "product"], name="dealproduct_org_deal_product_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.deal_id} / {self.product_id}"
