from rest_framework import serializers

from rexcrm.accounts.models import ApiKey, User
from rexcrm.core.api.fields import ComputedField, IdField
from rexcrm.core.api.serializers import ResourceSerializer
from rexcrm.core.services import editable_api_names


def member_name(first_name: str, last_name: str, email: str) -> str:
    return f"{first_name} {last_name}".strip() or email


class UserSerializer(ResourceSerializer):
    name = ComputedField(
        columns=("first_name", "last_name", "email"),
        func=member_name,
        schema={"type": "string", "description": "First and last name, or the email."},
    )

    class Meta:
        model = User
        fields = ["id", "name", "email", "is_active", "created_at", "updated_at"]
        read_only_fields = fields


class ApiKeySerializer(ResourceSerializer):
    class Meta:
        model = ApiKey
        fields = [
            "id",
            *editable_api_names(ApiKey),
            "last4",
            "created_at",
            "updated_at",
            "last_used_at",
            "revoked_at",
        ]
        read_only_fields = ["last4", "last_used_at", "revoked_at"]
        extra_kwargs = {
            "scope": {"required": True},
            "environment": {
                "required": False,
                "help_text": "live (rex_live_…) or test (rex_test_…); defaults to the calling key's.",
            },
        }


# Documents the 201 body of POST /apikeys. Not a ResourceSerializer: ``key`` is no column (the
# view adds it to the rendered key), so no output plan could render it.
class ApiKeyCreatedSerializer(serializers.ModelSerializer):
    """An API key as listed, plus the raw key: shown only in the response that creates it."""

    id = IdField()
    key = serializers.CharField(read_only=True, help_text="The raw key: shown only in this response.")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]
