from contacts.models import Company, Contact, contact_name
from rexcrm.accounts.models import User
from rexcrm.core.api.fields import ComputedField, MetadataField, RefField
from rexcrm.core.api.serializers import ResourceSerializer


class CompanySerializer(ResourceSerializer):
    owner_id = RefField(User, source="owner")
    metadata = MetadataField()

    class Meta:
        model = Company
        fields = [
            "id",
            "name",
            "domain",
            "industry",
            "size",
            "website",
            "phone",
            "description",
            "address",
            "owner_id",
            "metadata",
            "last_activity_at",
            "created_at",
            "updated_at",
        ]


class ContactSerializer(ResourceSerializer):
    name = ComputedField(
        columns=("first_name", "last_name", "email"),
        func=contact_name,
        schema={"type": "string", "description": "First and last name, or the email."},
    )
    company_id = RefField(Company, source="company")
    owner_id = RefField(User, source="owner")
    metadata = MetadataField()

    class Meta:
        model = Contact
        fields = [
            "id",
            "email",
            "first_name",
            "last_name",
            "name",
            "phone",
            "title",
            "linkedin_url",
            "stage",
            "source",
            "source_detail",
            "company_id",
            "owner_id",
            "icp_score",
            "icp_score_reason",
            "icp_scored_at",
            "metadata",
            "last_activity_at",
            "next_task_due_at",
            "created_at",
            "updated_at",
        ]
