"""``X-Api-Key`` authentication and scope permissions (API.md §3).

A request's ``request.auth`` is the ApiKey (with its organization loaded) and
``request.user`` is None: keys belong to the organization, not to a person.
"""

from django.conf import settings
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from rexcrm.accounts.choices import ApiKeyScope
from rexcrm.accounts.selectors import apikey_for_raw_key, apikey_usable
from rexcrm.accounts.services import apikey_touch

_MAX_KEY_LENGTH = 200


class ApiKeyAuthentication(authentication.BaseAuthentication):
    header = "HTTP_X_API_KEY"

    def authenticate(self, request):
        raw = request.META.get(self.header)
        if not raw:
            return None
        key = apikey_for_raw_key(raw) if len(raw) <= _MAX_KEY_LENGTH else None
        if key is None or not apikey_usable(key):  # revoked, or its creator deactivated
            raise exceptions.AuthenticationFailed("Invalid or revoked API key.")
        apikey_touch(key=key, resolution_seconds=settings.REX_API["KEY_LAST_USED_RESOLUTION"])
        return (None, key)

    def authenticate_header(self, request):
        return 'ApiKey header="X-Api-Key"'


class ScopePermission(permissions.BasePermission):
    """``read``: safe methods only. ``read-write``: everything. ``capture-only``: views that
    declare ``allow_capture_scope = True`` (``POST /capture``) and nothing else.

    A view may narrow this further with ``required_scopes`` (e.g. key management needs
    ``read-write`` even to read).
    """

    message = "This API key's scope does not allow this request."

    def has_permission(self, request, view):
        key = request.auth
        if key is None:
            raise exceptions.NotAuthenticated()
        required = getattr(view, "required_scopes", None)
        if required is not None:
            return key.scope in required
        if key.scope == ApiKeyScope.READ_WRITE:
            return True
        if key.scope == ApiKeyScope.READ:
            return request.method in permissions.SAFE_METHODS
        return key.scope == ApiKeyScope.CAPTURE_ONLY and getattr(view, "allow_capture_scope", False)


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "rexcrm.accounts.api.auth.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "X-Api-Key",
            "description": "An API key (rex_live_… or rex_test_…); its scope is read, read-write or capture-only.",
        }
