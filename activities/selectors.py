"""Named reads of activities, all starting from the organization's rows."""

from activities.models import Activity, Task


def activity_list(*, org):
    return Activity.objects.for_org(org)


def activity_by_dedup_key(*, org, source: str, external_id: str) -> Activity | None:
    return Activity.objects.for_org(org).filter(source=source, external_id=external_id).first()


# -- tasks ---------------------------------------------------------------------------------------
# Named reads of tasks, all scoped to one organization.


def task_list(*, org):
    return Task.objects.for_org(org)
