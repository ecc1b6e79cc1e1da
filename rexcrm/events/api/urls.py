from rexcrm.core.api.routers import Router
from rexcrm.events.api.views import EventViewSet, WebhookDeliveryViewSet, WebhookViewSet

router = Router()
router.register("events", EventViewSet, basename="event")
router.register("webhooks", WebhookViewSet, basename="webhook")
router.register(
    r"webhooks/(?P<webhook_id>[^/]+)/deliveries", WebhookDeliveryViewSet, basename="webhook-delivery"
)

urlpatterns = router.urls
