"""Admin for activities and tasks: every write goes through ``activities.services`` (dedup,
``last_activity_at``, ``completed_at`` and the contact's ``next_task_due_at`` stay right)."""

from django.contrib import admin
from django.db.models import F

from activities import services
from activities.choices import TaskStatus
from activities.filtersets import ActivityFilterSet, TaskFilterSet
from activities.models import Activity, Task
from contacts.models import Company, Contact
from deals.models import Deal
from rexcrm.core.admin import ReadOnlyInline, ServiceAdmin, ServiceModelForm, attach_inline


class ActivityAdminForm(ServiceModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "source" in self.fields:
            self.fields["source"].required = False
            self.fields["source"].help_text = "Left empty: manual (an activity entered by hand)."
            if self.instance._state.adding:
                self.initial["source"] = "manual"

    def clean_source(self):
        return self.cleaned_data.get("source") or "manual"


# An inline row starts with the object's name (its __str__, linked to its page): the subject, a
# task's title and a contact's name are not columns as well.
class ActivityInline(ReadOnlyInline):
    model = Activity
    fields = ["occurred_at", "type", "status", "contact", "owner"]
    ordering = ["-occurred_at", "-id"]


class TaskInline(ReadOnlyInline):
    model = Task
    fields = ["status", "priority", "due_at", "owner", "created_at"]
    ordering = ["-created_at", "-id"]


attach_inline(Contact, ActivityInline)
attach_inline(Contact, TaskInline)
attach_inline(Deal, ActivityInline)
attach_inline(Company, TaskInline)


@admin.register(Activity)
class ActivityAdmin(ServiceAdmin):
    writes = services.ACTIVITY_WRITES
    form = ActivityAdminForm
    filterset_class = ActivityFilterSet
    list_display = ["subject", "type", "status", "org", "occurred_at", "contact", "deal", "owner"]
    list_filter = ["type", "status", "direction", "owner", "org"]
    search_fields = ["subject"]
    search_help_text = (
        "Words of the subject and body (as the API's search=), or a pasted act_… id "
        "(or a cont_…, comp_…, deal_… id: its activities)."
    )
    date_hierarchy = "occurred_at"
    ordering = ["-occurred_at", "-id"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(Task)
class TaskAdmin(ServiceAdmin):
    writes = services.TASK_WRITES
    filterset_class = TaskFilterSet
    list_display = [
        "title",
        "org",
        "status",
        "priority",
        "due_at",
        "owner",
        "contact",
        "deal",
    ]
    list_filter = ["status", "priority", "owner", "org"]
    search_fields = ["title"]
    search_help_text = "Title, or a pasted task_… id (or a cont_…, comp_…, deal_… id: its tasks)."
    date_hierarchy = "due_at"
    ordering = [F("due_at").asc(nulls_last=True), "id"]  # the next due first, undated last
    readonly_fields = ["completed_at", "created_at", "updated_at"]
    actions = [*ServiceAdmin.actions, "mark_completed"]

    @admin.action(description="Mark selected tasks completed")
    def mark_completed(self, request, queryset):
        tasks = list(queryset.exclude(status=TaskStatus.COMPLETED).select_related("org"))
        for task in tasks:
            services.task_update(org=task.org, actor=request.user, task=task, status=TaskStatus.COMPLETED)
        self.message_user(request, f"Marked {len(tasks)} task(s) completed.")
