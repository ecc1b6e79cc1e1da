from contacts.models import Company, Contact
from deals.models import Deal, Pipeline, Stage
from rexcrm.accounts.models import User
from rexcrm.core.api.fields import MetadataField, RefField
from rexcrm.core.api.serializers import ResourceSerializer


class DealSerializer(ResourceSerializer):
    pipeline_id = RefField(Pipeline, source="pipeline")
    stage_id = RefField(Stage, source="stage")
    contact_id = RefField(Contact, source="contact")
    company_id = RefField(Company, source="company")
    owner_id = RefField(User, source="owner")
    metadata = MetadataField()

    class Meta:
        model = Deal
        fields = [
            "id",
            "name",
            "pipeline_id",
            "stage_id",
            "contact_id",
            "company_id",
            "owner_id",
            "value",
            "currency",
            "status",
            "expected_close",
            "source",
            "lost_reason",
            "metadata",
            "stage_entered_at",
            "closed_at",
            "last_activity_at",
            "created_at",
            "updated_at",
        ]
