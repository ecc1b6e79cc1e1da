from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema, extend_schema_field, extend_schema_view, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from activities import services
from activities.api.serializers import ActivitySerializer, CaptureSerializer, TaskSerializer
from activities.filtersets import ActivityFilterSet, TaskFilterSet
from contacts.api.serializers import CompanySerializer, ContactSerializer
from contacts.models import Company, Contact
from deals.api.serializers import DealSerializer
from deals.models import Deal
from rexcrm.accounts.api.serializers import UserSerializer
from rexcrm.core.api.errors import ApiError, from_service_error, validation_error_parts
from rexcrm.core.api.relations import Relation
from rexcrm.core.api.views import (
    ApiView,
    CrudViewSet,
    ResourceViewSet,
    SubListMixin,
)

BATCH_MAX_ITEMS = 500
ACTIVITY_RELATIONS = {
    "contact": Relation("contact", "contact_id", ContactSerializer),
    "company": Relation("company", "company_id", CompanySerializer),
    "deal": Relation("deal", "deal_id", DealSerializer),
    "owner": Relation("owner", "owner_id", UserSerializer),
}


class ActivityReadMixin:
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilterSet
    relations = ACTIVITY_RELATIONS
    default_include = ("contact",)


@extend_schema_view(
    list=extend_schema(summary="List activities", tags=["activities"]),
    retrieve=extend_schema(summary="Get an activity with its relationships", tags=["activities"]),
    create=extend_schema(
        summary="Log an activity",
        description="201 when created; 200 with the existing activity when (source, external_id) already exists.",
        tags=["activities"],
        responses={201: ActivitySerializer, 200: ActivitySerializer},
    ),
    partial_update=extend_schema(
        summary="Update an activity (only the fields sent change)", tags=["activities"]
    ),
    destroy=extend_schema(summary="Delete an activity", tags=["activities"]),
)
class ActivityViewSet(ActivityReadMixin, CrudViewSet):
    """Calls, emails, meetings, notes: the record of every interaction."""

    max_body_bytes = 8 * 1024 * 1024  # a 1,000,000-character body fits even when JSON-escaped

    writes = services.ACTIVITY_WRITES


@extend_schema_field(
    {
        "type": "array",
        "minItems": 1,
        "maxItems": BATCH_MAX_ITEMS,
        # Any object: an item that is not a valid activity is answered per item (status 400),
        # not by refusing the request, so the document must not call such a request invalid.
        "items": {"anyOf": [{"$ref": "#/components/schemas/ActivityRequest"}, {}]},
        "description": "Each as POST /activities takes it; an invalid one gets its own 400 result.",
    }
)
class BatchItemsField(serializers.ListField):
    pass


BATCH_RESULT_SCHEMA = {
    "type": "object",
    "required": ["index", "status", "id", "error"],
    "properties": {
        "index": {"type": "integer", "description": "The item's position in the request."},
        "status": {"type": "integer", "enum": [200, 201, 400]},
        "id": {"type": "string", "nullable": True},
        "error": {
            "type": "object",
            "nullable": True,
            "description": "code, message and fields, as in error bodies.",
        },
    },
}


@extend_schema_view(
    create=extend_schema(
        summary="Create up to 500 activities in one call",
        description=(
            "One transaction per call. Valid items are stored (201, or 200 for a (source, external_id) "
            "that already exists, also within the batch); invalid ones are reported per item (400) "
            "and stored nothing. Results come in input order."
        ),
        tags=["activities"],
        request=inline_serializer("ActivityBatch", {"activities": BatchItemsField()}),
        # The response is {"data": [...]}: the envelope is added for every single-object response.
        responses={200: {"type": "array", "items": BATCH_RESULT_SCHEMA}},
    ),
)
class ActivityBatchViewSet(ResourceViewSet):
    serializer_class = ActivitySerializer
    max_body_bytes = 16 * 1024 * 1024

    def create(self, request, *args, **kwargs):
        items = self._items(request.data)
        context = self.get_serializer_context()
        self._prefetch_references(items, context)
        results: list[dict | None] = []
        valid: list[tuple[int, dict]] = []
        # One serializer validates every item (what is_valid does, without building the
        # serializer's fields again per item: that was two thirds of a batch's time).
        serializer = ActivitySerializer(context=context)
        for index, item in enumerate(items):
            try:
                # null is "not a JSON object" like any other non-object (run_validation would
                # call it a null value)
                data = (
                    serializer.run_validation(item)
                    if item is not None
                    else serializer.to_internal_value(item)
                )
            except serializers.ValidationError as exc:
                code, message, fields = validation_error_parts(exc.detail)
                error = {"code": code, "message": message, "fields": fields}
                results.append({"index": index, "status": 400, "id": None, "error": error})
            else:
                valid.append((index, data))
                results.append(None)
        stored = services.activity_create_many(
            org=self.org, actor=self.actor, items=[dict(data) for _, data in valid]
        )
        for (index, _), result in zip(valid, stored, strict=True):
            if isinstance(result, DjangoValidationError):
                code, message, fields = validation_error_parts(from_service_error(result).detail)
                error = {"code": code, "message": message, "fields": fields}
                results[index] = {"index": index, "status": 400, "id": None, "error": error}
                continue
            activity, created = result
            results[index] = {
                "index": index,
                "status": 201 if created else 200,
                "id": activity.typeid,
                "error": None,
            }
        return Response({"data": results}, status=status.HTTP_200_OK)

    def _items(self, data) -> list:
        unknown = sorted(set(data) - {"activities"})
        if unknown:
            raise ApiError(
                f"Unknown field(s): {', '.join(unknown)}.",
                code="unknown_field",
                fields={name: ["Unknown field."] for name in unknown},
            )
        items = data.get("activities")
        if not isinstance(items, list) or not 1 <= len(items) <= BATCH_MAX_ITEMS:
            raise ApiError(
                f"activities: must be a list of 1 to {BATCH_MAX_ITEMS} activities.",
                fields={"activities": [f"Must be a list of 1 to {BATCH_MAX_ITEMS} activities."]},
            )
        return items

    def _prefetch_references(self, items, context) -> None:
        """Resolve every referenced id of the batch in one query per type (not one per item)."""
        serializer = ActivitySerializer(context=context)
        for name in ("contact_id", "company_id", "deal_id", "owner_id"):
            serializer.fields[name].prefetch(item.get(name) for item in items if isinstance(item, dict))


class ActivitySubListViewSet(ActivityReadMixin, SubListMixin, ResourceViewSet):
    pass


@extend_schema_view(list=extend_schema(summary="A contact's activities", tags=["activities"]))
class ContactActivityViewSet(ActivitySubListViewSet):
    parent_model = Contact
    parent_kwarg = "contact_id"
    parent_filter = "contact_id"


@extend_schema_view(
    list=extend_schema(summary="A company's activities, including its contacts'", tags=["activities"])
)
class CompanyActivityViewSet(ActivitySubListViewSet):
    parent_model = Company
    parent_kwarg = "company_id"

    def filter_by_parent(self, queryset, parent_pk):
        return queryset.for_company_timeline(parent_pk)


@extend_schema_view(list=extend_schema(summary="A deal's activities", tags=["activities"]))
class DealActivityViewSet(ActivitySubListViewSet):
    parent_model = Deal
    parent_kwarg = "deal_id"
    parent_filter = "deal_id"


class CaptureView(ApiView):
    """``POST /capture``: lead capture for public web forms. A ``capture-only`` key can call
    this and nothing else, so it is safe to embed in a page."""

    allow_capture_scope = True

    @extend_schema(
        summary="Capture a lead from a web form",
        description="201 with the new lead contact, or 200 with the existing contact of that email, updated "
        "without downgrading its stage or blanking its fields. Logs a note activity on its timeline.",
        tags=["capture"],
        request=CaptureSerializer,
        responses={201: ContactSerializer, 200: ContactSerializer},
    )
    def post(self, request):
        serializer = CaptureSerializer(data=request.data, context={"org": request.auth.org})
        serializer.is_valid(raise_exception=True)
        contact, created = services.lead_capture(
            org=request.auth.org, actor=request.auth, **serializer.validated_data
        )
        plan = ContactSerializer.output_plan()
        row = Contact.objects.filter(pk=contact.pk).values_list(*plan.columns).get()
        return Response(
            {"data": plan.render(row)}, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


# -- tasks ---------------------------------------------------------------------------------------


class TaskListMixin:
    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet
    relations = {
        "contact": Relation("contact", "contact_id", ContactSerializer),
        "company": Relation("company", "company_id", CompanySerializer),
        "deal": Relation("deal", "deal_id", DealSerializer),
        "owner": Relation("owner", "owner_id", UserSerializer),
    }


@extend_schema_view(
    list=extend_schema(summary="List tasks (default: soonest due first, undated last)", tags=["tasks"]),
    retrieve=extend_schema(summary="Get a task", tags=["tasks"]),
    create=extend_schema(summary="Create a task", tags=["tasks"]),
    partial_update=extend_schema(summary="Update a task (only the fields sent)", tags=["tasks"]),
    destroy=extend_schema(summary="Delete a task", tags=["tasks"]),
)
class TaskViewSet(TaskListMixin, CrudViewSet):
    """Future work (the activity log records the past)."""

    writes = services.TASK_WRITES


@extend_schema_view(list=extend_schema(summary="The tasks of a contact", tags=["tasks"]))
class ContactTaskViewSet(SubListMixin, TaskListMixin, ResourceViewSet):
    parent_model = Contact
    parent_kwarg = "contact_id"
    parent_filter = "contact_id"


@extend_schema_view(list=extend_schema(summary="The tasks of a deal", tags=["tasks"]))
class DealTaskViewSet(SubListMixin, TaskListMixin, ResourceViewSet):
    parent_model = Deal
    parent_kwarg = "deal_id"
    parent_filter = "deal_id"


@extend_schema_view(
    list=extend_schema(summary="The tasks of a company (linked to it directly)", tags=["tasks"])
)
class CompanyTaskViewSet(SubListMixin, TaskListMixin, ResourceViewSet):
    parent_model = Company
    parent_kwarg = "company_id"
    parent_filter = "company_id"
