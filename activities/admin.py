"""Admin for activities and tasks: every write goes through ``activities.services`` (dedup,
``last_activity_at``, ``completed_at`` and the contact's ``next_task_due_at`` stay right)."""

from django.contrib import admin

from activities import services
from activities.models import Activity, Task
from rexcrm.core.admin import ServiceAdmin, ServiceModelForm


class ActivityAdminForm(ServiceModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "source" in self.fields:
            self.fields["source"].required = False
            self.fields["source"].help_text = "Left empty: manual (an activity entered by hand)."

    def clean_source(self):
        return self.cleaned_data.get("source") or "manual"


@admin.register(Activity)
class ActivityAdmin(ServiceAdmin):
    writes = services.ACTIVITY_WRITES
    form = ActivityAdminForm
    list_display = ["subject", "type", "status", "org", "contact", "occurred_at", "source"]
    list_filter = ["type", "status", "direction"]
    search_fields = ["subject", "external_id"]
    raw_id_fields = ["org", "contact", "company", "deal", "owner"]
    date_hierarchy = "occurred_at"


@admin.register(Task)
class TaskAdmin(ServiceAdmin):
    writes = services.TASK_WRITES
    list_display = ["title", "org", "owner", "due_at", "priority", "status", "completed_at"]
    list_filter = ["status", "priority"]
    search_fields = ["title"]
    raw_id_fields = ["org", "contact", "company", "deal", "owner"]
    readonly_fields = ["completed_at"]
