"""Every write to activities.

Dedup: an activity with an ``external_id`` is unique per ``(org, source, external_id)``,
enforced by a partial unique index. Creating one that exists returns the stored activity
(``created=False``) — also when two identical creates race: the loser's INSERT hits the
index, its savepoint rolls back, and it returns the winner's row.

Denormalised ``last_activity_at`` on the linked contact, company (directly or through the
contact) and deal is kept here: the latest ``occurred_at`` of their completed activities.
Creates raise it with one conditional UPDATE per target (safe under concurrency); updates and
deletes recompute it for every target they touch.
"""

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Q, Subquery

from activities.choices import ActivityStatus, ActivityType, TaskPriority, TaskStatus
from activities.models import Activity, Task
from activities.selectors import activity_by_dedup_key
from contacts.choices import ContactStage
from contacts.models import Company, Contact
from contacts.services import company_for_email_domain, contact_upsert
from deals.models import Deal
from rexcrm.accounts.models import Organization, User
from rexcrm.core import clock
from rexcrm.core.exceptions import ConflictError
from rexcrm.core.services import check_links_same_org

_LINKS = (("contact", Contact), ("company", Company), ("deal", Deal), ("owner", None))
_TIMELINE_FIELDS = {"contact", "company", "deal", "status", "occurred_at"}


def _dedup_key(fields: dict, *, new: bool) -> dict:
    """The dedup key's canonical form: an empty ``external_id`` is none, and a new activity's
    ``source`` defaults to ``api``."""
    if "external_id" in fields:
        fields["external_id"] = fields["external_id"] or None
    if new:
        fields["source"] = fields.get("source") or Activity._meta.get_field("source").default
    return fields


def activity_create(*, org, **fields) -> tuple[Activity, bool]:
    """Create an activity; returns ``(activity, created)``. ``created`` is False for a dedup hit."""
    check_links_same_org(org.pk, fields)
    _dedup_key(fields, new=True)
    source, external_id = fields["source"], fields.get("external_id")
    if external_id:
        existing = activity_by_dedup_key(org=org, source=source, external_id=external_id)
        if existing is not None:
            return existing, False
    try:
        with transaction.atomic():
            activity = Activity.objects.create(org=org, **fields)
    except IntegrityError:
        existing = external_id and activity_by_dedup_key(org=org, source=source, external_id=external_id)
        if not existing:
            raise
        return existing, False
    _raise_last_activity([activity])
    return activity, True


@transaction.atomic
def activity_create_many(*, org, items: list[dict]) -> list[tuple[Activity, bool]]:
    """Create many activities in one transaction, in order; dedup applies across the batch too."""
    for fields in items:
        check_links_same_org(org.pk, fields)
        _dedup_key(fields, new=True)
    keys = {(f["source"], f["external_id"]) for f in items if f.get("external_id")}
    known = _existing_by_key(org, keys)
    results: list[tuple[Activity, bool]] = []
    new: list[Activity] = []
    for fields in items:
        key = (fields["source"], fields.get("external_id"))
        if key in known:
            results.append((known[key], False))
            continue
        activity = Activity(org=org, **fields)
        new.append(activity)
        results.append((activity, True))
        if key[1]:
            known[key] = activity
    # ON CONFLICT DO NOTHING: a concurrent batch may have stored some of the same keys meanwhile.
    Activity.objects.bulk_create(new, ignore_conflicts=True)
    if keys:
        stored = _existing_by_key(org, keys)
        results = [
            (stored[(a.source, a.external_id)], False)
            if created and a.external_id and stored[(a.source, a.external_id)].pk != a.pk
            else (a, created)
            for a, created in results
        ]
    _raise_last_activity([a for a, created in results if created])
    return results


def _existing_by_key(org, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Activity]:
    if not keys:
        return {}
    external_ids = {external_id for _, external_id in keys}
    rows = Activity.objects.for_org(org).filter(external_id__in=external_ids)
    return {(a.source, a.external_id): a for a in rows if (a.source, a.external_id) in keys}


@transaction.atomic
def activity_update(*, activity: Activity, **changes) -> Activity:
    """Change only the given fields; returns the activity. Taking another activity's
    ``(source, external_id)`` is a ``ConflictError`` naming it."""
    check_links_same_org(activity.org_id, changes)
    _dedup_key(changes, new=False)
    before = _targets([activity])
    for name, value in changes.items():
        setattr(activity, name, value)
    try:
        with transaction.atomic():
            activity.save(update_fields=[*changes, "updated_at"])
    except IntegrityError:
        existing = activity_by_dedup_key(
            org=activity.org_id, source=activity.source, external_id=activity.external_id
        )
        if existing is None:
            raise
        raise ConflictError(
            "Another activity already has this source and external_id.",
            field="external_id",
            existing_id=existing.typeid,
        ) from None
    if _TIMELINE_FIELDS & set(changes):
        _recompute_last_activity(before | _targets([activity]))
    return activity


@transaction.atomic
def activity_delete(*, activity: Activity) -> None:
    targets = _targets([activity])
    activity.delete()
    _recompute_last_activity(targets)


# -- denormalised last_activity_at ---------------------------------------------------------


def _targets(activities) -> set[tuple[type, object]]:
    """(model, pk) of everything whose timeline shows any of these activities."""
    return set().union(*_targets_by_activity(activities).values()) if activities else set()


def _targets_by_activity(activities) -> dict[Activity, set[tuple[type, object]]]:
    contact_ids = {a.contact_id for a in activities if a.contact_id}
    company_of_contact = dict(
        Contact.objects.filter(pk__in=contact_ids, company__isnull=False).values_list("id", "company_id")
        if contact_ids
        else ()
    )
    result = {}
    for activity in activities:
        targets = {
            (model, getattr(activity, f"{name}_id"))
            for name, model in _LINKS
            if model is not None and getattr(activity, f"{name}_id") is not None
        }
        if activity.contact_id in company_of_contact:
            targets.add((Company, company_of_contact[activity.contact_id]))
        result[activity] = targets
    return result


def _raise_last_activity(activities: list[Activity]) -> None:
    completed = [a for a in activities if a.status == ActivityStatus.COMPLETED]
    latest: dict[tuple[type, object], object] = {}
    for activity, targets in _targets_by_activity(completed).items():
        for target in targets:
            if target not in latest or latest[target] < activity.occurred_at:
                latest[target] = activity.occurred_at
    for (model, pk), when in latest.items():
        model.objects.filter(pk=pk).filter(
            Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=when)
        ).update(last_activity_at=when)


def _recompute_last_activity(targets: set[tuple[type, object]]) -> None:
    completed = Activity.objects.filter(status=ActivityStatus.COMPLETED)
    for model, pk in targets:
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
    linked_company = company_for_email_domain(org=org, email=email, name=company)
    if linked_company is not None:
        fields["company"] = linked_company
    contact, created = contact_upsert(org=org, email=email, protect_existing=True, **fields)
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
        type=ActivityType.NOTE,
        subject="Captured from form",
        source="capture",
        body="\n".join(f"{name}: {value}" for name, value in submitted.items() if value),
        contact=contact,
        company=contact.company,
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


_TASK_FIELDS = frozenset(
    {
        "title",
        "description",
        "contact",
        "company",
        "deal",
        "owner",
        "due_at",
        "priority",
        "status",
        "metadata",
    }
)


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


def _status_effects(task: Task, status: str) -> None:
    if status == TaskStatus.COMPLETED and task.status != TaskStatus.COMPLETED:
        task.completed_at = clock.now()
    elif status != TaskStatus.COMPLETED:
        task.completed_at = None
    task.status = status


@transaction.atomic
def task_create(
    *, org: Organization, title: str, status: str = TaskStatus.PENDING, actor: User | None = None, **fields
) -> Task:
    unknown = set(fields) - _TASK_FIELDS
    if unknown:
        raise TypeError(f"task_create: unknown field(s) {sorted(unknown)}")
    check_links_same_org(org.pk, fields)
    contact = fields.get("contact")
    _lock_contacts([contact.pk if contact is not None else None])
    task = Task(org=org, title=title, created_at=clock.now(), **fields)
    task.priority_rank = priority_rank(task.priority)
    task.status = TaskStatus.PENDING
    _status_effects(task, status)
    task.save()
    contact_refresh_next_task_due(contact_ids=[task.contact_id])
    return task


@transaction.atomic
def task_update(*, task: Task, actor: User | None = None, **changes) -> Task:
    """Change only the fields given."""
    unknown = set(changes) - _TASK_FIELDS
    if unknown:
        raise TypeError(f"task_update: unknown field(s) {sorted(unknown)}")
    task = Task.objects.select_for_update().get(pk=task.pk)
    check_links_same_org(task.org_id, changes)
    new_contact = changes.get("contact")
    contacts = _lock_contacts([task.contact_id, new_contact.pk if new_contact is not None else None])
    fields = set()
    if "status" in changes:
        _status_effects(task, changes.pop("status"))
        fields |= {"status", "completed_at"}
    for field, value in changes.items():
        setattr(task, field, value)
        fields.add(field)
    if "priority" in fields:
        task.priority_rank = priority_rank(task.priority)
        fields.add("priority_rank")
    if fields:
        task.save(update_fields=sorted({*fields, "updated_at"}))
    if fields & {"contact", "status", "due_at"}:
        contact_refresh_next_task_due(contact_ids=[*contacts, task.contact_id])
    return task


@transaction.atomic
def task_delete(*, task: Task, actor: User | None = None) -> None:
    contacts = _lock_contacts([task.contact_id])
    task.delete()
    contact_refresh_next_task_due(contact_ids=contacts)
