from django.urls import path
from django.views.decorators.cache import never_cache

from rexcrm.events import views

app_name = "events"
urlpatterns = [
    # The page answering a creation shows the secret once: never cached.
    path("settings/webhooks/", never_cache(views.WebhooksView.as_view()), name="webhooks"),
    path("settings/webhooks/<str:id>/", views.WebhookView.as_view(), name="webhook"),
    path("settings/webhooks/<str:id>/status/", views.WebhookStatusView.as_view(), name="webhook_status"),
]
