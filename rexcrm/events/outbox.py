"""Appending events: what every service that changes an object calls, inside its transaction.

An event holds the object after the change in its API shape (the resource's serializer, through
its fast ``OutputPlan``, read back from the database in the same transaction, so it is exactly
what ``GET`` would answer once the change commits), the previous values of the fields that
changed (the difference of the two renderings), and the actor. A rolled-back change takes its
events with it; a service that changed nothing records nothing.

Each app's API registers its resources' serializers at start-up (``register``, from the app's
``AppConfig.ready``), so the services never import their API layer.

    before = outbox.snapshot(Contact, [contact.pk])    # updates: the rendering before
    ... the change ...
    outbox.record(org=org, actor=actor, types="contact.updated", obj=contact, before=before)

Bulk paths build the events of many objects and append them with one INSERT:
``outbox.append([*outbox.build(...), *outbox.build(...)])``.
"""

import datetime
import json
from collections.abc import Iterable, Sequence
from functools import cache
from operator import attrgetter

import orjson
from django.db import connection, models
from django.db.models import F
from django.db.models.functions import Cast

from rexcrm.core import bulk, clock
from rexcrm.core.api.renderers import dumps
from rexcrm.core.ids import uuid7
from rexcrm.core.rows import by_pks
from rexcrm.events.models import Event

_SERIALIZERS: dict[type, type] = {}
EVENT_COLUMNS = ("uuid", "org_id", "type", "occurred_at", "actor_id", "data")  # an event, unsaved


def register(model, serializer_class) -> None:
    """Events of ``model`` render objects with ``serializer_class`` (a ``ResourceSerializer``)."""
    _SERIALIZERS[model] = serializer_class


def snapshot(model, pks: Iterable) -> dict:
    """``{pk: JSON bytes}``: the rows' API shape now (one query, plus one per list-valued field)."""
    return rendered(model, by_pks(model, pks, columns(model)))


def columns(model) -> list:
    """The columns of a snapshot's rows (``rendered`` renders them)."""
    return _plan(model).columns


def rendered(model, rows: list[tuple]) -> dict:
    """``{pk: JSON bytes}`` of rows of ``columns(model)``, read or returned by their INSERT."""
    plan = _plan(model)
    index = plan.columns.index("id")
    return {row[index]: dumps(out) for row, out in zip(rows, plan.render_rows(rows), strict=True)}


def rendered_new(model, objs: list) -> tuple[dict, list]:
    """``snapshot`` of new instances made from their attributes, without reading them: their
    rows may still be on their way (``bulk.sending``), and an INSERT stores the values it is
    given. Returns ``({pk: JSON bytes}, [pks to snapshot once stored])``: those are the
    objects whose row only the database can tell (a JSON value with a float, whose stored
    text the database rewrites), or all of them where a column is not one of the plain types
    this knows (a computed column, a decimal the column rounds…), and all on another database
    than PostgreSQL (SQLite keeps JSON as the text it was given)."""
    reader = _new_row_reader(model) if connection.vendor == "postgresql" else None
    if reader is None:
        return {}, [obj.pk for obj in objs]
    get, zoned, json_columns = reader
    rows, unread = [], []
    for obj in objs:
        row = _known_row(get(obj), zoned, json_columns)
        if row is None:
            unread.append(obj.pk)
        else:
            rows.append(row)
    return rendered(model, rows), unread


def _known_row(values: tuple, zoned: list, json_columns: list) -> list | None:
    row = list(values)
    for i in zoned:  # the database answers in UTC
        if (value := row[i]) is not None and value.tzinfo is not datetime.UTC:
            if value.utcoffset() is None:
                return None
            row[i] = value.astimezone(datetime.UTC)
    for i, null in json_columns:
        if row[i] is None and null:  # SQL NULL (bulk._json_texts)
            continue
        row[i] = stored_json_text(row[i])
        if row[i] is None:
            return None
    return row


_PLAIN_FIELDS = (
    models.CharField,
    models.TextField,
    models.IntegerField,
    models.FloatField,
    models.BooleanField,
    models.UUIDField,
    models.DateTimeField,
    models.DateField,
)


@cache
def _new_row_reader(model):
    """``(attrgetter of the snapshot's columns, indexes of datetimes, indexes of JSON texts)``
    for ``rendered_new``, or None where a column's stored value is not its attribute's."""
    fields = {field.attname: field for field in model._meta.concrete_fields}
    attnames, zoned, json_columns = [], [], []
    for index, column in enumerate(columns(model)):
        if isinstance(column, Cast) and isinstance(column.source_expressions[0], F):
            field = fields.get(column.source_expressions[0].name)
            if not isinstance(field, models.JSONField) or not isinstance(
                column.output_field, models.TextField
            ):
                return None
            json_columns.append((index, field.null))
        elif isinstance(column, str) and column in fields:
            field = fields[column]
            target = field.target_field if field.is_relation else field
            if not isinstance(target, _PLAIN_FIELDS):
                return None
            if isinstance(target, models.DateTimeField):
                zoned.append(index)
        else:
            return None
        attnames.append(field.attname)
    return attrgetter(*attnames), zoned, json_columns


def stored_json_text(value) -> str | None:
    """The text PostgreSQL gives back for ``value`` stored as ``jsonb`` (keys ordered shorter
    first, then by their UTF-8 bytes; ``", "`` and ``": "`` between items), or None for what it
    rewrites (a float: ``1e2`` reads back ``100``) or a value that is not JSON."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # escapes what PostgreSQL's escape_json does
    if value is None or value is True or value is False:
        return json.dumps(value)
    if type(value) is int:
        return str(value)
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            return None
        parts = []
        for key in sorted(value, key=_jsonb_key_order):
            if (text := stored_json_text(value[key])) is None:
                return None
            parts.append(f"{json.dumps(key, ensure_ascii=False)}: {text}")
        return "{" + ", ".join(parts) + "}"
    if isinstance(value, list):
        texts = [stored_json_text(item) for item in value]
        return None if None in texts else "[" + ", ".join(texts) + "]"
    return None


def _jsonb_key_order(key: str) -> tuple[int, bytes]:
    data = key.encode()
    return len(data), data


def _plan(model):
    return _SERIALIZERS[model].output_plan(extra_columns=("id",))


def actor_id(actor) -> str:
    """``user_…`` for a team member, ``key_…`` for an API key, ``""`` for the system."""
    return actor.typeid if actor is not None else ""


def previous_values(before: bytes, after: bytes) -> dict:
    old, new = orjson.loads(before), orjson.loads(after)
    return {name: old.get(name) for name, value in new.items() if old.get(name) != value}


def build(
    *,
    org,
    actor,
    types: str | Sequence[str],
    model,
    pks: Sequence,
    before: dict | None = None,
    objects: dict | None = None,
    extra: dict | None = None,
) -> list[tuple]:
    """Unsaved events (tuples of ``EVENT_COLUMNS``: no model instance is made for them), one per
    object and type: ``objects`` (``{pk: JSON}``, e.g. a snapshot taken before a delete) or the
    rows as they are now; ``previous`` is what changed since ``before`` (a snapshot), or empty."""
    types = [types] if isinstance(types, str) else list(types)
    objects = objects if objects is not None else snapshot(model, pks)
    now, by = clock.now(), actor_id(actor)
    org_id = getattr(org, "pk", org)
    events = []
    for pk in pks:
        previous = previous_values(before[pk], objects[pk]) if before is not None else {}
        data = dumps({"object": orjson.Fragment(objects[pk]), "previous": previous, **(extra or {})})
        text = data.decode()
        events += [(uuid7(), org_id, t, now, by, text) for t in types]
    return events


def append(events: list[tuple]) -> None:
    """Store the events (one INSERT, or ``COPY`` for many: ``rexcrm.core.bulk``)."""
    bulk.insert_rows(Event, EVENT_COLUMNS, events)


def record(
    *, org, actor, types: str | Sequence[str], obj, before: dict | None = None, extra=None, row=None
) -> None:
    """The events of one object's change (``before``: its snapshot, for an update). The object's
    rendering is left on it as ``obj.rendered_json``: what GET will answer once the change
    commits, which the API's answer to the write takes instead of reading the row again.
    ``row``: the object's row of ``columns``, where its INSERT returned it (else it is read)."""
    model = type(obj)
    objects = rendered(model, [row]) if row is not None else snapshot(model, [obj.pk])
    obj.rendered_json = objects[obj.pk]
    append(
        build(
            org=org,
            actor=actor,
            types=types,
            model=model,
            pks=[obj.pk],
            before=before,
            objects=objects,
            extra=extra,
        )
    )


def record_deleted(*, org, actor, model, objects: dict) -> None:
    """``<resource>.deleted`` for each object of ``objects`` (a snapshot taken before the delete)."""
    types = f"{model._meta.model_name}.deleted"
    append(build(org=org, actor=actor, types=types, model=model, pks=list(objects), objects=objects))
