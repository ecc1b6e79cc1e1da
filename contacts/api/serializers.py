from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework import serializers

from contacts.domains import DOMAIN_PATTERN, check_api_domain
from contacts.models import ADDRESS_KEYS, ADDRESS_VALUE_MAX_LENGTH, Company, Contact, contact_name
from contacts.services import MERGE_MAX_DUPLICATES
from rexcrm.accounts.models import User
from rexcrm.core.api.fields import (
    ComputedField,
    MetadataField,
    PlannedField,
    RefField,
    resolve_references,
    typeid_schema,
)
from rexcrm.core.api.serializers import ResourceSerializer, StrictInputMixin
from rexcrm.core.services import editable_api_names


class NullAsBlankMixin:
    """Optional text fields also accept ``null`` (stored and returned as ``""``): a client may
    clear a field with either."""

    def build_standard_field(self, field_name, model_field):
        field_class, kwargs = super().build_standard_field(field_name, model_field)
        if (
            isinstance(model_field, (models.CharField, models.TextField))
            and model_field.blank
            and not model_field.null
            and not model_field.choices
        ):
            kwargs["allow_null"] = True
        return field_class, kwargs


def render_address(value) -> dict:
    value = value or {}
    return {key: value.get(key) or None for key in ADDRESS_KEYS}


class AddressField(PlannedField, serializers.Field):
    """A postal address: an object with at most the keys street, city, state, postal_code and
    country, each a string (or null); the keys and values are the domain's rule
    (``contacts.models.validate_address``). Output always has the five keys (null when unknown)."""

    default_error_messages = {
        "not_object": "Must be an object with keys " + ", ".join(ADDRESS_KEYS) + ".",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            self.fail("not_object")
        return data

    def to_representation(self, value):
        return render_address(value)

    def plan_convert(self):
        return render_address

    def openapi_schema(self):
        return {
            "type": "object",
            "nullable": True,
            "additionalProperties": False,
            "properties": {
                key: {"type": "string", "nullable": True, "maxLength": ADDRESS_VALUE_MAX_LENGTH}
                for key in ADDRESS_KEYS
            },
            "description": "Postal address; other keys are refused. Output always has the five keys.",
        }


class DomainField(serializers.CharField):
    """A web domain, normalised by the services: ``https://www.Acme.com/about`` is stored as
    ``acme.com``."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault(
            "help_text",
            "Normalised on input: lower case, no scheme, www., port or path (https://www.Acme.com/about → "
            "acme.com). Unique in the organization.",
        )
        super().__init__(trim_whitespace=False, **kwargs)  # a space around it is outside the pattern

    def to_internal_value(self, data):
        """Exactly the document's pattern (``check_api_domain``); the services normalise it."""
        value = super().to_internal_value(data)
        try:
            if value:  # "" is no domain (the document's other choice)
                check_api_domain(value)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages, code="invalid") from None
        return value


class DomainFieldSchema(OpenApiSerializerFieldExtension):
    """Input: DOMAIN_PATTERN (what the field accepts); output: the stored domain."""

    target_class = DomainField

    def map_serializer_field(self, auto_schema, direction):
        schema = build_basic_type(OpenApiTypes.STR)
        if direction == "request":
            schema |= {"pattern": DOMAIN_PATTERN, "example": "acme.com"}
        return schema


class CompanySerializer(NullAsBlankMixin, ResourceSerializer):
    domain = DomainField()
    address = AddressField()
    owner_id = RefField(User, source="owner")
    metadata = MetadataField()

    class Meta:
        model = Company
        fields = ["id", *editable_api_names(Company), "last_activity_at", "created_at", "updated_at"]
        extra_kwargs = {
            "last_activity_at": {"help_text": "Time of the latest activity with the company (read-only)."},
        }


class CompanyUpsertSerializer(CompanySerializer):
    """``POST /companies/upsert``: ``domain`` is the key; a company it creates without a ``name``
    is named after its domain."""

    domain = DomainField(required=True, allow_blank=False, allow_null=False)

    class Meta(CompanySerializer.Meta):
        extra_kwargs = {
            **CompanySerializer.Meta.extra_kwargs,
            "name": {
                "required": False,
                "help_text": "A company the upsert creates without one is named after its domain.",
            },
        }


class ContactSerializer(NullAsBlankMixin, ResourceSerializer):
    name = ComputedField(
        columns=("first_name", "last_name", "email"),
        func=contact_name,
        schema={"type": "string", "description": "First and last name, or the email."},
    )
    company_id = RefField(Company, source="company")
    owner_id = RefField(User, source="owner")
    icp_score = serializers.IntegerField(
        min_value=0,
        max_value=100,
        required=False,
        allow_null=True,
        help_text="Ideal-customer-profile fit, 0 to 100.",
    )
    metadata = MetadataField()

    class Meta:
        model = Contact
        fields = [
            "id",
            *editable_api_names(Contact),
            "name",
            "last_activity_at",
            "next_task_due_at",
            "created_at",
            "updated_at",
        ]
        extra_kwargs = {
            "email": {"help_text": "Unique in the organization, compared case-insensitively."},
            "icp_scored_at": {"help_text": "When the score was set; defaults to now when icp_score changes."},
            "last_activity_at": {"help_text": "Time of the latest activity with the contact (read-only)."},
            "next_task_due_at": {"help_text": "Due time of the contact's next pending task (read-only)."},
        }


class ContactIdListField(PlannedField, serializers.ListField):
    """Contact ids of the organization, resolved in one query; returns the contacts in order."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField())
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return resolve_references(Contact, super().to_internal_value(data), org=self.context["org"])

    def openapi_schema(self):
        return {
            "type": "array",
            "items": typeid_schema(Contact.type_prefix),
            "minItems": 1,
            "maxItems": MERGE_MAX_DUPLICATES,
        }


class ContactMergeSerializer(StrictInputMixin, serializers.Serializer):
    primary_id = RefField(
        Contact, source="primary", required=True, allow_null=False, help_text="The contact that stays."
    )
    duplicate_ids = ContactIdListField(
        source="duplicates", help_text="Contacts merged into the primary, then deleted (1 to 100)."
    )
