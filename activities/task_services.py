"""Every write to tasks.

``completed_at`` follows ``status`` (set on becoming ``completed``, cleared when reopened or
cancelled), and each write keeps ``Contact.next_task_due_at`` (the earliest ``due_at`` of the
contact's pending tasks) in step, for the old and the new contact alike. Task writes lock the
contact rows involved first, so concurrent writes for one contact queue and the last one to
commit computes from everything committed before it.
"""

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import OuterRef, Subquery

from activities.choices import TaskPriority, TaskStatus
from activities.models import Task
from contacts.models import Contact
from rexcrm.accounts.models import Organization, User
from rexcrm.core import clock

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


def _check_org(org_id, fields: dict) -> None:
    for name in ("contact", "company", "deal", "owner"):
        obj = fields.get(name)
        if obj is not None and obj.org_id != org_id:
            raise ValidationError(
                {
                    f"{name}_id": ValidationError(
                        f"No {obj._meta.verbose_name} with id {obj.typeid} in this organization.",
                        code="invalid_reference",
                    )
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
    _check_org(org.pk, fields)
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
    _check_org(task.org_id, changes)
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
