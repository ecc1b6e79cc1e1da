import orjson
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from rexcrm.core import ids
from rexcrm.core.api.fields import (
    BoundDateTimeField,
    ComputedField,
    MetadataField,
    PlannedField,
    StringListField,
    typeid_schema,
)
from rexcrm.core.api.serializers import ResourceSerializer, StrictInputMixin
from rexcrm.core.services import editable_api_names
from rexcrm.events.models import Delivery, Event, Webhook
from rexcrm.events.types import EVENT_TYPES, RESOURCES
from rexcrm.events.validators import PUBLIC_URL


class EventIdField(PlannedField, serializers.Field):
    """A TypeID from a UUID column other than the primary key (an event's public ``uuid``)."""

    def __init__(self, prefix: str, **kwargs):
        self.prefix = prefix
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return ids.encode(self.prefix, value)

    def plan_columns(self):
        return ("__".join(self.source_attrs),)

    def plan_convert(self):
        return ids.Encoder(self.prefix)

    def openapi_schema(self):
        return typeid_schema(self.prefix, readOnly=True)


class JsonTextField(PlannedField, serializers.Field):
    """JSON stored as text, passed through unparsed (an event's ``data``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    def to_representation(self, value):
        return orjson.loads(value)

    def plan_convert(self):
        return orjson.Fragment

    def openapi_schema(self):
        return {
            "type": "object",
            "readOnly": True,
            "description": "object: the object after the change, in its API shape (as it was, for a delete); "
            "previous: the changed fields' values before it; contact.merged adds duplicate_ids.",
            "properties": {"object": {"type": "object"}, "previous": {"type": "object"}},
        }


class FollowedField(PlannedField, serializers.ReadOnlyField):
    """A value of a linked row (``source="event.type"``), read through a join."""

    def plan_columns(self):
        return ("__".join(self.source_attrs),)

    def openapi_schema(self):
        return {"type": "string", "readOnly": True}


def _actor(value: str):
    return value or None


class EventSerializer(ResourceSerializer):
    id = EventIdField(Event.type_prefix, source="uuid")
    type = serializers.ChoiceField(choices=[*EVENT_TYPES, "ping"], read_only=True)
    actor_id = ComputedField(
        columns=("actor_id",),
        func=_actor,
        schema={"type": "string", "nullable": True, "description": "user_… or key_…; null for the system."},
    )
    data = JsonTextField()

    class Meta:
        model = Event
        fields = ["id", "type", "occurred_at", "actor_id", "data"]
        read_only_fields = fields


EVENT_PATTERNS = ("*", *EVENT_TYPES, *(f"{resource}.*" for resource in RESOURCES))


@extend_schema_field(
    {
        "type": "string",
        "maxLength": 2000,
        # What rexcrm.events.validators accepts outside debug mode, but for the names of this
        # machine (*.localhost), refused as loopback hosts: a pattern without look-ahead cannot
        # leave one top-level name out, and random data meets it with odds of 26^-9.
        "pattern": PUBLIC_URL,
        "example": "https://hooks.example.com/rex",
    }
)
class WebhookUrlField(serializers.CharField):
    pass  # its value reaches check_url as sent (a space around a URL is no URL)


class EventTypesField(StringListField):
    def openapi_schema(self):
        return {"type": "array", "minItems": 1, "items": {"type": "string", "enum": list(EVENT_PATTERNS)}}


class SecretField(serializers.CharField):
    """A signing secret, used exactly as given. ``""`` is refused, as the document's minLength
    says (found by the fuzzer: a create took it as "generate one", which the services do for
    the admin's empty field); to have one generated, leave the field out."""

    def __init__(self, **kwargs):
        super().__init__(trim_whitespace=False, **kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value == "":
            self.fail("blank")
        return value


class WebhookSerializer(ResourceSerializer):
    """An event subscription: events are POSTed to ``url``, signed with the secret."""

    url = WebhookUrlField(
        max_length=2000,
        help_text="https:// (http:// and loopback hosts only when the server runs in debug mode).",
    )
    event_types = EventTypesField(
        required=False,
        help_text='Types (contact.created), resource wildcards (deal.*) or ["*"] (the default: all). '
        "Also accepted as events.",
    )
    secret = SecretField(
        write_only=True,
        min_length=16,
        max_length=200,
        required=False,
        help_text="Signing secret (16+ characters); generated (whsec_…) if absent; shown only in the "
        "create response. Not null: a secret generated by PATCH would never be shown.",
    )
    metadata = MetadataField()

    class Meta:
        model = Webhook
        fields = ["id", *editable_api_names(Webhook), "failure_count", "created_at", "updated_at"]
        read_only_fields = ["failure_count"]
        extra_kwargs = {"failure_count": {"help_text": "Events given up in a row (20 disable the webhook)."}}

    def to_internal_value(self, data):
        if isinstance(data, dict) and "events" in data:  # the alias
            if "event_types" in data:
                raise serializers.ValidationError(
                    {"events": ["Send event_types or its alias events, not both."]}
                )
            data = {("event_types" if key == "events" else key): value for key, value in data.items()}
        return super().to_internal_value(data)


class WebhookReplaySerializer(StrictInputMixin, serializers.Serializer):
    since = BoundDateTimeField(
        help_text="Deliver again the events that occurred at or after this time (any time that "
        "UTC puts before year 1: every event kept)."
    )


class DeliverySerializer(ResourceSerializer):
    event_id = EventIdField(Event.type_prefix, source="event.uuid")
    event_type = FollowedField(source="event.type")

    class Meta:
        model = Delivery
        fields = [
            "id", "event_id", "event_type", "attempt", "status", "status_code", "duration_ms", "error",
            "next_retry_at", "created_at",
        ]  # fmt: skip
        read_only_fields = fields
