from activities.choices import TaskStatus
from activities.models import Task
from contacts.models import Company, Contact
from deals.api.serializers import StrictResourceSerializer
from deals.models import Deal
from rexcrm.accounts.models import User
from rexcrm.core import clock
from rexcrm.core.api.fields import ComputedField, MetadataField, RefField


def is_overdue(status: str, due_at) -> bool:
    return status == TaskStatus.PENDING and due_at is not None and due_at < clock.now()


class TaskSerializer(StrictResourceSerializer):
    """Future work for a team member (``owner_id`` is the assignee)."""

    contact_id = RefField(Contact, source="contact")
    company_id = RefField(Company, source="company")
    deal_id = RefField(Deal, source="deal")
    owner_id = RefField(User, source="owner", help_text="The assignee, a member of this organization.")
    metadata = MetadataField()
    is_overdue = ComputedField(
        columns=("status", "due_at"),
        func=is_overdue,
        schema={"type": "boolean", "description": "Pending and due_at in the past."},
    )

    class Meta:
        model = Task
        fields = [
            "id",
            "title",
            "description",
            "contact_id",
            "company_id",
            "deal_id",
            "owner_id",
            "due_at",
            "priority",
            "status",
            "completed_at",
            "is_overdue",
            "metadata",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["completed_at"]
        extra_kwargs = {
            "completed_at": {"help_text": "Set when status becomes completed; cleared when reopened."},
            "due_at": {"allow_null": True},
        }
