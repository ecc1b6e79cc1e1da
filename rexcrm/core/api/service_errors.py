"""Service errors in API form: Django ``ValidationError`` -> 400, ``ConflictError`` -> 409.

Services stay free of DRF; a viewset that calls them mixes in ``ServiceErrorsMixin`` and the
one error envelope (``rexcrm.core.api.errors``) does the rest. Error codes survive the trip, so
a service's ``invalid_reference`` is the response's ``code``.
"""

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions
from rest_framework.exceptions import ErrorDetail

from rexcrm.core.api.errors import Conflict
from rexcrm.core.exceptions import ConflictError


def _details(errors) -> list[ErrorDetail]:
    details = []
    for error in errors:
        for message in error.messages:
            details.append(ErrorDetail(message, code=error.code or "invalid"))
    return details


def to_api_exception(exc: Exception) -> Exception:
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
        extra = {"existing_id": exc.existing_id} if exc.existing_id else {}
        fields = {exc.field: [exc.message]} if exc.field else None
        return Conflict(exc.message, fields=fields, **extra)
    return exc


class ServiceErrorsMixin:
    def handle_exception(self, exc):
        return super().handle_exception(to_api_exception(exc))
