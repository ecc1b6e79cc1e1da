"""Base serializer of every resource: strict input, and one fast output path for all reads.

Input goes through DRF validation, with unknown fields refused (400 ``unknown_field``) and
read-only fields ignored. Output never builds model instances: the serializer's readable
fields compile into an ``OutputPlan`` over ``values_list`` columns, which renders a page of
tuples with a few dictionary operations per row. The plan is compiled when the serializer
class is defined, so a field it cannot render is an error at import, not a wrong or failing
response. The same serializer describes both directions in the OpenAPI document, and a test
checks that the plan renders exactly what DRF's ``to_representation`` would.
"""

import copy
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache

from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db import connection
from rest_framework import serializers
from rest_framework.exceptions import ErrorDetail

from rexcrm.core import clock, ids
from rexcrm.core.api.errors import ApiError
from rexcrm.core.api.fields import BatchedField, IdField, PlannedField, WithNow


@dataclass(frozen=True)
class Batch:
    """The plan entry of a ``BatchedField``: ``fetch(keys) -> {key: value}`` once per page."""

    fetch: object
    default: object


class OutputPlan:
    """Renders rows (tuples of ``columns``) into dicts of the serializer's output shape.

    The rendering is one function generated for the plan: a list comprehension building each
    row's dict in one display, with the TypeIDs looked up inline (``ids.Encoder.source``), so a
    row costs no Python call but its fields' own converters (computed values, dates…).
    """

    def __init__(self, entries: list[tuple[str, tuple[str, ...], object]], extra_columns=()):
        columns: list[str] = []
        for _, cols, _ in entries:
            columns.extend(c for c in cols if c not in columns)
        columns.extend(c for c in extra_columns if c not in columns)
        self.columns = columns
        index = {c: i for i, c in enumerate(columns)}
        self.batches = []  # (key, index of the key column, Batch): filled in per page
        for key, cols, convert in entries:
            if isinstance(convert, Batch):
                self.batches.append((key, index[cols[0]], convert))
        self.keys = [key for key, _, _ in entries]
        self._render_rows = _compile_renderer(entries, index)

    def render(self, row) -> dict:
        return self.render_rows([row])[0]

    def render_rows(self, rows) -> list[dict]:
        rendered = self._render_rows(rows)
        for key, i, batch in self.batches:
            # Keyed by the UUID's integer: a UUID's own hash is a Python call.
            keys = {value.int: value for row in rows if (value := row[i]) is not None}
            found = {k.int: value for k, value in batch.fetch(list(keys.values())).items()} if keys else {}
            default = batch.default
            for row, out in zip(rows, rendered, strict=True):
                value = row[i]
                out[key] = found[n] if value is not None and (n := value.int) in found else default()
        return rendered


def _compile_renderer(entries, index):
    """``render_rows(rows) -> [dict]`` for ``entries`` (key, columns, converter) over columns at
    ``index``: a converter of one column is not called for None; a ``WithNow`` converter also
    takes the page's ``clock.now()``; a ``Batch``'s key holds its place (the dict's order) until
    the page's values are filled in."""
    names = {"_clock": clock}
    items, uses_now = [], False
    for n, (key, cols, convert) in enumerate(entries):
        args = ", ".join(f"row[{index[c]}]" for c in cols)
        now = ""
        if isinstance(convert, WithNow):
            convert, now, uses_now = convert.func, ", _now", True
        names[f"_c{n}"] = convert
        if isinstance(convert, Batch):
            value = "None"
        elif convert is None:
            value = args
        elif isinstance(convert, ids.Encoder):
            names.update(convert.names())
            value = f"None if (_v := {args}) is None else {convert.source('_v')}"
        elif len(cols) > 1:
            value = f"_c{n}({args}{now})"
        else:
            value = f"None if (_v := {args}) is None else _c{n}(_v{now})"
        items.append(f"{key!r}: {value}")
    now = "    _now = _clock.now()\n" if uses_now else ""
    source = f"def render_rows(rows):\n{now}    return [{{{', '.join(items)}}} for row in rows]\n"
    exec(compile(source, "<output plan>", "exec"), names)
    return names["render_rows"]


# Fields whose JSON value is already the Python value (after the type check): their rules
# (length, choices, range, format) are the domain's, applied by the services.
_PASSTHROUGH = (
    serializers.CharField,
    serializers.ChoiceField,
    serializers.IntegerField,
    serializers.FloatField,
    serializers.BooleanField,
    serializers.JSONField,
)


class StrictInputMixin:
    """Input of every API body, wire concerns only: a JSON object, no unknown fields (400
    ``unknown_field``), required keys present, null only where the API takes it, strict JSON
    types (``"5"`` is not an integer), values parsed where JSON has no type of their own
    (dates, ids of this organization), API names turned into model names (``company_id`` →
    ``company``). Read-only fields sent are ignored.

    Every business rule (lengths, choices, ranges, formats, uniqueness…) is the services'
    (``rexcrm.core.services.apply_changes``), so the API refuses exactly what every other door
    refuses, in the same words.
    """

    def get_validators(self):
        return []  # uniqueness is the services' (and the database's)

    def run_validators(self, value):
        # DRF merges the read-only fields' defaults into every value before running the
        # validators, even when there are none: a tenth of a 500-item batch's validation.
        if self.validators:
            super().run_validators(value)

    @cached_property
    def _input_fields(self) -> tuple[frozenset, list]:
        """Every field's name, and the writable fields: read once per serializer (a batch
        validates its 500 items with one), not through ``fields``' mapping for every key."""
        fields = self.fields
        return frozenset(fields), [(name, field) for name, field in fields.items() if not field.read_only]

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [ErrorDetail("Expected a JSON object.", code="invalid")]}
            )
        names, writable = self._input_fields
        unknown = [key for key in data if key not in names]
        if unknown:
            raise serializers.ValidationError(
                {key: [ErrorDetail("Unknown field.", code="unknown_field")] for key in unknown}
            )
        partial = getattr(self.root, "partial", False)
        values, errors = {}, {}
        for name, field in writable:
            if name not in data:
                if field.required and not partial:
                    errors[name] = [ErrorDetail(field.error_messages["required"], code="required")]
                continue
            try:
                value = wire_value(field, data[name])
            except serializers.ValidationError as exc:
                errors[name] = exc.detail
                continue
            self.set_value(values, field.source_attrs, value)
        if errors:
            raise serializers.ValidationError(errors)
        return values


def wire_value(field, value):
    """A field's JSON value as the Python value the services take (see StrictInputMixin)."""
    if value is None:
        if not field.allow_null:
            field.fail("null")
        return None
    message = json_type_error(field, value)
    if message:
        raise serializers.ValidationError(message, code="invalid")
    if isinstance(field, PlannedField) or not _passes_through(type(field)):
        return field.to_internal_value(value)
    return value


@lru_cache
def _passes_through(cls) -> bool:
    """A _PASSTHROUGH field's JSON value is its value, unless its class reads input its own way."""
    base = next((base for base in _PASSTHROUGH if issubclass(cls, base)), None)
    return base is not None and cls.to_internal_value is base.to_internal_value


class ResourceSerializer(StrictInputMixin, serializers.ModelSerializer):
    # Subclasses declare ``Meta.model`` (with ``type_prefix``) and ``Meta.fields``. (A comment,
    # not a docstring: the OpenAPI document would show a docstring as every subclass's description.)

    id = IdField()

    def get_fields(self):
        # ModelSerializer introspects the model and builds every field again for each instance
        # (about 0.5 ms of a single create); they depend on the class alone, so they are built
        # once per class and copied (``_copy_field``).
        return {name: _copy_field(field) for name, field in _built_fields(type(self)).items()}

    # -- the fast output path -------------------------------------------------------------

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.output_plan()  # compiled now: a field the plan cannot render fails here, by name

    @classmethod
    def readable_field_names(cls) -> tuple[str, ...]:
        return _readable_names(cls)

    @classmethod
    def output_plan(
        cls, fields: frozenset[str] | None = None, extra_columns: tuple[str, ...] = ()
    ) -> OutputPlan:
        return _plan(cls, fields, extra_columns)

    @classmethod
    def parse_fields_param(cls, raw: str | None) -> frozenset[str] | None:
        """``fields=id,email``: a sparse fieldset (``id`` always included); unknown names are a 400."""
        if not raw:
            return None
        requested = {name.strip() for name in raw.split(",")}
        known = set(cls.readable_field_names())
        unknown = sorted(requested - known)
        if unknown:
            raise ApiError(
                f"fields: unknown field(s) {', '.join(unknown)}.",
                fields={
                    "fields": [f"Unknown field(s): {', '.join(unknown)}. Known: {', '.join(sorted(known))}."]
                },
            )
        return frozenset(requested | {"id"})


def json_type_error(field, value) -> str | None:
    """JSON types are checked strictly (DRF alone would take ``"5"`` for 5 and ``5`` for "5")."""
    if field.read_only:
        return None
    check = _json_type_check(type(field))
    if check is None:
        return None
    accepted, refused, message = check
    return None if isinstance(value, accepted) and not isinstance(value, refused) else message


# (field class, the JSON types it takes, those it refuses, the message) in lookup order.
_JSON_TYPES = (
    (serializers.BooleanField, bool, (), "Must be true or false."),
    (serializers.IntegerField, int, bool, "Must be an integer."),
    (serializers.FloatField, (int, float), bool, "Must be a number."),
    (
        (serializers.CharField, serializers.ChoiceField, serializers.DateTimeField, serializers.DateField),
        str,
        (),
        "Must be a string.",
    ),
)


@lru_cache
def _json_type_check(cls) -> tuple | None:
    """The JSON type rule of a field class: ``(accepted, refused, message)``, or None."""
    return next(
        (
            (accepted, refused, message)
            for kind, accepted, refused, message in _JSON_TYPES
            if issubclass(cls, kind)
        ),
        None,
    )


# Fields holding other fields, bound to them (a list's child, a nested serializer's fields).
_COMPOSITE_FIELDS = (
    serializers.ListField,
    serializers.DictField,
    serializers.ManyRelatedField,
    serializers.BaseSerializer,
)


def _copy_field(field):
    """A field to bind to a new serializer. A field's state is its own attributes, which binding
    sets on the copy (name, parent, source), so a shallow copy does, at a quarter of DRF's deep
    copy (which builds the field again from its arguments); one holding other fields is deep-copied
    so that its children are bound to the copy."""
    return copy.deepcopy(field) if isinstance(field, _COMPOSITE_FIELDS) else copy.copy(field)


@cache
def _built_fields(cls) -> dict:
    return super(ResourceSerializer, cls()).get_fields()


@cache
def _readable_names(cls) -> tuple[str, ...]:
    return tuple(name for name, field in cls().fields.items() if not field.write_only)


# Plain DRF fields whose output is their column's value as orjson writes it (EmailField,
# URLField… are CharFields). Any other readable field must be a PlannedField.
COLUMN_FIELDS = (
    serializers.BooleanField,
    serializers.CharField,
    serializers.ChoiceField,
    serializers.DateField,
    serializers.DateTimeField,
    serializers.DecimalField,
    serializers.FloatField,
    serializers.IntegerField,
    serializers.JSONField,
)


@lru_cache(maxsize=512)
def _plan(cls, fields, extra_columns) -> OutputPlan:
    entries = []
    for name, field in cls().fields.items():
        if field.write_only or (fields is not None and name not in fields):
            continue
        if isinstance(field, BatchedField):
            subquery = field.plan_subquery() if connection.vendor == "postgresql" else None
            if subquery is not None:  # a column of the page's own query
                entries.append((name, (subquery,), field.plan_subquery_convert()))
            else:
                entries.append((name, field.plan_columns(), Batch(field.plan_fetch(), field.plan_default)))
        elif isinstance(field, PlannedField):
            entries.append((name, field.plan_columns(), field.plan_convert()))
        else:
            _check_column_field(cls, name, field)
            convert = str if isinstance(field, serializers.DecimalField) else None
            entries.append((name, (field.source,), convert))
    return OutputPlan(entries, extra_columns)


def _check_column_field(cls, name, field) -> None:
    """A plain field must be a column field over a column of the model, else ImproperlyConfigured."""
    kind, source, model = type(field).__name__, field.source, cls.Meta.model
    base = next((base for base in COLUMN_FIELDS if isinstance(field, base)), None)
    if base is None:
        problem = f"a {kind}"
    elif type(field).to_representation is not base.to_representation:
        problem = f"a {kind}, which changes the value in to_representation"
    elif source == "*":
        problem = f"a {kind} with source='*'"
    elif "." in source:
        problem = f"a {kind} with source={source!r}, which would read a related object per row"
    elif not _is_column(model, source):
        problem = f"a {kind} over {source!r}, which is not a plain column of {model.__name__}"
    else:
        return
    raise ImproperlyConfigured(
        f"{cls.__name__}.{name}: the output plan cannot render {problem}. Declare it as a ComputedField "
        "(a value computed from columns of the row), a BatchedField (a value from one query per page) "
        "or a RefField (a link to another object)."
    )


def _is_column(model, name: str) -> bool:
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return field.concrete and not field.is_relation
