"""Named reads of tasks, all scoped to one organization."""

from activities.models import Task


def task_list(*, org):
    return Task.objects.for_org(org)
