from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView, SpectacularYAMLAPIView

from rexcrm.core.api.errors import json_error
from rexcrm.core.urls import indexed_include


@csrf_exempt  # a POST to an unknown API path is a JSON 404, not the CSRF middleware's HTML 403
@login_not_required
def api_not_found(request, *args, **kwargs):
    return json_error(request, 404, "not_found", f"No API endpoint at {request.path}.")


@login_not_required
def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@login_not_required
def favicon(request):
    return HttpResponsePermanentRedirect(static("favicon.svg"))


api_patterns = [
    path("openapi.yaml", SpectacularYAMLAPIView.as_view(), name="openapi-yaml"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi-json"),
    # Swagger UI loads its own script from a file (the split view) but sets inline styles, so
    # this one page allows inline styles; scripts stay 'self' only.
    path(
        "docs/",
        csp_override({**settings.SECURE_CSP, "style-src": [CSP.SELF, CSP.UNSAFE_INLINE]})(
            SpectacularSwaggerSplitView.as_view(url_name="openapi-json")
        ),
        name="api-docs",
    ),
    path("", include("rexcrm.accounts.api.urls")),
    path("", include("contacts.api.urls")),
    path("", include("activities.api.urls")),
    path("", include("deals.api.urls")),
    path("", include("rexcrm.events.api.urls")),
    re_path(r"^.*$", api_not_found),
]

urlpatterns = [
    # First: API requests resolve without trying the pages; by first segment (rexcrm.core.urls).
    indexed_include("api/", api_patterns),
    path("", include("rexcrm.accounts.urls")),
    path("", include("rexcrm.events.urls")),
    path("", include("contacts.urls")),  # before the record pages: /contacts/new/ is no id
    path("", include("deals.urls")),
    path("", include("activities.urls")),
    path("", include("imports.urls")),
    path("", include("rexcrm.workspace.urls")),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon),
    path("admin/", admin.site.urls),
    re_path(r"^api$", api_not_found),
]
