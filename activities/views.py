"""Web UI of activities and tasks: their lists with bulk actions, their create and edit forms
(the record pages' Log activity form is the activity form's short version), and completing
a task in one click (Today)."""

from django.contrib import messages
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy

from activities.api.serializers import ActivitySerializer, TaskSerializer
from activities.choices import TaskStatus
from activities.filtersets import ActivityFilterSet, TaskFilterSet
from activities.forms import ActivityForm, LogActivityForm, TaskForm
from activities.models import Activity, Task
from activities.services import ACTIVITY_WRITES, TASK_WRITES, task_update
from rexcrm.core.export import CSVExportView
from rexcrm.core.views import (
    BulkAction,
    Column,
    ListPageView,
    OrgView,
    RecordFormView,
    next_url,
    object_or_404,
)

ACTIVITY_RELATED = ("contact", "company", "deal", "owner")


class ActivityListView(ListPageView):
    template_name = "activities/activity_list.html"
    filterset_class = ActivityFilterSet
    export_url = reverse_lazy("activities:activity_export")
    writes = ACTIVITY_WRITES
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
        return Activity.objects.for_org(self.org).select_related(*ACTIVITY_RELATED)

    def bulk_actions(self):
        return {"owner": self.owner_action(), "delete": BulkAction("Delete")}


class TaskListView(ListPageView):
    template_name = "activities/task_list.html"
    filterset_class = TaskFilterSet
    export_url = reverse_lazy("activities:task_export")
    writes = TASK_WRITES
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
        return Task.objects.for_org(self.org).select_related(*ACTIVITY_RELATED)

    def bulk_actions(self):
        return {
            "owner": self.owner_action(),
            "status": BulkAction("Set status", "status", tuple(TaskStatus.choices)),
            "delete": BulkAction("Delete"),
        }


class ActivityFormView(RecordFormView):
    """``/activities/new/`` and ``/activities/<id>/edit/``; a record page's Log activity form
    posts here too (``form_id=log-activity``: the short form, its links fixed by the page)."""

    title = "activity"

    @property
    def form_class(self):
        form_id = self.request.POST.get("form_id") or self.request.GET.get("form_id")
        return LogActivityForm if form_id == "log-activity" else ActivityForm

    def get_form(self, obj, data=None):
        form = super().get_form(obj, data)
        if obj is None and "owner" not in form.fields:
            form.fixed["owner"] = self.request.user  # I logged it
        return form

    def get_queryset(self):
        return Activity.objects.for_org(self.org).select_related(*ACTIVITY_RELATED)

    def success_url(self, activity):
        if activity.contact_id:
            return reverse("workspace:contact_detail", args=[activity.contact.typeid])
        return self.list_url()

    def list_url(self):
        return reverse("activities:activity_list")


class TaskFormView(RecordFormView):
    form_class = TaskForm
    title = "task"

    def get_queryset(self):
        return Task.objects.for_org(self.org).select_related(*ACTIVITY_RELATED)

    def success_url(self, task):
        return self.list_url()

    def list_url(self):
        return reverse("activities:task_list")


class TaskCompleteView(OrgView):
    """``POST /tasks/<id>/complete/``: one click on Today. htmx swaps the task's row for a
    "Done" line; without htmx, back to ``next`` with a flash message."""

    def post(self, request, id):
        task = object_or_404(Task.objects.for_org(self.org), id)
        task = task_update(org=self.org, actor=request.user, task=task, status=TaskStatus.COMPLETED)
        if request.htmx:
            return render(request, "activities/_task_done.html", {"task": task})
        messages.success(request, f"Task “{task.title}” completed.")
        return HttpResponseRedirect(next_url(request, reverse("workspace:today")))


class ActivityExportView(CSVExportView):
    serializer_class = ActivitySerializer
    filterset_class = ActivityFilterSet


class TaskExportView(CSVExportView):
    serializer_class = TaskSerializer
    filterset_class = TaskFilterSet
