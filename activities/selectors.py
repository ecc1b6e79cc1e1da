"""Named reads of activities that carry a rule (lists read ``Model.objects.for_org``)."""

from activities.models import Activity


def activity_by_dedup_key(*, org, source: str, external_id: str) -> Activity | None:
    """The activity of this ``(source, external_id)`` pair, unique in the organization."""
    return Activity.objects.for_org(org).filter(source=source, external_id=external_id).first()
