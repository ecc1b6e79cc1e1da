"""JSON request bodies: size-limited, strictly JSON, and an object at the top."""

import orjson
from django.conf import settings
from rest_framework import exceptions, parsers

from rexcrm.core.api.errors import PayloadTooLarge


def max_body_bytes(view) -> int:
    return getattr(view, "max_body_bytes", None) or settings.REX_API["MAX_BODY_BYTES"]


class JSONParser(parsers.BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = max_body_bytes(parser_context.get("view"))
        request = parser_context.get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise PayloadTooLarge(f"Request body is larger than the limit of {limit} bytes.")
        raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise PayloadTooLarge(f"Request body is larger than the limit of {limit} bytes.")
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise exceptions.ParseError(f"Request body is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise exceptions.ParseError("Request body must be a JSON object.")
        if b"\\u0000" in raw:  # cheap pre-check; the walk finds where (if not an escaped backslash)
            path = nul_path(data)
            if path is not None:
                raise exceptions.ValidationError({path or "non_field_errors": [NUL_MESSAGE]})
        return data


NUL_MESSAGE = "The NUL character (\\u0000) is not allowed in text."


def nul_path(value, path: str = "") -> str | None:
    """The dotted path of the first string or key holding a NUL character (which PostgreSQL
    cannot store), or None."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if "\x00" in key:
                return where.replace("\x00", "\\u0000")
            found = nul_path(item, where)
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = nul_path(item, f"{path}[{index}]")
            if found is not None:
                return found
    return None
