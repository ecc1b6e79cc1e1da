"""Cross-cutting HTTP behaviour: request ids everywhere, JSON errors under /api/."""

import logging
import re
import secrets

from django.core.exceptions import RequestDataTooBig

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
