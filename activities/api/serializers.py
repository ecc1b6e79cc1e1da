from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from activities.choices import TaskStatus
from activities.models import Activity, Task
from contacts.choices import ContactSource
from contacts.models import Company, Contact
from deals.models import Deal
from rexcrm.accounts.models import User
from rexcrm.core.api.fields import ComputedField, MetadataField, RefField
from rexcrm.core.api.schema import ONE_LINE
from rexcrm.core.api.serializers import ResourceSerializer, StrictInputMixin
from rexcrm.core.services import editable_api_names

BODY_MAX_CHARS = 1_000_000


@extend_schema_field({"type": "string", "maxLength": 500, "pattern": ONE_LINE})
class SubjectField(serializers.CharField):
    """One line (``validate_one_line``), as the document says with a pattern."""


class ActivitySerializer(ResourceSerializer):
    contact_id = RefField(Contact, source="contact")
    company_id = RefField(Company, source="company")
    deal_id = RefField(Deal, source="deal")
    owner_id = RefField(User, source="owner", help_text="A team member (user_…) of this organization.")
    body = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=BODY_MAX_CHARS,
        trim_whitespace=False,
        help_text="Full content, at most 1,000,000 characters.",
    )
    subject = SubjectField(required=False, allow_blank=True, max_length=500, help_text="One line.")
    occurred_at = serializers.DateTimeField(required=False, help_text="ISO 8601; naive is UTC; default now.")
    duration = serializers.IntegerField(
        required=False, allow_null=True, min_value=0, max_value=2_147_483_647, help_text="Seconds."
    )
    source = serializers.CharField(
        required=False, max_length=100, help_text="Origin system, e.g. gmail, instantly, manual. Default api."
    )
    external_id = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        max_length=255,
        help_text="Id in the source system: (source, external_id) is unique; an empty string means none.",
    )
    metadata = MetadataField()
    confidence_score = serializers.FloatField(required=False, allow_null=True, min_value=0.0, max_value=1.0)

    class Meta:
        model = Activity
        fields = ["id", *editable_api_names(Activity), "created_at", "updated_at"]
        extra_kwargs = {
            "generated_by": {"help_text": "For AI-written activities: the agent or user that generated it."},
            "model": {"help_text": "The model that generated the activity (AI-written activities)."},
        }


class CaptureSerializer(StrictInputMixin, serializers.Serializer):
    """A public web form's submission (POST /capture)."""

    email = serializers.EmailField(max_length=254)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    company = serializers.CharField(
        max_length=255,
        required=False,
        allow_blank=True,
        help_text="Company name. The company is found or created by the email's domain (never a free-mail "
        "domain such as gmail.com); with a free-mail address, by this name.",
    )
    source = serializers.ChoiceField(choices=ContactSource.choices, required=False, allow_null=True)
    source_detail = serializers.CharField(max_length=255, required=False, allow_blank=True)
    metadata = MetadataField()


# -- tasks ---------------------------------------------------------------------------------------


def is_overdue(status: str, due_at, now) -> bool:
    return status == TaskStatus.PENDING and due_at is not None and due_at < now


class TaskSerializer(ResourceSerializer):
    """Future work for a team member (``owner_id`` is the assignee)."""

    contact_id = RefField(Contact, source="contact")
    company_id = RefField(Company, source="company")
    deal_id = RefField(Deal, source="deal")
    owner_id = RefField(User, source="owner", help_text="The assignee, a member of this organization.")
    metadata = MetadataField()
    is_overdue = ComputedField(
        columns=("status", "due_at"),
        func=is_overdue,
        now=True,
        schema={"type": "boolean", "description": "Pending and due_at in the past."},
    )

    class Meta:
        model = Task
        fields = ["id", *editable_api_names(Task), "completed_at", "is_overdue", "created_at", "updated_at"]
        read_only_fields = ["completed_at"]
        extra_kwargs = {
            "completed_at": {"help_text": "Set when status becomes completed; cleared when reopened."},
            "due_at": {"allow_null": True},
        }
