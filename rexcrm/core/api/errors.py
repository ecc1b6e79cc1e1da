"""The error half of the contract (API.md §4): one body shape and one code per failure.

``{"error": {"code", "message", "fields"?, "request_id", …}}`` for every failure, whether it
comes from a serializer, DRF, Django (404 of an unknown URL, oversize body) or a bug (500).
"""

import logging

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ObjectDoesNotExist, TooManyFieldsSent
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, InterfaceError, OperationalError
from django.http import Http404, HttpResponse
from rest_framework import exceptions, status
from rest_framework.exceptions import ErrorDetail
from rest_framework.response import Response

from rexcrm.core.exceptions import ConflictError

logger = logging.getLogger("rexcrm.api")


class ApiError(exceptions.APIException):
    """An error with a contract code; ``extra`` adds top-level keys (``existing_id``)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "validation_error"
    default_detail = "Invalid request."

    def __init__(self, message=None, *, code=None, status_code=None, fields=None, **extra):
        super().__init__(message or self.default_detail, code or self.default_code)
        self.code = code or self.default_code
        if status_code:
            self.status_code = status_code
        self.fields = fields
        self.extra = extra


class InvalidCursor(ApiError):
    default_code = "invalid_cursor"
    default_detail = "The cursor is not valid for this list: use next_cursor exactly as returned."


class PayloadTooLarge(ApiError):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


class Conflict(ApiError):
    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"


class RateLimitExceeded(exceptions.Throttled):
    pass


# The database unreachable (restarting, failing over, out of connections) or a connection it
# dropped: a 503 the client retries (bench/drills.py). A write is not acknowledged; its commit
# may still have reached the server just before the connection dropped, so retries should
# carry an external_id or an Idempotency-Key. django.request logs each such answer.
UNAVAILABLE = (OperationalError, InterfaceError)
UNAVAILABLE_MESSAGE = "The database is briefly unavailable. Retry shortly."
UNAVAILABLE_RETRY_AFTER = "5"


# Field error codes that name the whole error when present (most specific first).
_PROMOTED_FIELD_CODES = ("unknown_field", "invalid_reference")

_STATUS_CODES = {
    exceptions.ParseError: "invalid_json",
    exceptions.NotAuthenticated: "unauthorized",
    exceptions.AuthenticationFailed: "unauthorized",
    exceptions.PermissionDenied: "forbidden",
    exceptions.NotFound: "not_found",
    exceptions.MethodNotAllowed: "method_not_allowed",
    exceptions.NotAcceptable: "not_acceptable",
    exceptions.UnsupportedMediaType: "unsupported_media_type",
    exceptions.Throttled: "rate_limit_exceeded",
}


def error_body(request, code: str, message: str, fields=None, **extra) -> dict:
    error = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    error.update(extra)
    error["request_id"] = getattr(request, "request_id", None)
    return {"error": error}


def flatten_field_errors(detail, prefix="") -> dict[str, list]:
    """DRF's nested ``{"field": [ErrorDetail]}`` into ``{"field": ["message"]}`` plus codes."""
    flat: dict[str, list] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = key if not prefix else f"{prefix}.{key}"
            if key in ("non_field_errors", "__all__") and not prefix:
                name = "non_field_errors"
            flat.update(flatten_field_errors(value, name))
    elif isinstance(detail, list) and detail and all(isinstance(item, (dict, list)) for item in detail):
        for index, item in enumerate(detail):
            if item:
                flat.update(flatten_field_errors(item, f"{prefix}[{index}]"))
    else:
        items = detail if isinstance(detail, list) else [detail]
        flat[prefix or "non_field_errors"] = list(items)
    return flat


def validation_error_parts(detail) -> tuple[str, str, dict[str, list[str]]]:
    """(code, message, fields) for a DRF ValidationError detail."""
    flat = flatten_field_errors(detail)
    codes = {getattr(item, "code", None) for items in flat.values() for item in items}
    code = next((c for c in _PROMOTED_FIELD_CODES if c in codes), "validation_error")
    fields = {name: [str(item) for item in items] for name, items in flat.items()}
    message = "; ".join(
        (f"{name}: {messages[0]}" if name != "non_field_errors" else messages[0])
        for name, messages in fields.items()
    )
    return code, message or "Invalid request.", fields


def from_service_error(exc: Exception) -> Exception:
    """Services raise Django's ValidationError (400) and ConflictError (409), free of DRF; the
    error codes survive the trip (a service's ``invalid_reference`` is the response's code)."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = {
                ("non_field_errors" if field == "__all__" else field): _details(errors)
                for field, errors in exc.error_dict.items()
            }
        else:
            detail = {"non_field_errors": _details(exc.error_list)}
        return exceptions.ValidationError(detail)
    if isinstance(exc, ConflictError):
        extra = {"existing_id": exc.existing.typeid} if exc.existing is not None else {}
        fields = {exc.field: [exc.message]} if exc.field else None
        return Conflict(exc.message, fields=fields, **extra)
    return exc


def _model_of(exc: ObjectDoesNotExist):
    return next(model for model in apps.get_models() if type(exc) is model.DoesNotExist)


def _details(errors) -> list[ErrorDetail]:
    return [
        ErrorDetail(message, code=error.code or "invalid") for error in errors for message in error.messages
    ]


def exception_handler(exc, context):
    # Imported here: rest_framework.views loads the parser classes, which import this module,
    # so a module-level import would make ``import rexcrm.core.api.errors`` (e.g. from a
    # service raising Conflict) circular when it comes first.
    from rest_framework.views import set_rollback

    request = context.get("request")
    exc = from_service_error(exc)
    if isinstance(exc, ObjectDoesNotExist):  # gone between the view's read and the service's lock
        exc = exceptions.NotFound(f"{_model_of(exc)._meta.verbose_name.capitalize()} not found.")
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or "Not found.")
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, TooManyFieldsSent):  # ``request.GET`` over its bound: was a 500 (the fuzzer)
        exc = exceptions.ValidationError(
            {"non_field_errors": [f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} parameters."]}
        )
    elif isinstance(exc, IntegrityError):  # a linked row deleted by another request meanwhile
        exc = ApiError(
            "An object this request links to was deleted or changed meanwhile; nothing was saved.",
            code="conflict",
            status_code=409,
        )

    headers = {}
    if isinstance(exc, ApiError):
        body = error_body(request, exc.code, str(exc.detail), exc.fields, **exc.extra)
    elif isinstance(exc, exceptions.ValidationError):
        body = error_body(request, *validation_error_parts(exc.detail))
    elif isinstance(exc, exceptions.APIException):
        code = next((c for cls, c in _STATUS_CODES.items() if isinstance(exc, cls)), "error")
        message = str(exc.detail)
        if isinstance(exc, exceptions.Throttled):
            wait = max(1, int(exc.wait or 1))
            headers["Retry-After"] = str(wait)
            message = f"Rate limit exceeded. Retry after {wait} seconds."
        elif isinstance(exc, exceptions.NotAuthenticated):
            message = "Missing API key: send it in the X-Api-Key header."
        body = error_body(request, code, message)
    elif isinstance(exc, UNAVAILABLE):
        set_rollback()
        return Response(
            error_body(request, "service_unavailable", UNAVAILABLE_MESSAGE),
            status=status.HTTP_503_SERVICE_UNAVAILABLE,
            headers={"Retry-After": UNAVAILABLE_RETRY_AFTER},
        )
    else:
        logger.exception("Unhandled error in API view", exc_info=exc)
        set_rollback()
        return Response(
            error_body(request, "internal_error", "Internal server error."),
            status=status.HTTP_500_INTERNAL_SERVER_ERROR,
        )

    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)


def json_error(request, status_code: int, code: str, message: str) -> HttpResponse:
    """An error response outside DRF views (unknown URL, middleware failure)."""
    from rexcrm.core.api.renderers import dumps

    body = dumps(error_body(request, code, message))
    return HttpResponse(body, status=status_code, content_type="application/json")
