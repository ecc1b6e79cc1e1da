from django.core import signing
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from rexcrm.core import ids
from rexcrm.core.api.errors import ApiError, InvalidCursor
from rexcrm.core.api.fields import typeid_schema
from rexcrm.core.api.pagination import Page, list_envelope, parse_limit
from rexcrm.core.api.views import CrudViewSet, ListMixin, ResourceViewSet, SubListMixin
from rexcrm.events import services, types
from rexcrm.events.api.serializers import (
    EVENT_PATTERNS,
    DeliverySerializer,
    EventSerializer,
    WebhookReplaySerializer,
    WebhookSerializer,
)
from rexcrm.events.filtersets import DeliveryFilterSet, WebhookFilterSet
from rexcrm.events.models import Event, Webhook

_CURSOR_SALT = "rexcrm.events.cursor"


@extend_schema_view(
    list=extend_schema(
        summary="List events (the log of every change), oldest first",
        description="Ordered by the log: the order in which changes committed (events of one change are "
        "consecutive). Page forward with cursor, or start after an event id with after. Events are "
        "kept at least 30 days.",
        tags=["events"],
        parameters=[
            OpenApiParameter(
                "type",
                {"type": "array", "items": {"type": "string", "enum": list(EVENT_PATTERNS)}},
                explode=False,
                description="Comma-separated types (contact.created), resource wildcards (deal.*) or *.",
            ),
            OpenApiParameter(
                "after", typeid_schema("evt"), description="An event id (evt_…): the events after it."
            ),
        ],
    )
)
class EventViewSet(ListMixin, ResourceViewSet):
    """The event log (API.md §6.11): every change of every object, in order."""

    serializer_class = EventSerializer
    filterset_class = None
    list_params = frozenset({"cursor", "limit", "type", "after"})

    def list_response(self, queryset) -> Response:
        params = self.request.query_params
        self.check_query_params(self.list_params)
        limit = parse_limit(params.get("limit"))
        events = queryset.committed().filter(webhook__isnull=True)
        if params.get("type"):
            try:
                patterns = types.clean_patterns([p for p in params["type"].split(",") if p.strip()] or [""])
            except DjangoValidationError as exc:
                raise ApiError(f"type: {exc.messages[0]}", fields={"type": exc.messages}) from None
            events = events.filter(types.patterns_q(patterns))
        position = self._position(params.get("cursor"), params.get("after"))
        if position is not None:
            events = events.after(*position)
        plan = self.serializer_class.output_plan(extra_columns=("txid", "id"))
        rows = list(events.in_log_order().values_list(*plan.columns)[: limit + 1])
        has_more = len(rows) > limit
        rows = rows[:limit]
        cursor = None
        if has_more:
            last = rows[-1]
            cursor = signing.dumps(
                [last[plan.columns.index("txid")], last[plan.columns.index("id")]], salt=_CURSOR_SALT
            )
        return Response(list_envelope(plan.render_rows(rows), Page(rows, has_more, cursor)))

    def _position(self, cursor: str | None, after: str | None) -> tuple[int, int] | None:
        """From ``cursor`` (which wins) or ``after`` (an event of this organization)."""
        if cursor:
            try:
                txid, pk = signing.loads(cursor, salt=_CURSOR_SALT)
                return int(txid), int(pk)
            except (signing.BadSignature, TypeError, ValueError):
                raise InvalidCursor() from None
        if not after:
            return None
        try:
            uuid = ids.decode(Event.type_prefix, after.strip())
        except ids.InvalidId as exc:
            raise ApiError(f"after: {after!r} {exc}.", fields={"after": [f"{exc}."]}) from None
        found = Event.objects.for_org(self.org).filter(uuid=uuid).values_list("txid", "id").first()
        if found is None:
            message = f"No event with id {after} in this organization (events are kept 30 days)."
            raise ApiError(f"after: {message}", code="invalid_reference", fields={"after": [message]})
        return found


@extend_schema_view(
    list=extend_schema(summary="List webhooks", tags=["webhooks"]),
    retrieve=extend_schema(summary="Get a webhook", tags=["webhooks"]),
    create=extend_schema(
        summary="Create a webhook (the response holds its secret, shown only here)", tags=["webhooks"]
    ),
    partial_update=extend_schema(
        summary="Update a webhook (status active resumes a paused or disabled one)", tags=["webhooks"]
    ),
    destroy=extend_schema(summary="Delete a webhook", tags=["webhooks"]),
)
class WebhookViewSet(CrudViewSet):
    """Event subscriptions delivered by POST to a URL, signed with the webhook's secret."""

    serializer_class = WebhookSerializer
    filterset_class = WebhookFilterSet
    writes = services.WEBHOOK_WRITES

    def perform_create(self, data: dict):
        webhook, created = super().perform_create(data)
        self.secret = webhook.secret
        return webhook, created

    def create(self, request, *args, **kwargs):
        response = super().create(request, *args, **kwargs)
        response.data["data"]["secret"] = response.data["secret"] = self.secret
        return response

    @extend_schema(
        summary="Send a ping event to the webhook now",
        description="Queued for the worker, after an event being retried (which is retried now). 202 with "
        "the ping event; its delivery shows under /webhooks/:id/deliveries. 409 unless the webhook is active.",
        tags=["webhooks"],
        request=None,
        responses={202: EventSerializer},
    )
    @action(detail=True, methods=["post"])
    def ping(self, request, *args, **kwargs):
        self.check_query_params(())
        event = services.webhook_ping(org=self.org, actor=self.actor, webhook=self.get_object())
        plan = EventSerializer.output_plan()
        row = Event.objects.filter(pk=event.pk).values_list(*plan.columns).get()
        return Response({"data": plan.render(row)}, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Deliver again the events since a time, in order",
        tags=["webhooks"],
        request=WebhookReplaySerializer,
        responses={202: WebhookSerializer},
    )
    @action(detail=True, methods=["post"])
    def replay(self, request, *args, **kwargs):
        self.check_query_params(())
        webhook = self.get_object()
        serializer = WebhookReplaySerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.webhook_replay(org=self.org, actor=self.actor, webhook=webhook, **serializer.validated_data)
        return Response(self.detail_body(webhook.pk), status=status.HTTP_202_ACCEPTED)


@extend_schema_view(
    list=extend_schema(summary="A webhook's delivery attempts, newest first", tags=["webhooks"])
)
class WebhookDeliveryViewSet(SubListMixin, ResourceViewSet):
    serializer_class = DeliverySerializer
    filterset_class = DeliveryFilterSet
    parent_model = Webhook
    parent_kwarg = "webhook_id"
    parent_filter = "webhook_id"
