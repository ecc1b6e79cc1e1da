"""Web UI of activities and tasks: their lists."""

from django.urls import reverse_lazy

from activities.api.serializers import ActivitySerializer, TaskSerializer
from activities.filtersets import ActivityFilterSet, TaskFilterSet
from activities.models import Activity, Task
from rexcrm.core.export import CSVExportView
from rexcrm.core.views import Column, ListPageView


class ActivityListView(ListPageView):
    template_name = "activities/activity_list.html"
    filterset_class = ActivityFilterSet
    export_url = reverse_lazy("activities:activity_export")
    columns = (
        Column("When", "occurred_at"),
        Column("Type"),
        Column("Subject", css="wrap"),
        Column("Contact"),
        Column("Deal"),
        Column("Owner"),
        Column("Duration", "duration", "num"),
    )
    filters = {
        "search": "Search",
        "type": "Type",
        "status": "Status",
        "direction": "Direction",
        "owner_id": "Owner",
        "after": "From",
        "before": "Before",
    }

    def get_queryset(self):
        return Activity.objects.for_org(self.org).select_related("contact", "company", "deal", "owner")


class TaskListView(ListPageView):
    template_name = "activities/task_list.html"
    filterset_class = TaskFilterSet
    export_url = reverse_lazy("activities:task_export")
    columns = (
        Column("Due", "due_at"),
        Column("Title", css="wrap"),
        Column("Priority", "priority"),
        Column("Status"),
        Column("Contact"),
        Column("Deal"),
        Column("Owner"),
    )
    filters = {
        "status": "Status",
        "priority": "Priority",
        "owner_id": "Owner",
        "overdue": "Overdue",
        "due_after": "Due from",
        "due_before": "Due before",
    }

    def get_queryset(self):
        return Task.objects.for_org(self.org).select_related("contact", "company", "deal", "owner")


class ActivityExportView(CSVExportView):
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilterSet


class TaskExportView(CSVExportView):
    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet
