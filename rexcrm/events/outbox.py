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

from collections.abc import Iterable, Sequence

import orjson

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
