"""Validators of model fields that several apps share (the domain's rules, whichever door)."""

import orjson
from django.core.exceptions import ValidationError

METADATA_MAX_BYTES = 16 * 1024
METADATA_MAX_DEPTH = 5


def validate_metadata(value) -> None:
    """``metadata``: a JSON object of arbitrary keys, at most 16 KB as JSON and 5 levels deep."""
    if not isinstance(value, dict):
        raise ValidationError("Must be a JSON object.", code="invalid")
    try:
        size = len(orjson.dumps(value))
    except TypeError:
        raise ValidationError("Must hold only JSON values.", code="invalid") from None
    if size > METADATA_MAX_BYTES:
        raise ValidationError(f"Must be at most {METADATA_MAX_BYTES} bytes as JSON.", code="max_length")
    if _depth(value) > METADATA_MAX_DEPTH:
        raise ValidationError(f"Must be nested at most {METADATA_MAX_DEPTH} levels.", code="invalid")


def _depth(value) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def validate_one_line(value: str) -> None:
    if "\n" in value or "\r" in value:
        raise ValidationError("Must be one line (no line breaks).", code="invalid")
