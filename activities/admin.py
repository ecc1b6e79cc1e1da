"""Admin for tasks; every save goes through ``activities.services`` (``completed_at`` and
the contact's ``next_task_due_at`` stay right)."""

from django import forms
from django.contrib import admin

from activities import services
from activities.models import Task


class TaskAdminForm(forms.ModelForm):
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

    def clean(self):
        cleaned = super().clean()
        org = cleaned.get("org") or getattr(self.instance, "org", None)
        for name in ("contact", "company", "deal", "owner"):
            linked = cleaned.get(name)
            if org is not None and linked is not None and linked.org_id != org.pk:
                self.add_error(name, "Must belong to the same organization.")
        return cleaned


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
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
        obj._state.adding = False

    def delete_model(self, request, obj):
        services.task_delete(task=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for task in queryset:
            services.task_delete(task=task, actor=request.user)
