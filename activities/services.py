"""Every write to activities and tasks (conventions: ``rexcrm.core.services``).

Dedup: an activity with an ``external_id`` is unique per ``(org, source, external_id)``,
enforced by a partial unique index. Creating one that exists returns the stored activity
(``created=False``) — also when two identical creates race: the loser's INSERT hits the
index, its savepoint rolls back, and it returns the winner's row.

Denormalised ``last_activity_at`` on the linked contact, company (directly or through the
contact) and deal is kept here: the latest ``occurred_at`` of their completed activities.
Creates raise it with conditional UPDATEs (safe under concurrency): on PostgreSQL one per
table for a whole batch, elsewhere one per target; updates and deletes recompute it for every
target they touch.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, OuterRef, Q, Subquery

from activities.choices import ActivityStatus, ActivityType, TaskPriority, TaskStatus
from activities.models import Activity, Task
from activities.selectors import activities_by_dedup_keys, activity_by_dedup_key
from contacts.choices import ContactStage
from contacts.models import Company, Contact
from contacts.services import company_for_email, contact_upsert, link_contacts_company
from deals.models import Deal
from rexcrm.accounts.models import Actor, Organization
from rexcrm.core import bulk, clock
from rexcrm.core.exceptions import ConflictError
from rexcrm.core.services import Writes, apply_changes, hold, hold_links, lock, lock_order
from rexcrm.events import outbox

# The links whose records' timelines show an activity (its contact's company too: _targets_by_activity).
_TIMELINE_LINKS = (("contact_id", Contact), ("company_id", Company), ("deal_id", Deal))
_TIMELINE_FIELDS = {"contact", "company", "deal", "status", "occurred_at"}
_HELD_LINKS = ("company", "contact", "deal")


def _prepare(activity: Activity, fields: dict, *, creating: bool) -> list[str]:
    """Validate and set ``fields``; return the changed names. An empty ``external_id`` means
    none (the dedup key), and a contact without a company brings its company."""
    changed = apply_changes(activity, fields, creating=creating)
    if activity.external_id == "":
        activity.external_id = None
    if "contact" in changed and link_contacts_company(activity):
        changed.append("company")
    return changed


@transaction.atomic
def activity_create(*, org, actor: Actor, **fields) -> tuple[Activity, bool]:
    """Create an activity; returns ``(activity, created)``. With an ``external_id``, the
    ``(source, external_id)`` pair (source ``api`` unless given) is unique in the organization:
    creating one that exists returns the stored activity, unchanged (``created`` False, and no
    event). Its contact, company and deal, and the rows whose ``last_activity_at`` it raises,
    are held (``hold_links``) until the commit: a merge or delete of one waits and then moves or
    unlinks the new activity with the others (one that is already gone is a 400
    ``invalid_reference``)."""
    activity = Activity(org=org)
    _prepare(activity, fields, creating=True)
    source, external_id = activity.source, activity.external_id
    if external_id:
        existing = activity_by_dedup_key(org=org, source=source, external_id=external_id)
        if existing is not None:
            return existing, False
    hold_links(activity, *_HELD_LINKS, also=_targets([activity]))  # a merge meanwhile moves it too
    # One statement stores it and returns its row for the event (no read after it). Skips a
    # conflict: a concurrent create may have stored the same key since the read above.
    row = bulk.insert_one(activity, columns=outbox.columns(Activity), skip_conflict=bool(external_id))
    if row is None:
        existing = activity_by_dedup_key(org=org, source=source, external_id=external_id)
        if existing is None:  # the winner was deleted since: nothing stored, nothing to answer
            raise IntegrityError(f"activity ({source}, {external_id}) was stored and deleted concurrently")
        return existing, False
    _raise_last_activity([activity])
    outbox.record(org=org, actor=actor, types="activity.created", obj=activity, row=row)
    return activity, True


@transaction.atomic
def activity_create_many(
    *, org, actor: Actor, items: list[dict]
) -> list[tuple[Activity, bool] | ValidationError]:
    """Create many activities in one transaction, in order; dedup applies across the batch too.

    Returns, per item, ``(activity, created)`` or the ``ValidationError`` that refused it (the
    other items are stored all the same). The ``activity.created`` events of the new ones are
    rendered with one query and stored with one INSERT.
    """
    results: list = []
    for activity, fields in zip(bulk.new_instances(Activity, len(items), org=org), items, strict=True):
        try:
            _prepare(activity, fields, creating=True)
        except ValidationError as exc:
            results.append(exc)
        else:
            results.append((activity, True))
    prepared = [result[0] for result in results if not isinstance(result, ValidationError)]
    keys = {(a.source, a.external_id) for a in prepared if a.external_id}
    known = activities_by_dedup_keys(org=org, keys=keys)
    new: list[Activity] = []
    for index, result in enumerate(results):
        if isinstance(result, ValidationError):
            continue
        activity = result[0]
        key = (activity.source, activity.external_id)
        if key in known:
            results[index] = (known[key], False)
            continue
        new.append(activity)
        if activity.external_id:
            known[key] = activity
    timelines = _targets_by_activity([a for a in new if a.status == ActivityStatus.COMPLETED])
    hold(set().union(*timelines.values()))  # before the INSERT: lock_rank
    # ON CONFLICT DO NOTHING: a concurrent batch may have stored some of the same keys meanwhile.
    free, keyed = _insert_keyed(new)
    if keys and (keyed is None or len(keyed) < len(new) - len(free)):  # a conflict: re-read the winners
        stored = activities_by_dedup_keys(org=org, keys=keys)
        results = [
            (stored[(r[0].source, r[0].external_id)], False)
            if not isinstance(r, ValidationError)
            and r[1]
            and r[0].external_id
            and stored[(r[0].source, r[0].external_id)].pk != r[0].pk
            else r
            for r in results
        ]
    created = [r[0] for r in results if not isinstance(r, ValidationError) and r[1]]
    with bulk.sending(free):  # the database stores them while their events are made
        objects, unread = outbox.rendered_new(Activity, created)
        events = [] if unread else _created_events(org, actor, created, objects)
    if unread:
        events = _created_events(org, actor, created, objects | outbox.snapshot(Activity, unread))
    _raise_last_activity(created, timelines)
    outbox.append(events)
    return results


def _created_events(org, actor, created: list[Activity], objects: dict) -> list[tuple]:
    pks = [a.pk for a in created]
    return outbox.build(
        org=org, actor=actor, types="activity.created", model=Activity, pks=pks, objects=objects
    )


@transaction.atomic
def activity_upsert_many(
    *, org, actor: Actor, items: list[dict]
) -> list[tuple[Activity, str] | ValidationError]:
    """Imports: each item updates the activity with its ``id`` (a pk), or with its ``(source,
    external_id)``, through ``activity_update``; the others are created together by
    ``activity_create_many`` (one INSERT, events in one more). Returns, per item, ``(activity,
    "created" | "updated" | "unchanged")`` or the error that refused it."""
    default_source = Activity._meta.get_field("source").default

    def dedup_key(fields):
        external_id = fields.get("external_id")
        if not isinstance(external_id, str) or not external_id.strip():
            return None
        return (fields.get("source") or default_source, external_id.strip())

    pks = {item["id"] for item in items if item.get("id")}
    by_pk = {a.pk: a for a in Activity.objects.for_org(org).with_pks(pks)} if pks else {}
    by_key = activities_by_dedup_keys(org=org, keys={key for key in map(dedup_key, items) if key})
    results: list = [None] * len(items)
    new: list[tuple[int, dict]] = []
    for index, item in enumerate(items):
        fields = dict(item)
        pk = fields.pop("id", None)
        activity = by_pk.get(pk) if pk else by_key.get(dedup_key(fields))
        if pk and activity is None:
            typeid = Activity(pk=pk).typeid
            results[index] = ValidationError({"id": f"No activity with id {typeid} in this organization."})
        elif activity is None:
            new.append((index, fields))
        else:
            try:
                with transaction.atomic():
                    stamp = activity.updated_at
                    activity = activity_update(org=org, actor=actor, activity=activity, **fields)
            except ConflictError as exc:
                results[index] = ValidationError({exc.field: exc.message})
            except ValidationError as exc:
                results[index] = exc
            else:
                results[index] = (activity, "updated" if activity.updated_at != stamp else "unchanged")
    created = activity_create_many(org=org, actor=actor, items=[fields for _, fields in new])
    for (index, _), result in zip(new, created, strict=True):
        if isinstance(result, ValidationError):
            results[index] = result
        else:
            results[index] = (result[0], "created" if result[1] else "unchanged")
    return results


def _insert_keyed(activities: list[Activity]) -> tuple[list[Activity], set | None]:
    """Store the new activities that have an ``external_id`` but those whose ``(source,
    external_id)`` a concurrent write stored meanwhile, with one INSERT that skips conflicts
    (``rexcrm.core.bulk``); returns the others, which nothing can conflict with, for
    ``bulk.sending`` (``COPY``), and the ids stored. Elsewhere than on PostgreSQL, every one is
    stored by ``bulk_create(ignore_conflicts=True)``, and which were is unknown (None)."""
    if not activities or connection.vendor != "postgresql":
        Activity.objects.bulk_create(activities, ignore_conflicts=True)
        return [], None
    free = [activity for activity in activities if not activity.external_id]
    keyed = [activity for activity in activities if activity.external_id]
    return free, bulk.insert_skipping_conflicts(keyed)


@transaction.atomic
def activity_update(*, org, actor: Actor, activity: Activity, **changes) -> Activity:
    """Change only the given fields; returns the activity. Taking another activity's
    ``(source, external_id)`` is a ``ConflictError`` naming it. Every timeline it leaves or
    joins gets its ``last_activity_at`` recomputed."""
    activity = lock(Activity, org=org, pk=activity.pk)
    before = _targets([activity])
    snapshot = outbox.snapshot(Activity, [activity.pk])
    changed = _prepare(activity, changes, creating=False)
    if not changed:
        return activity
    timelines = _TIMELINE_FIELDS & set(changed)
    hold_links(
        activity,
        *[name for name in _HELD_LINKS if name in changed],
        also=before | _targets([activity]) if timelines else (),
    )
    try:
        with transaction.atomic():
            activity.save(update_fields=[*changed, "updated_at"])
    except IntegrityError:
        existing = activity_by_dedup_key(org=org, source=activity.source, external_id=activity.external_id)
        if existing is None:
            raise
        raise ConflictError(
            "Another activity already has this source and external_id.",
            field="external_id",
            existing=existing,
        ) from None
    if timelines:
        _recompute_last_activity(before | _targets([activity]))
    outbox.record(org=org, actor=actor, types="activity.updated", obj=activity, before=snapshot)
    return activity


@transaction.atomic
def activity_delete(*, org, actor: Actor, activity: Activity) -> None:
    activity = lock(Activity, org=org, pk=activity.pk)
    targets = _targets([activity])
    gone = outbox.snapshot(Activity, [activity.pk])
    activity.delete()
    _recompute_last_activity(targets)
    outbox.record_deleted(org=org, actor=actor, model=Activity, objects=gone)


# -- denormalised last_activity_at ---------------------------------------------------------


def _targets(activities) -> set[tuple[type, object]]:
    """(model, pk) of everything whose timeline shows any of these activities."""
    return set().union(*_targets_by_activity(activities).values()) if activities else set()


def _targets_by_activity(activities) -> dict[object, set[tuple[type, object]]]:
    """By activity id (a model instance hashes slower, a batch's 500 times): the rows whose
    timelines show it."""
    # The contacts' companies: from the contacts already loaded (a create's), else one query.
    loaded = {a.contact for a in activities if a.contact_id and Activity.contact.is_cached(a)}
    company_of_contact = {c.pk: c.company_id for c in loaded if c.company_id}
    contact_ids = {a.contact_id for a in activities if a.contact_id} - {c.pk for c in loaded}
    if contact_ids:
        company_of_contact.update(
            Contact.objects.filter(pk__in=contact_ids, company__isnull=False).values_list("id", "company_id")
        )
    result = {}
    for activity in activities:
        targets = {(model, pk) for attname, model in _TIMELINE_LINKS if (pk := getattr(activity, attname))}
        if activity.contact_id in company_of_contact:
            targets.add((Company, company_of_contact[activity.contact_id]))
        result[activity.pk] = targets
    return result


def _raise_last_activity(activities: list[Activity], timelines: dict | None = None) -> None:
    """Raise the ``last_activity_at`` of the timelines of the completed ``activities`` (their
    ``_targets_by_activity``, when the caller has them)."""
    completed = [a for a in activities if a.status == ActivityStatus.COMPLETED]
    if timelines is None:
        timelines = _targets_by_activity(completed)
    latest: dict[tuple[type, object], object] = {}
    for activity in completed:
        for target in timelines[activity.pk]:
            if target not in latest or latest[target] < activity.occurred_at:
                latest[target] = activity.occurred_at
    ordered = sorted(latest.items(), key=lambda item: lock_order(item[0]))
    if connection.vendor != "postgresql":
        for (model, pk), when in ordered:
            model.objects.filter(pk=pk).filter(
                Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=when)
            ).update(last_activity_at=when)
        return
    by_model: dict[type, list] = {}
    for (model, pk), when in ordered:
        by_model.setdefault(model, []).append((pk, when))
    for model, rows in by_model.items():  # one UPDATE per table, in the lock order
        _raise_rows(model, [pk for pk, _ in rows], [when for _, when in rows])


def _raise_rows(model, pks: list, whens: list) -> None:
    """PostgreSQL: raise ``last_activity_at`` of the rows ``pks`` to ``whens`` in one statement.
    The callers hold the rows already (``hold``, in the one lock order, before their INSERT).
    One row (a single create's contact) is a plain ``WHERE id = %s``: PostgreSQL plans the
    ``unnest`` join in about three times as long (0.11 against 0.035 ms)."""
    table, pk_type = connection.ops.quote_name(model._meta.db_table), model._meta.pk.db_type(connection)
    raise_ = "(t.last_activity_at IS NULL OR t.last_activity_at < {at})"
    if len(pks) == 1:
        sql = f"UPDATE {table} t SET last_activity_at = %s WHERE t.id = %s AND {raise_.format(at='%s')}"
        params = [whens[0], pks[0], whens[0]]
    else:
        sql = (
            f"UPDATE {table} t SET last_activity_at = v.at "
            f"FROM unnest(%s::{pk_type}[], %s::timestamptz[]) AS v(id, at) "
            f"WHERE t.id = v.id AND {raise_.format(at='v.at')}"
        )
        params = [pks, whens]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _recompute_last_activity(targets: set[tuple[type, object]]) -> None:
    completed = Activity.objects.filter(status=ActivityStatus.COMPLETED)
    for model, pk in sorted(targets, key=lock_order):
        if model is Company:
            timeline = completed.for_company_timeline(pk)
        else:
            timeline = completed.filter(**{model._meta.model_name: pk})
        latest = timeline.aggregate(latest=Max("occurred_at"))["latest"]
        model.objects.filter(pk=pk).update(last_activity_at=latest)


# -- lead capture ------------------------------------------------------------------------------


@transaction.atomic
def lead_capture(
    *,
    org,
    actor: Actor,
    email: str,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    company: str = "",
    source: str | None = None,
    source_detail: str = "",
    metadata: dict | None = None,
) -> tuple[Contact, bool]:
    """A web-form submission (API.md §6.10): create a ``lead`` contact, or update the one with
    this email without downgrading its stage or blanking its fields; link the company of the
    email's domain (never a free-mail one); log a note "Captured from form" on its timeline.

    Returns ``(contact, created)``.
    """
    metadata = metadata or {}
    fields = {
        "first_name": first_name,
        "last_name": last_name,
        "phone": phone,
        "source": source,
        "source_detail": source_detail,
        "metadata": metadata,
        "stage": ContactStage.LEAD,
    }
    linked_company = company_for_email(org=org, actor=actor, email=email, name=company)
    if linked_company is not None:
        fields["company"] = linked_company
    contact, created = contact_upsert(org=org, actor=actor, email=email, protect_existing=True, **fields)
    submitted = {
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
        "phone": phone,
        "company": company,
        "source": source,
        "source_detail": source_detail,
    }
    activity_create(
        org=org,
        actor=actor,
        type=ActivityType.NOTE,
        subject="Captured from form",
        source="capture",
        body="\n".join(f"{name}: {value}" for name, value in submitted.items() if value),
        contact=contact,
        metadata=metadata,
    )
    return contact, created


# -- tasks ---------------------------------------------------------------------------------------
# Every write to tasks.
#
# ``completed_at`` follows ``status`` (set on becoming ``completed``, cleared when reopened or
# cancelled), and each write keeps ``Contact.next_task_due_at`` (the earliest ``due_at`` of the
# contact's pending tasks) in step, for the old and the new contact alike. Task writes lock the
# contact rows involved first, so concurrent writes for one contact queue and the last one to
# commit computes from everything committed before it.


def _lock_contacts(contact_ids: Iterable) -> list:
    """Lock the contacts (in primary-key order, so two writers never wait on each other in a cycle)."""
    pks = sorted({pk for pk in contact_ids if pk is not None})
    if pks:
        list(
            Contact.objects.select_for_update().filter(pk__in=pks).order_by("pk").values_list("pk", flat=True)
        )
    return pks


def contact_refresh_next_task_due(*, contact_ids: Iterable) -> None:
    """Recompute ``next_task_due_at`` of the contacts from their pending tasks (one statement)."""
    pks = [pk for pk in set(contact_ids) if pk is not None]
    if not pks:
        return
    earliest = (
        Task.objects.filter(contact_id=OuterRef("pk"), status=TaskStatus.PENDING, due_at__isnull=False)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    Contact.objects.filter(pk__in=pks).update(next_task_due_at=Subquery(earliest))


def priority_rank(priority: str) -> int:
    """The sort rank of a priority: low 0 < normal 1 < high 2 < urgent 3."""
    return TaskPriority.values.index(priority)


def _task_event_types(task: Task, previous_status: str | None) -> list[str]:
    """``task.created`` (no previous status) or ``task.updated``, and ``task.completed`` when the
    task has just become completed."""
    types = ["task.created" if previous_status is None else "task.updated"]
    if task.status == TaskStatus.COMPLETED and previous_status != TaskStatus.COMPLETED:
        types.append("task.completed")
    return types


def _status_effects(task: Task, previous_status: str) -> None:
    """Becoming ``completed`` records ``completed_at``; any other status clears it."""
    if task.status == TaskStatus.COMPLETED and previous_status != TaskStatus.COMPLETED:
        task.completed_at = clock.now()
    elif task.status != TaskStatus.COMPLETED:
        task.completed_at = None


@transaction.atomic
def task_create(*, org: Organization, actor: Actor, **fields) -> Task:
    """Create a task (``title`` required; pending, normal priority unless given)."""
    task = Task(org=org, created_at=clock.now())
    apply_changes(task, fields, creating=True)
    _lock_contacts([task.contact_id])
    task.priority_rank = priority_rank(task.priority)
    _status_effects(task, TaskStatus.PENDING)
    task.save(force_insert=True)
    contact_refresh_next_task_due(contact_ids=[task.contact_id])
    outbox.record(org=org, actor=actor, types=_task_event_types(task, None), obj=task)
    return task


@transaction.atomic
def task_update(*, org: Organization, actor: Actor, task: Task, **changes) -> Task:
    """Change only the fields given."""
    task = lock(Task, org=org, pk=task.pk)
    before = outbox.snapshot(Task, [task.pk])
    previous_contact, previous_status = task.contact_id, task.status
    changed = apply_changes(task, changes)
    if not changed:
        return task
    contacts = _lock_contacts([previous_contact, task.contact_id])
    if "status" in changed:
        _status_effects(task, previous_status)
        changed.append("completed_at")
    if "priority" in changed:
        task.priority_rank = priority_rank(task.priority)
        changed.append("priority_rank")
    task.save(update_fields=sorted({*changed, "updated_at"}))
    if {"contact", "status", "due_at"} & set(changed):
        contact_refresh_next_task_due(contact_ids=contacts)
    types = _task_event_types(task, previous_status)
    outbox.record(org=org, actor=actor, types=types, obj=task, before=before)
    return task


@transaction.atomic
def task_delete(*, org: Organization, actor: Actor, task: Task) -> None:
    task = lock(Task, org=org, pk=task.pk)
    contacts = _lock_contacts([task.contact_id])
    gone = outbox.snapshot(Task, [task.pk])
    task.delete()
    contact_refresh_next_task_due(contact_ids=contacts)
    outbox.record_deleted(org=org, actor=actor, model=Task, objects=gone)


ACTIVITY_WRITES = Writes(
    Activity, create=activity_create, update=activity_update, delete=activity_delete, create_finds=True
)
TASK_WRITES = Writes(Task, create=task_create, update=task_update, delete=task_delete)
