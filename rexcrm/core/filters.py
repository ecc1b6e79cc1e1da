"""The one query language: FilterSet pieces shared by the API, the UI and the admin.

- ``TypeIdInFilter``: ``contact_id=cont_…,cont_…`` (each id checked for its prefix).
- ``ChoiceInFilter``: ``type=call,email`` (each value checked against the choices).
- ``BooleanFilter``: ``true``/``false``, strictly.
- ``DateTimeBoundFilter``: ISO 8601 datetimes (offset optional, naive = UTC) or dates.
- ``OrgFilterSet``: ``updated_after`` (inclusive) and ``updated_before`` (exclusive) for
  every list, so integrations can sync incrementally over half-open windows.
"""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from drf_spectacular.drainage import set_override

from rexcrm.core import ids
from rexcrm.core.api.fields import typeid_schema


class TypeIdField(forms.Field):
    def __init__(self, *, prefix: str, **kwargs):
        self.prefix = prefix
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return ids.decode(self.prefix, value.strip())
        except ids.InvalidId as exc:
            raise ValidationError(f"{value!r} {exc}.", code="invalid") from None


class TypeIdInFilter(django_filters.BaseInFilter):
    """Comma-separated TypeIDs of one prefix (``prefix=`` argument), matched with ``IN``.

    Documented as an array of ``<prefix>_…`` strings (not the model's UUIDs).
    """

    field_class = TypeIdField

    def __init__(self, *args, prefix: str, **kwargs):
        kwargs.setdefault("help_text", f"Comma-separated {prefix}_ ids.")
        super().__init__(*args, prefix=prefix, **kwargs)
        set_override(self, "field", {**typeid_schema(prefix), "description": self.extra["help_text"]})


class ChoiceInFilter(django_filters.BaseInFilter, django_filters.ChoiceFilter):
    """Comma-separated choices, each validated (an unknown value is a 400, not an empty list)."""


class CharInFilter(django_filters.BaseInFilter, django_filters.CharFilter):
    """Comma-separated free-text values matched exactly."""


class StrictBooleanField(forms.Field):
    """``true``/``false`` (or 1/0, yes/no); anything else is a 400, not a silently ignored filter."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip().lower()
        if text in {"true", "1", "yes"}:
            return True
        if text in {"false", "0", "no"}:
            return False
        raise ValidationError(f"{value!r} is not a boolean: use true or false.", code="invalid")


class BooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class BoundDateTimeField(forms.DateTimeField):
    """ISO 8601 with or without offset (naive is UTC), or a plain date (its midnight UTC).

    A ``+`` in an unencoded query string arrives as a space; it is put back.
    """

    def to_python(self, value):
        if isinstance(value, str) and "T" in value and " " in value:
            value = value.replace(" ", "+")
        return super().to_python(value)


class DateTimeBoundFilter(django_filters.DateTimeFilter):
    field_class = BoundDateTimeField


class OrgFilterSet(django_filters.FilterSet):
    updated_after = DateTimeBoundFilter(
        field_name="updated_at", lookup_expr="gte", label="Updated at or after (ISO 8601, inclusive)"
    )
    updated_before = DateTimeBoundFilter(
        field_name="updated_at", lookup_expr="lt", label="Updated before (ISO 8601, exclusive)"
    )
