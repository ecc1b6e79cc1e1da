"""Serializer fields of the contract: TypeIDs, org-scoped references, metadata, computed values.

Each field also tells the fast output path (``OutputPlan``) which columns it reads and how to
turn them into JSON, so list pages are built from ``values_list`` tuples without model
instances, while the same serializer drives validation and the OpenAPI document.
"""

from contextlib import suppress
from dataclasses import dataclass

import orjson
from django.db.models import TextField
from django.db.models.functions import Cast
from rest_framework import serializers

from rexcrm.core import clock, ids
from rexcrm.core.rows import instances_by_pks
from rexcrm.core.validators import METADATA_MAX_BYTES, METADATA_MAX_DEPTH


class PlannedField:
    """Mixin: how the fast output path renders this field."""

    def plan_columns(self) -> tuple[str, ...]:
        return (self.source,)

    def plan_convert(self):
        """A callable applied to the column values (None: the value is already JSON-ready)."""
        return None

    def openapi_schema(self) -> dict:
        raise NotImplementedError


class BatchedField(PlannedField):
    """Mixin: a value that is not a column of the row but comes from one extra query per page
    (a deal's ``product_ids``, a pipeline's ``stages``), so a list costs the same number of
    queries for 1 row and for 200.

    ``plan_columns`` names the key column, a UUID (the row's ``id`` by default); ``plan_fetch``
    returns ``fetch(keys) -> {key: value}``, called once per page with a list of every key on it;
    a row whose key is missing from the result gets ``plan_default()``.

    On PostgreSQL a field may instead name an expression of the page's own query
    (``plan_subquery``: an ``ARRAY(SELECT …)`` correlated on the row) and the converter of its
    value (``plan_subquery_convert``), which saves the page its extra query.
    """

    def plan_subquery(self):
        return None

    def plan_subquery_convert(self):
        raise NotImplementedError

    def plan_columns(self):
        return ("id",)

    def plan_fetch(self):
        raise NotImplementedError

    def plan_default(self):
        return None


def typeid_schema(prefix: str, **extra) -> dict:
    # 26 Crockford base32 symbols hold 130 bits; a UUID's 128 leave the first symbol at 0-7.
    return {
        "type": "string",
        "pattern": f"^{prefix}_[0-7][0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{{25}}$",
        "example": f"{prefix}_01JQ3Z6W5C8V2N4R7T9X0Y1B2D",
        **extra,
    }


class IdField(PlannedField, serializers.Field):
    """The object's own id, rendered ``<prefix>_…``; the prefix comes from the model."""

    def __init__(self, **kwargs):
        kwargs.setdefault("read_only", True)
        super().__init__(**kwargs)

    @property
    def prefix(self) -> str:
        return self.parent.Meta.model.type_prefix

    def to_representation(self, value):
        return ids.encode(self.prefix, value)

    def plan_columns(self):
        return ("id",)

    def plan_convert(self):
        return ids.Encoder(self.prefix)

    def openapi_schema(self):
        return typeid_schema(self.prefix, readOnly=True)


def resolve_references(model, texts, *, org) -> list:
    """The objects of ``model`` named by TypeIDs ``texts``, in order, in one query: a malformed
    or wrong-prefix id is a 400 ``validation_error``, one the organization does not own (or
    that does not exist) a 400 ``invalid_reference``."""
    pks = []
    for text in texts:
        try:
            pks.append(ids.decode(model.type_prefix, text))
        except ids.InvalidId as exc:
            raise serializers.ValidationError(f"{text!r} {exc}.", code="invalid") from None
    found = {obj.pk: obj for obj in instances_by_pks(model, pks, org=org)}
    for text, pk in zip(texts, pks, strict=True):
        if pk not in found:
            raise serializers.ValidationError(
                f"No {model._meta.verbose_name} with id {text} in this organization.",
                code="invalid_reference",
            )
    return [found[pk] for pk in pks]


class RefField(PlannedField, serializers.Field):
    """A ``*_id`` reference to another object of the same organization.

    Input: a TypeID of the right prefix (else 400 ``validation_error``) naming a row that the
    organization owns (else 400 ``invalid_reference``, the same for another organization's
    id as for one that does not exist). Output: the TypeID. The serializer context must hold
    ``org``; ids are cached in its ``ref_cache``, where ``prefetch`` resolves a batch's in bulk.
    """

    default_error_messages = {
        "invalid_reference": "No {kind} with id {value} in this organization.",
    }

    def __init__(self, model, *, prefix: str | None = None, **kwargs):
        self.model = model
        self.prefix = prefix or model.type_prefix
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)

    def get_attribute(self, instance):
        return getattr(instance, self.source_attrs[-1] + "_id")

    def to_internal_value(self, data):
        try:
            pk = ids.decode(self.prefix, data)
        except ids.InvalidId as exc:
            raise serializers.ValidationError(str(exc).capitalize() + ".", code="invalid") from None
        key = (self.model, pk)
        if key not in self.context.get("ref_cache", {}):
            self._fetch({pk})
        found = self.context["ref_cache"][key]
        if found is None:
            self.fail("invalid_reference", kind=self.model._meta.verbose_name, value=data)
        return found

    def prefetch(self, texts) -> None:
        """Resolve the ids among ``texts`` in one query (a batch's items, an import's chunk),
        not one per item: ``to_internal_value`` then finds each in the context's ``ref_cache``.
        What is not an id of this field's kind is left to ``to_internal_value``'s errors."""
        pks = set()
        for text in texts:
            if isinstance(text, str):
                with suppress(ids.InvalidId):
                    pks.add(ids.decode(self.prefix, text))
        if pks:
            self._fetch(pks)

    def _fetch(self, pks: set) -> None:
        """Cache each of ``pks`` as its object of the organization, or None."""
        found = {obj.pk: obj for obj in instances_by_pks(self.model, pks, org=self.context["org"])}
        self.context.setdefault("ref_cache", {}).update({(self.model, pk): found.get(pk) for pk in pks})

    def to_representation(self, value):
        return ids.encode(self.prefix, value)

    def plan_columns(self):
        return (self.source_attrs[-1] + "_id",)

    def plan_convert(self):
        return ids.Encoder(self.prefix)

    def openapi_schema(self):
        return typeid_schema(self.prefix, nullable=self.allow_null)


class MetadataField(PlannedField, serializers.JSONField):
    """A JSON object of arbitrary keys (its size and depth are the domain's rule:
    ``rexcrm.core.validators.validate_metadata``)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError("Must be a JSON object.", code="invalid")
        return data

    def to_representation(self, value):
        return value

    def plan_columns(self):
        # The stored JSON as text, passed through to the response unparsed (orjson.Fragment):
        # decoding and re-encoding every row's metadata was a large share of a list page.
        return (Cast(self.source, output_field=TextField()),)

    def plan_convert(self):
        return orjson.Fragment

    def openapi_schema(self):
        return {
            "type": "object",
            "additionalProperties": json_value_schema(METADATA_MAX_DEPTH - 1),
            "description": f"Arbitrary keys; at most {METADATA_MAX_BYTES // 1024} KB as JSON and "
            f"{METADATA_MAX_DEPTH} levels deep.",
        }


def json_value_schema(depth: int) -> dict:
    """Any JSON value holding at most ``depth`` more levels of arrays and objects."""
    choices = [{"type": "string"}, {"type": "number"}, {"type": "boolean"}]
    if depth > 0:
        inner = json_value_schema(depth - 1)
        choices += [{"type": "array", "items": inner}, {"type": "object", "additionalProperties": inner}]
    return {"anyOf": choices, "nullable": True}


class StringListField(PlannedField, serializers.ListField):
    """A list of strings stored as a JSON array column (a webhook's ``event_types``): rendered
    as stored."""

    def __init__(self, **kwargs):
        kwargs.setdefault("child", serializers.CharField())
        super().__init__(**kwargs)

    def openapi_schema(self):
        return {"type": "array", "items": {"type": "string"}}


@dataclass(frozen=True)
class WithNow:
    """A converter that takes ``clock.now()`` after the row's values, read once per page."""

    func: object


class ComputedField(PlannedField, serializers.Field):
    """A read-only value computed from columns of the row, e.g. a contact's ``name``:
    ``func(*columns)``, or with ``now=True`` ``func(*columns, now)`` where ``now`` is
    ``clock.now()``, the same instant for every row of a response (a deal's ``days_in_stage``)."""

    def __init__(self, *, columns: tuple[str, ...], func, schema: dict, now: bool = False, **kwargs):
        self.columns, self.func, self.schema, self.now = columns, func, schema, now
        kwargs["read_only"] = True
        kwargs["source"] = "*"
        super().__init__(**kwargs)

    def to_representation(self, instance):
        values = [getattr(instance, column) for column in self.columns]
        return self.func(*values, clock.now()) if self.now else self.func(*values)

    def plan_columns(self):
        return self.columns

    def plan_convert(self):
        return WithNow(self.func) if self.now else self.func

    def openapi_schema(self):
        return {**self.schema, "readOnly": True}


class BoundDateTimeField(serializers.DateTimeField):
    """A date and time used as a bound (``since``): in UTC, and one that UTC puts before year 1
    or after 9999 is the first or last instant instead of a 400 (``clock.utc_bound``), as the list
    filters' bounds. A time to be stored keeps DRF's 400 "Datetime value out of range"."""

    def enforce_timezone(self, value):
        if value.tzinfo is None:
            return super().enforce_timezone(value)
        return clock.utc_bound(value)
