"""Admin for activities and tasks; every save goes through ``activities.services`` (dedup,
``last_activity_at``, ``completed_at`` and the contact's ``next_task_due_at`` stay right)."""

from django import forms
from django.contrib import admin

from activities import services
from activities.models import Activity, Task


class SameOrgLinksForm(forms.ModelForm):
    """Links (contact, company, deal, owner) must belong to the object's organization."""

    def clean(self):
        cleaned = super().clean()
        org = cleaned.get("org") or getattr(self.instance, "org", None)
        for name in ("contact", "company", "deal", "owner"):
            linked = cleaned.get(name)
            if org is not None and linked is not None and linked.org_id != org.pk:
                self.add_error(name, "Must belong to the same organization.")
        return cleaned


def save_through_services(obj, saved) -> None:
    """Make the admin's object the one the service saved (the admin logs and redirects with it)."""
    obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
    obj._state.adding = False


class ActivityAdminForm(SameOrgLinksForm):
    class Meta:
        model = Activity
        fields = [
            "org",
            "type",
            "subtype",
            "status",
            "subject",
            "body",
            "contact",
            "company",
            "deal",
            "owner",
            "occurred_at",
            "duration",
            "direction",
            "source",
            "external_id",
            "metadata",
            "generated_by",
            "confidence_score",
            "ai_model",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].required = False
        self.fields["source"].help_text = "Left empty: manual (an activity entered by hand)."

    def clean_source(self):
        return self.cleaned_data.get("source") or "manual"


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    form = ActivityAdminForm
    list_display = ["subject", "type", "status", "org", "contact", "occurred_at", "source"]
    list_filter = ["type", "status", "direction"]
    search_fields = ["subject", "external_id"]
    raw_id_fields = ["org", "contact", "company", "deal", "owner"]
    date_hierarchy = "occurred_at"

    def get_readonly_fields(self, request, obj=None):
        return ["org"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            saved = services.activity_update(activity=obj, **changes)
        else:
            data = dict(form.cleaned_data)
            saved, _ = services.activity_create(org=data.pop("org"), **data)
        save_through_services(obj, saved)

    def delete_model(self, request, obj):
        services.activity_delete(activity=obj)

    def delete_queryset(self, request, queryset):
        for activity in queryset:
            services.activity_delete(activity=activity)


class TaskAdminForm(SameOrgLinksForm):
    class Meta:
        model = Task
        fields = [
            "org",
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
        ]


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    form = TaskAdminForm
    list_display = ["title", "org", "owner", "due_at", "priority", "status", "completed_at"]
    list_filter = ["status", "priority"]
    search_fields = ["title"]
    raw_id_fields = ["org", "contact", "company", "deal", "owner"]

    def get_readonly_fields(self, request, obj=None):
        return ["org", "completed_at"] if obj is not None else ["completed_at"]

    def save_model(self, request, obj, form, change):
        if change:
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            saved = services.task_update(task=obj, actor=request.user, **changes)
        else:
            data = dict(form.cleaned_data)
            saved = services.task_create(org=data.pop("org"), actor=request.user, **data)
        save_through_services(obj, saved)

    def delete_model(self, request, obj):
        services.task_delete(task=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for task in queryset:
            services.task_delete(task=task, actor=request.user)
