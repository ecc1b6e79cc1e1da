from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from contacts.models import Company, Contact
from deals.api.fields import (
    CentsField,
    ColorField,
    CurrencyField,
    LenientDateField,
    NestedListField,
    RefListField,
)
from deals.models import Deal, DealProduct, DealStageChange, Pipeline, Product, Stage
from deals.services import MAX_POSITION, MAX_PRODUCTS, MAX_STAGES
from rexcrm.accounts.models import User
from rexcrm.core.api.fields import ComputedField, MetadataField, RefField, typeid_schema
from rexcrm.core.api.serializers import ResourceSerializer, StrictInputMixin
from rexcrm.core.services import editable_api_names


class StageSerializer(ResourceSerializer):
    """A stage as shown inside its pipeline; ``position`` follows the order of ``stages``."""

    color = ColorField(required=False, allow_null=True, allow_blank=True)

    class Meta:
        model = Stage
        fields = ["id", *editable_api_names(Stage), "position"]
        read_only_fields = ["position"]


class StageCreateSerializer(StageSerializer):
    """``POST /pipelines/:id/stages``: ``position`` 0..n inserts there, omitted appends."""

    position = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=MAX_POSITION,
        help_text="0-based; past the end or omitted: after the last stage.",
    )

    class Meta(StageSerializer.Meta):
        read_only_fields = []


@extend_schema_field(
    {"type": "array", "minItems": 1, "maxItems": 1000, "uniqueItems": True, "items": typeid_schema("stg")}
)
class StageIdsField(serializers.ListField):
    pass


class StageReorderSerializer(StrictInputMixin, serializers.Serializer):
    stage_ids = StageIdsField(
        child=serializers.CharField(),
        allow_empty=False,
        max_length=1000,
        help_text="Every stage id of the pipeline exactly once, in the new order.",
    )


class PipelineSerializer(ResourceSerializer):
    """A sales process: its stages in order. One pipeline per organization is the default."""

    stages = NestedListField(
        child=StageSerializer(),
        foreign_key="pipeline_id",
        order_by="position",
        required=False,
        max_items=MAX_STAGES,
        help_text=f"On create only: the stages in order (at most {MAX_STAGES}; more can be added "
        "through the /stages endpoints).",
    )
    metadata = MetadataField()

    class Meta:
        model = Pipeline
        fields = ["id", *editable_api_names(Pipeline), "stages", "created_at", "updated_at"]
        extra_kwargs = {
            "is_default": {
                "help_text": "One default per organization: setting it unsets the previous default."
            }
        }


class PipelineUpdateSerializer(PipelineSerializer):
    """What PATCH /pipelines/:id takes (for the document): stages change through /stages."""

    class Meta(PipelineSerializer.Meta):
        fields = [name for name in PipelineSerializer.Meta.fields if name != "stages"]


def days_since(moment, now) -> int:
    return max(0, (now - moment).days)


def deal_age_days(created_at, closed_at, now) -> int:
    """Whole days from creation to closing (for closed deals) or to now."""
    return max(0, ((closed_at or now) - created_at).days)


class DealSerializer(ResourceSerializer):
    """A sales opportunity moving through the stages of one pipeline."""

    pipeline_id = RefField(
        Pipeline, source="pipeline", allow_null=False, help_text="Defaults to the default pipeline."
    )
    stage_id = RefField(
        Stage,
        source="stage",
        allow_null=False,
        help_text="A stage of the pipeline; defaults to its first stage.",
    )
    contact_id = RefField(Contact, source="contact")
    company_id = RefField(Company, source="company")
    owner_id = RefField(User, source="owner")
    value = CentsField(required=False)
    currency = CurrencyField(required=False)
    expected_close = LenientDateField(required=False, allow_null=True)
    product_ids = RefListField(
        Product,
        through=DealProduct,
        source="products",
        source_column="deal_id",
        target_column="product_id",
        max_length=MAX_PRODUCTS,
    )
    metadata = MetadataField()
    days_in_stage = ComputedField(
        columns=("stage_entered_at",),
        func=days_since,
        now=True,
        schema={"type": "integer", "description": "Whole days since the deal entered its current stage."},
    )
    deal_age_days = ComputedField(
        columns=("created_at", "closed_at"),
        func=deal_age_days,
        now=True,
        schema={"type": "integer", "description": "Whole days from creation to closing, or to now if open."},
    )

    class Meta:
        model = Deal
        fields = [
            "id",
            *editable_api_names(Deal),
            "days_in_stage",
            "deal_age_days",
            "stage_entered_at",
            "closed_at",
            "last_activity_at",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["stage_entered_at", "closed_at", "last_activity_at"]
        extra_kwargs = {
            "status": {"help_text": "won/lost record closed_at; a won/lost stage sets it."},
        }


class DealStageMoveSerializer(StrictInputMixin, serializers.Serializer):
    stage_id = RefField(Stage, source="stage", required=True, allow_null=False)


class DealStageChangeSerializer(ResourceSerializer):
    """One stage change of a deal (``GET /deals/:id/history``)."""

    from_stage_id = RefField(Stage, source="from_stage", read_only=True)
    to_stage_id = RefField(Stage, source="to_stage", read_only=True)
    changed_by = RefField(User, read_only=True, help_text="The team member; null for API-key changes.")

    class Meta:
        model = DealStageChange
        fields = ["id", "from_stage_id", "to_stage_id", "changed_at", "changed_by"]
        read_only_fields = fields


class ProductSerializer(ResourceSerializer):
    """Something the organization sells; deals list theirs in ``product_ids``."""

    price = CentsField(required=False)
    currency = CurrencyField(required=False)
    metadata = MetadataField()

    class Meta:
        model = Product
        fields = ["id", *editable_api_names(Product), "created_at", "updated_at"]
        extra_kwargs = {
            "slug": {
                "help_text": "URL-safe: letters, digits, - and _. Unique per organization (case-insensitive)."
            }
        }
