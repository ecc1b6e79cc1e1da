"""The organization admin: an organization created here is provisioned like ``createorg``'s."""

from django.contrib import admin

from rexcrm.accounts.models import Organization
from rexcrm.accounts.services import organization_update
from rexcrm.workspace.services import organization_provision


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "typeid", "created_at"]
    search_fields = ["name"]
    fields = ["name", "typeid", "created_at", "updated_at"]
    readonly_fields = ["typeid", "created_at", "updated_at"]

    def save_model(self, request, obj, form, change):
        if change:
            organization_update(org=obj, actor=request.user, name=form.cleaned_data["name"])
            return
        saved = organization_provision(name=form.cleaned_data["name"], actor=request.user)
        obj.pk, obj.created_at, obj.updated_at = saved.pk, saved.created_at, saved.updated_at
        obj._state.adding = False
