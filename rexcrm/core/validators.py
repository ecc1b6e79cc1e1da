"""Validators of model fields that several apps share (the domain's rules, whichever door)."""

import functools
import json
import zoneinfo

import orjson
from django.core.exceptions import ValidationError

METADATA_MAX_BYTES = 16 * 1024
METADATA_MAX_DEPTH = 5


def validate_metadata(value) -> None:
    """``metadata``: a JSON object of arbitrary keys, at most 16 KB as JSON and 5 levels deep."""
    if not isinstance(value, dict):
        raise ValidationError("Must be a JSON object.", code="invalid")
    if _depth(value) > METADATA_MAX_DEPTH:
        raise ValidationError(f"Must be nested at most {METADATA_MAX_DEPTH} levels.", code="invalid")
    try:
        size = len(orjson.dumps(value))
    except TypeError:  # or an integer past 64 bits: PostgreSQL's jsonb gives -9.3e18 back as one
        try:
            size = len(json.dumps(value, allow_nan=False).encode())
        except (TypeError, ValueError):
            raise ValidationError("Must hold only JSON values.", code="invalid") from None
    if size > METADATA_MAX_BYTES:
        raise ValidationError(f"Must be at most {METADATA_MAX_BYTES} bytes as JSON.", code="max_length")


def _depth(value, limit: int = METADATA_MAX_DEPTH + 1) -> int:
    """Nesting depth, counted no further than ``limit`` (so a hostile 10,000 levels costs nothing)."""
    if limit <= 0 or not isinstance(value, (dict, list)):
        return 0
    children = value.values() if isinstance(value, dict) else value
    return 1 + max((_depth(child, limit - 1) for child in children), default=0)


def validate_one_line(value: str) -> None:
    if "\n" in value or "\r" in value:
        raise ValidationError("Must be one line (no line breaks).", code="invalid")


@functools.cache
def time_zone_names() -> frozenset[str]:
    """The IANA time zone names this machine knows (``zoneinfo``), without the ``localtime``
    alias some systems list (the server's own zone, not a name a person picks)."""
    return frozenset(zoneinfo.available_timezones() - {"localtime"})


def validate_time_zone(value: str) -> None:
    if value not in time_zone_names():
        raise ValidationError(
            f'"{value}" is not a time zone: use an IANA name such as Europe/Paris.', code="invalid_choice"
        )
