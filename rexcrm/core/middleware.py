"""Cross-cutting HTTP behaviour: request ids everywhere, JSON errors under /api/, pages in the
signed-in member's time zone, and the browser pages' middleware kept off the API's path."""

import logging
import re
import secrets
import zoneinfo

from django.conf import settings
from django.contrib.auth import middleware as auth
from django.contrib.messages import middleware as messages
from django.contrib.sessions import middleware as sessions
from django.core.exceptions import RequestDataTooBig
from django.middleware import csp
from django.utils import timezone
from django.utils.csp import CSP, build_policy
from django_htmx import middleware as htmx

from rexcrm.core.api.errors import UNAVAILABLE, UNAVAILABLE_MESSAGE, UNAVAILABLE_RETRY_AFTER, json_error

logger = logging.getLogger("rexcrm.api")

_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


class ResponseHeadersMiddleware:
    """Every response carries ``X-Request-Id`` (the client's if sane, else a new ``req_…``),
    and every API response to a request with a valid key the ``X-RateLimit-*`` headers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        client_id = request.META.get("HTTP_X_REQUEST_ID", "")
        request.request_id = (
            client_id if _CLIENT_REQUEST_ID.match(client_id) else f"req_{secrets.token_hex(12)}"
        )
        response = self.get_response(request)
        response["X-Request-Id"] = request.request_id
        decision = getattr(request, "rate_limit", None)
        if decision is not None:
            for name, value in decision.headers().items():
                response[name] = value
        return response


class ApiErrorMiddleware:
    """Under /api/, an exception that escapes a view becomes a JSON error, never HTML."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_api_path(request.path):
            return None
        if isinstance(exception, RequestDataTooBig):
            return json_error(request, 413, "payload_too_large", "Request body is too large.")
        if isinstance(exception, UNAVAILABLE):
            response = json_error(request, 503, "service_unavailable", UNAVAILABLE_MESSAGE)
            response["Retry-After"] = UNAVAILABLE_RETRY_AFTER
            return response
        logger.exception("Unhandled error under /api/", exc_info=exception)
        return json_error(request, 500, "internal_error", "Internal server error.")


class TimeZoneMiddleware:
    """Web UI and admin pages show and read times in the signed-in member's ``time_zone``
    (templates' ``localtime``, forms' date and time fields, the admin's date drill-down). The
    API always speaks UTC, so its requests are left in the default zone."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = None if is_api_path(request.path) else getattr(request.user, "time_zone", None)
        if not name:
            return self.get_response(request)
        try:
            timezone.activate(zoneinfo.ZoneInfo(name))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):  # a zone this machine no longer knows
            return self.get_response(request)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class BrowserOnlyMixin:
    """Put before a browser pages' middleware class: under /api/ the request passes it by.

    The API authenticates with ``X-Api-Key`` alone: it reads no session, cookie or signed-in
    user (``request.user`` is DRF's, from the key), every view under /api/ is
    ``login_not_required`` (DRF's views and ``api_not_found``), and it sends no messages or htmx
    fragments. So sessions, the signed-in user, login-required, htmx and messages would only
    cost an API request time. The subclasses stay subclasses of Django's classes, so its system
    checks still find them. (CSRF keeps Django's own class, which ``check --deploy`` looks for
    by name; every view under /api/ is exempt from it.)
    """

    def __call__(self, request):
        if is_api_path(request.path_info):
            return self.get_response(request)
        return super().__call__(request)


class _BrowserOnlyViewMixin(BrowserOnlyMixin):
    """For a middleware with a ``process_view`` hook, which Django calls on every request."""

    def process_view(self, request, view_func, view_args, view_kwargs):
        if is_api_path(request.path_info):
            return None
        return super().process_view(request, view_func, view_args, view_kwargs)


class SessionMiddleware(BrowserOnlyMixin, sessions.SessionMiddleware):
    pass


class AuthenticationMiddleware(BrowserOnlyMixin, auth.AuthenticationMiddleware):
    pass


class LoginRequiredMiddleware(_BrowserOnlyViewMixin, auth.LoginRequiredMiddleware):
    pass


class HtmxMiddleware(BrowserOnlyMixin, htmx.HtmxMiddleware):
    pass


class MessageMiddleware(BrowserOnlyMixin, messages.MessageMiddleware):
    pass


class ContentSecurityPolicyMiddleware(csp.ContentSecurityPolicyMiddleware):
    """Django's, with each policy header built once instead of on every response.

    A policy depends on its configuration (``SECURE_CSP``, ``SECURE_CSP_REPORT_ONLY`` or a
    view's ``csp_override``) and on the request's nonce only where it names ``CSP.NONCE``. A
    configuration without the nonce renders the same header every time, so its header is kept
    (per configuration object: ``override_settings`` or an override is another object); one with
    the nonce is built per response, as Django does.
    """

    def __init__(self, get_response):
        super().__init__(get_response)
        self._policies = {}  # id(config) -> (config, header or None when it varies with the nonce)

    def _policy(self, config, nonce) -> str:
        kept = self._policies.get(id(config))
        if kept is None or kept[0] is not config:
            probe = build_policy(config, "probe")
            kept = (config, probe if build_policy(config) == probe else None)
            if len(self._policies) < 64:  # views' overrides are a handful; never grows unbounded
                self._policies[id(config)] = kept
        return kept[1] if kept[1] is not None else build_policy(config, nonce)

    def process_response(self, request, response):
        nonce = csp.get_nonce(request)
        sentinel = object()
        if (csp_config := getattr(response, "_csp_config", sentinel)) is sentinel:
            csp_config = settings.SECURE_CSP
        if (csp_ro_config := getattr(response, "_csp_ro_config", sentinel)) is sentinel:
            csp_ro_config = settings.SECURE_CSP_REPORT_ONLY
        for header, config in ((CSP.HEADER_ENFORCE, csp_config), (CSP.HEADER_REPORT_ONLY, csp_ro_config)):
            # As Django: headers a view set stay; an empty configuration adds none.
            if config and header not in response:
                response.headers[str(header)] = self._policy(config, nonce)
        return response
