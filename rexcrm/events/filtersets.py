from rexcrm.core.filters import ChoiceInFilter, OrgFilterSet, TypeIdInFilter
from rexcrm.events.choices import DeliveryStatus, WebhookStatus
from rexcrm.events.models import Delivery, Event, Webhook


class WebhookFilterSet(OrgFilterSet):
    sort_fields = ("created_at", "updated_at")
    status = ChoiceInFilter(choices=WebhookStatus.choices)

    class Meta:
        model = Webhook
        fields = []


class DeliveryFilterSet(OrgFilterSet):
    status = ChoiceInFilter(choices=DeliveryStatus.choices)
    event_id = TypeIdInFilter(field_name="event__uuid", prefix=Event.type_prefix)

    class Meta:
        model = Delivery
        fields = []
