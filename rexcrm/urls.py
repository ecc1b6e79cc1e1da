from django.contrib import admin
from django.http import HttpResponse
from django.urls import include, path, re_path
from django.views.generic import TemplateView
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerView, SpectacularYAMLAPIView

from rexcrm.core.api.errors import json_error


def api_not_found(request, *args, **kwargs):
    return json_error(request, 404, "not_found", f"No API endpoint at {request.path}.")


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


api_patterns = [
    path("openapi.yaml", SpectacularYAMLAPIView.as_view(), name="openapi-yaml"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi-json"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="openapi-json"), name="api-docs"),
    path("", include("rexcrm.accounts.api.urls")),
    path("", include("contacts.api.urls")),
    path("", include("activities.api.urls")),
    path("", include("deals.api.urls")),
    re_path(r"^.*$", api_not_found),
]

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/", include(api_patterns)),
    re_path(r"^api$", api_not_found),
]
