"""The one query language: FilterSet pieces shared by the API, the UI and the admin.

- ``TypeIdInFilter``: ``contact_id=cont_…,cont_…`` (each id checked for its prefix).
- ``ChoiceInFilter``: ``type=call,email`` (each value checked against the choices).
- ``BooleanFilter``: ``true``/``false``, strictly; ``StrictIntegerField``: ASCII digits only.
- ``DateTimeBoundFilter``: ISO 8601 datetimes (offset optional, naive = UTC) or dates.
- ``OrgFilterSet``: ``updated_after`` (inclusive) and ``updated_before`` (exclusive) for
  every list, so integrations can sync incrementally over half-open windows.
- ``SearchFilter``: ``search=`` ranked exact > prefix > contains (see ``SEARCH_RANK``).
"""

import operator
import re
from functools import reduce

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, F, Func, IntegerField, Q, TextField, Value, When
from django.db.models.functions import Concat, Lower
from django.db.models.lookups import Contains, Exact, StartsWith
from drf_spectacular.drainage import set_override

from rexcrm.core import clock, ids
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
    """Comma-separated free-text values matched exactly (an empty one matches a blank value)."""


class StrictIntegerField(forms.IntegerField):
    """An integer in ASCII digits (``1000``, ``-5``), as the document's ``integer`` says: not
    ``1e3``, ``10.0``, `` 5``, other scripts' digits, or ``²`` (``isdigit()`` but no ``int()``)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if not re.fullmatch(r"-?[0-9]+", str(value)):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(value)


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
        moment = super().to_python(value)
        return None if moment is None else clock.utc_bound(moment)


# What the bounds take, for the OpenAPI document: a datetime, a date, or nothing (an empty
# value, as an HTML form sends it, is no bound).
BOUND_SCHEMA = {
    "type": "string",
    "anyOf": [{"format": "date-time"}, {"format": "date"}, {"maxLength": 0}],
}


class DateTimeBoundFilter(django_filters.DateTimeFilter):
    field_class = BoundDateTimeField

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        set_override(self, "field", BOUND_SCHEMA)


class OrgFilterSet(django_filters.FilterSet):
    """Filters of an organization's list. The sorts are part of the same language: ``sort=``
    takes one of ``sort_fields`` (``-`` for descending; ``default_sort`` when absent), and
    ``sort_columns`` maps a sort name onto another column (``priority`` -> ``priority_rank``).
    """

    sort_fields: tuple[str, ...] = ("created_at",)
    default_sort = "-created_at"
    sort_columns: dict[str, str] = {}

    updated_after = DateTimeBoundFilter(
        field_name="updated_at", lookup_expr="gte", label="Updated at or after (ISO 8601, inclusive)"
    )
    updated_before = DateTimeBoundFilter(
        field_name="updated_at", lookup_expr="lt", label="Updated before (ISO 8601, exclusive)"
    )


# -- ranked free-text search -----------------------------------------------------------------

SEARCH_RANK = "search_rank"  # annotation: 0 exact, 1 prefix, 2 contains; lists sort by it first


def search_document(fields) -> Func:
    """The lower-cased texts of ``fields`` joined by spaces: what ``search=`` matches inside.

    A PostgreSQL trigram index over the same expression (built by the app's migration) serves
    the match; elsewhere it is a plain ``LIKE``.
    """
    texts = [F(name) for name in fields]
    if len(texts) == 1:
        return Lower(texts[0])
    joined = [texts[0]]
    for text in texts[1:]:
        joined += [Value(" "), text]
    return Lower(Concat(*joined, output_field=TextField()))


class SearchFilter(django_filters.CharFilter):
    """``search=`` (and its alias ``q=``): case-insensitive free text, ranked exact > prefix > contains.

    ``fields`` are the model's text columns searched; a row matches when the term occurs in
    them (``search_document``). ``ranked`` are the texts compared for the rank (default: the
    fields; e.g. a full name as well): rank 0 when one equals the term, 1 when one starts with
    it, 2 otherwise. The rank is annotated as ``search_rank``, and the list view sorts by it
    before the requested sort (the cursor carries it), so pages stay ranked and stable.
    ``alias_of`` names the filter this one aliases: when both are sent, the alias is ignored.
    """

    def __init__(self, *, fields, ranked=None, alias_of: str | None = None, **kwargs):
        kwargs.setdefault("label", "Free-text search, ranked exact > prefix > contains")
        super().__init__(**kwargs)
        self.search_fields = tuple(fields)
        self.ranked = tuple(ranked or fields)
        self.alias_of = alias_of

    def filter(self, qs, value):
        text = (value or "").strip()
        if not text or (self.alias_of and self.parent is not None and self.parent.data.get(self.alias_of)):
            return qs
        term = Lower(Value(text))  # lower-cased by the database, like the texts it is compared with
        texts = [Lower(F(text)) if isinstance(text, str) else Lower(text) for text in self.ranked]
        exact = reduce(operator.or_, (Q(Exact(text, term)) for text in texts))
        prefix = reduce(operator.or_, (Q(StartsWith(text, term)) for text in texts))
        rank = Case(
            When(exact, then=Value(0)),
            When(prefix, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
        return qs.filter(Contains(search_document(self.search_fields), term)).annotate(**{SEARCH_RANK: rank})
