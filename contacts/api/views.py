from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from contacts import services
from contacts.api.serializers import (
    CompanySerializer,
    CompanyUpsertSerializer,
    ContactMergeSerializer,
    ContactSerializer,
)
from contacts.filtersets import CompanyFilterSet, ContactFilterSet
from contacts.models import Company
from rexcrm.accounts.api.serializers import UserSerializer
from rexcrm.core.api.relations import Relation
from rexcrm.core.api.views import (
    CrudViewSet,
    ResourceViewSet,
    SubListMixin,
)


def _upsert_response(view, instance, created: bool) -> Response:
    return Response(
        view.written_body(instance), status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
    )


class ContactListConfig:
    """What every list of contacts shares: the top-level list and ``/companies/:id/contacts``."""

    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet
    relations = {
        "company": Relation("company", "company_id", CompanySerializer),
        "owner": Relation("owner", "owner_id", UserSerializer),
    }


@extend_schema_view(
    list=extend_schema(summary="List contacts", tags=["contacts"]),
    create=extend_schema(summary="Create a contact (409 if the email is taken)", tags=["contacts"]),
    retrieve=extend_schema(summary="Get a contact", tags=["contacts"]),
    partial_update=extend_schema(summary="Update a contact: only the fields sent change", tags=["contacts"]),
    destroy=extend_schema(summary="Delete a contact (its activities and deals stay)", tags=["contacts"]),
    upsert=extend_schema(
        summary="Create or update a contact by email (201 created, 200 updated)",
        tags=["contacts"],
        request=ContactSerializer,
        responses={200: ContactSerializer, 201: ContactSerializer},
    ),
    merge=extend_schema(
        summary="Merge duplicate contacts into a primary one",
        tags=["contacts"],
        request=ContactMergeSerializer,
        responses={200: ContactSerializer},
    ),
)
class ContactViewSet(ContactListConfig, CrudViewSet):
    """People: unique by email (case-insensitively) inside the organization."""

    writes = services.CONTACT_WRITES

    @action(detail=False, methods=["post"])
    def upsert(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        with transaction.atomic():
            contact, created = services.contact_upsert(org=self.org, actor=self.actor, **data)
        return _upsert_response(self, contact, created)

    @action(detail=False, methods=["post"])
    def merge(self, request, *args, **kwargs):
        serializer = ContactMergeSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with transaction.atomic():
            primary = services.contact_merge(org=self.org, actor=self.actor, **data)
        return Response(self.detail_body(primary.pk))


@extend_schema_view(list=extend_schema(summary="List a company's contacts", tags=["companies"]))
class CompanyContactViewSet(ContactListConfig, SubListMixin, ResourceViewSet):
    """``/companies/:id/contacts``: the contacts list (same filters, sorts and cursors) of one company."""

    parent_model = Company
    parent_kwarg = "company_id"
    parent_filter = "company_id"


@extend_schema_view(
    list=extend_schema(summary="List companies", tags=["companies"]),
    create=extend_schema(summary="Create a company (409 if the domain is taken)", tags=["companies"]),
    retrieve=extend_schema(summary="Get a company", tags=["companies"]),
    partial_update=extend_schema(summary="Update a company: only the fields sent change", tags=["companies"]),
    destroy=extend_schema(
        summary="Delete a company (its contacts, deals and activities stay)", tags=["companies"]
    ),
    upsert=extend_schema(
        summary="Create or update a company by domain (201 created, 200 updated)",
        tags=["companies"],
        request=CompanyUpsertSerializer,
        responses={200: CompanySerializer, 201: CompanySerializer},
    ),
)
class CompanyViewSet(CrudViewSet):
    """Organisations: unique by normalised domain inside the organization."""

    serializer_class = CompanySerializer
    filterset_class = CompanyFilterSet
    relations = {"owner": Relation("owner", "owner_id", UserSerializer)}
    writes = services.COMPANY_WRITES

    @action(detail=False, methods=["post"])
    def upsert(self, request, *args, **kwargs):
        serializer = CompanyUpsertSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        with transaction.atomic():
            company, created = services.company_upsert(org=self.org, actor=self.actor, **data)
        return _upsert_response(self, company, created)
