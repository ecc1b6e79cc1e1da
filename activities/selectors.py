"""Named reads of activities that carry a rule (lists read ``Model.objects.for_org``)."""

import datetime
import uuid
from dataclasses import dataclass

from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.utils import timezone

from activities.models import Activity, Task
from contacts.models import Company, Contact
from deals.models import Deal, DealStageChange, Stage
from rexcrm.core.rows import in_list


def activity_by_dedup_key(*, org, source: str, external_id: str) -> Activity | None:
    """The activity of this ``(source, external_id)`` pair, unique in the organization."""
    return activities_by_dedup_keys(org=org, keys={(source, external_id)}).get((source, external_id))


def activities_by_dedup_keys(*, org, keys: set[tuple[str, str]]) -> dict[tuple[str, str], Activity]:
    """``{(source, external_id): activity}`` for those of ``keys`` that the organization has:
    one query on the key's unique index (``Activity.Meta``), the organization a filter there."""
    if not keys:
        return {}
    rows = (
        Activity.objects.for_org(org)
        .org_not_indexed()
        .filter(in_list("external_id", {e for _, e in keys}), in_list("source", {s for s, _ in keys}))
    )
    return {(a.source, a.external_id): a for a in rows if (a.source, a.external_id) in keys}


# -- timelines -----------------------------------------------------------------------------------
# A record page's timeline: its activities, tasks and the stage changes of its deals, newest
# first, one keyset page at a time (three small queries per page, whatever the history's size).


@dataclass(frozen=True)
class TimelineEntry:
    kind: str  # "activity", "task" or "stage_change"
    at: datetime.datetime
    obj: object

    @property
    def day(self) -> datetime.date:
        """The day in the current time zone (the signed-in member's on a page)."""
        return timezone.localtime(self.at).date()


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_position: tuple[datetime.datetime, uuid.UUID] | None  # where the next page starts


def record_timeline(*, org, record, before=None, limit: int = 25) -> TimelinePage:
    """The timeline of a contact, a company (its own and its contacts', rolled up) or a deal,
    strictly older than ``before`` (an ``(at, id)`` position) when given. A task stands at its
    completion, else its due date, else its creation."""
    activities = Activity.objects.for_org(org)
    tasks = Task.objects.for_org(org)
    changes = DealStageChange.objects.for_org(org)
    if isinstance(record, Contact):
        activities = activities.filter(contact=record)
        tasks = tasks.filter(contact=record)
        changes = changes.filter(deal__contact=record)
    elif isinstance(record, Company):
        activities = activities.for_company_timeline(record)
        tasks = tasks.filter(Q(company=record) | Q(contact__company=record))
        changes = changes.filter(Q(deal__company=record) | Q(deal__contact__company=record))
    elif isinstance(record, Deal):
        activities = activities.filter(deal=record)
        tasks = tasks.filter(deal=record)
        changes = changes.filter(deal=record)
    else:
        raise TypeError(f"no timeline for {record!r}")
    sources = [
        ("activity", activities.annotate(at=F("occurred_at")).select_related("contact", "deal", "owner")),
        ("task", tasks.annotate(at=Coalesce("completed_at", "due_at", "created_at")).select_related("owner")),
        ("stage_change", changes.annotate(at=F("changed_at")).select_related("deal", "changed_by")),
    ]
    entries = []
    for kind, queryset in sources:
        if before is not None:
            at, pk = before
            queryset = queryset.filter(Q(at__lt=at) | Q(at=at, id__lt=pk))
        entries += [TimelineEntry(kind, obj.at, obj) for obj in queryset.order_by("-at", "-id")[: limit + 1]]
    entries.sort(key=lambda entry: (entry.at, entry.obj.pk), reverse=True)
    more = len(entries) > limit
    entries = entries[:limit]
    _attach_stage_names(org, [entry.obj for entry in entries if entry.kind == "stage_change"])
    last = entries[-1] if more else None
    return TimelinePage(entries, (last.at, last.obj.pk) if last else None)


def _attach_stage_names(org, changes) -> None:
    """``from_stage_name`` and ``to_stage_name`` on each change, in one query (a deleted stage
    keeps its id in history; it shows as "a deleted stage")."""
    wanted = {change.from_stage_id for change in changes} | {change.to_stage_id for change in changes}
    names = dict(Stage.objects.for_org(org).with_pks(wanted).values_list("pk", "name")) if wanted else {}
    for change in changes:
        change.from_stage_name = names.get(change.from_stage_id, "a deleted stage")
        change.to_stage_name = names.get(change.to_stage_id, "a deleted stage")
