"""Serializer fields for money, dates, colours and lists of linked objects."""

import datetime
from itertools import groupby
from operator import itemgetter

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import OuterRef
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import build_array_type
from rest_framework import serializers

from deals.currencies import CURRENCY_CODES, DEFAULT_CURRENCY
from deals.models import MAX_CENTS
from rexcrm.core import ids
from rexcrm.core.api.fields import BatchedField, PlannedField, resolve_references, typeid_schema
from rexcrm.core.rows import in_list, values_rows


class CentsField(PlannedField, serializers.Field):
    """Money in minor units: a JSON integer (never a float, a string or a boolean); its range
    is the domain's rule (``deals.models.MONEY_VALIDATORS``)."""

    default_error_messages = {"invalid": "Must be an integer number of minor units (cents), not {kind}."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid", kind=type(data).__name__)
        return data

    def to_representation(self, value):
        return value

    def openapi_schema(self):
        return {
            "type": "integer",
            "format": "int64",
            "minimum": 0,
            "maximum": MAX_CENTS,
            "description": "Minor units of the currency (cents), default 0.",
        }


class CurrencyField(PlannedField, serializers.CharField):
    """An ISO 4217 code, accepted in either case and stored upper-case (by the services)."""

    def to_representation(self, value):
        return value

    def openapi_schema(self):
        # Exactly the accepted codes, in either case (JSON Schema patterns have no i flag).
        codes = ("".join(f"[{c}{c.lower()}]" for c in code) for code in sorted(CURRENCY_CODES))
        return {
            "type": "string",
            "pattern": f"^({'|'.join(codes)})$",
            "example": DEFAULT_CURRENCY,
            "description": f"ISO 4217 code (either case; returned upper-case), default {DEFAULT_CURRENCY}.",
        }


class LenientDateField(PlannedField, serializers.Field):
    """A date ``YYYY-MM-DD``; an ISO 8601 datetime is accepted too and its date (as written,
    in its own offset) kept."""

    default_error_messages = {"invalid": "Must be a date YYYY-MM-DD (or an ISO 8601 datetime)."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        text = data.strip()
        try:
            parsed = parse_date(text)
            if parsed is None:
                moment = parse_datetime(text)
                parsed = moment.date() if moment is not None else None
        except ValueError:  # well formed but impossible (2026-02-30)
            parsed = None
        if parsed is None:
            self.fail("invalid")
        return parsed

    def to_representation(self, value):
        return value.isoformat() if isinstance(value, datetime.date) else value

    def plan_convert(self):
        return datetime.date.isoformat

    def openapi_schema(self):
        return {
            "type": "string",
            "format": "date",
            "nullable": True,
            "description": "YYYY-MM-DD; a datetime is accepted and its date kept.",
        }


class ColorField(PlannedField, serializers.CharField):
    """``#rrggbb`` (checked by the services); returned lower-case."""

    def to_representation(self, value):
        return value

    def openapi_schema(self):
        # "" means no color, as null does: allow_blank adds that alternative (oneOf), so the
        # pattern must not match "" as well.
        return {"type": "string", "pattern": "^#[0-9A-Fa-f]{6}$", "nullable": True, "example": "#3b82f6"}


class RefListField(BatchedField, serializers.Field):
    """``product_ids``: ids of objects linked through a table (``through``), in id order.

    Input: a list of TypeIDs of ``model`` in the organization (a wrong id is a 400
    ``validation_error``, one that the organization does not own a 400 ``invalid_reference``);
    at most ``max_length`` (the services' limit too). Output: one query per page for every row's list.
    """

    default_error_messages = {
        "not_a_list": "Must be a list of ids.",
        "max_length": "At most {max_length} ids.",
    }

    def __init__(self, model, *, through, source_column: str, target_column: str, max_length: int, **kwargs):
        self.model, self.through = model, through
        self.source_column, self.target_column = source_column, target_column
        self.prefix = model.type_prefix
        self.max_length = max_length
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return instance

    def _linked(self, keys):
        rows = values_rows(
            self.through.objects.filter(in_list(self.source_column, keys)),
            (self.source_column, self.target_column),
            order_by=(self.source_column, self.target_column),
        )
        encode = ids.Encoder(self.prefix)
        return {
            key: [encode(target) for _, target in group] for key, group in groupby(rows, key=itemgetter(0))
        }

    def to_representation(self, instance):
        return self._linked([instance.pk]).get(instance.pk, [])

    def to_internal_value(self, data):
        if not isinstance(data, list) or not all(isinstance(text, str) for text in data):
            self.fail("not_a_list")
        if len(data) > self.max_length:  # bounds the lookup; the services hold the same limit
            self.fail("max_length", max_length=self.max_length)
        return resolve_references(self.model, data, org=self.context["org"])

    def plan_fetch(self):
        return self._linked

    def plan_default(self):
        return []

    def plan_subquery(self):
        linked = self.through.objects.filter(**{self.source_column: OuterRef("id")})
        return ArraySubquery(linked.order_by(self.target_column).values(self.target_column))

    def plan_subquery_convert(self):
        encode = ids.Encoder(self.prefix)
        return lambda targets: [encode(target) for target in targets]

    def openapi_schema(self):
        return {"type": "array", "items": typeid_schema(self.prefix), "maxItems": self.max_length}


class NestedListField(BatchedField, serializers.ListField):
    """A list of child objects rendered inline (a pipeline's ``stages``), in ``order_by``.

    Input goes through ``child`` (a serializer), at most ``max_items`` (the services' limit, on
    create); output costs one query per page, and has no such bound (stages are added later).
    """

    def __init__(self, *, child, foreign_key: str, order_by: str, max_items: int, **kwargs):
        self.foreign_key, self.order_by, self.max_items = foreign_key, order_by, max_items
        super().__init__(child=child, **kwargs)

    def get_attribute(self, instance):
        return instance

    def _queryset(self):
        return self.child.Meta.model.objects.order_by(self.foreign_key, self.order_by)

    def to_representation(self, instance):
        children = self._queryset().filter(**{self.foreign_key: instance.pk})
        return [type(self.child)(child).data for child in children]

    def plan_fetch(self):
        plan = type(self.child).output_plan(extra_columns=(self.foreign_key,))
        index = plan.columns.index(self.foreign_key)
        queryset, foreign_key = self._queryset(), self.foreign_key

        def fetch(keys):
            rows = values_rows(queryset.filter(in_list(foreign_key, keys)), plan.columns)
            rendered = plan.render_rows(rows)
            found: dict = {}
            for row, out in zip(rows, rendered, strict=True):
                found.setdefault(row[index], []).append(out)
            return found

        return fetch

    def plan_default(self):
        return []

    def openapi_schema(self):  # replaced by NestedListFieldSchema (a reference to the child)
        return {"type": "array", "items": {"type": "object"}}


class NestedListFieldSchema(OpenApiSerializerFieldExtension):
    """An array of the child serializer's component (``Stage``), not a bare object."""

    target_class = NestedListField
    match_subclasses = True
    priority = 1  # over the PlannedField extension

    def map_serializer_field(self, auto_schema, direction):
        component = auto_schema.resolve_serializer(type(self.target.child), direction)
        schema = build_array_type(component.ref)
        if direction == "request":
            schema["maxItems"] = self.target.max_items
        return schema
