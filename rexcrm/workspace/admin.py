"""The organization admin: an organization created here is provisioned like ``createorg``'s."""

from django.contrib import admin

from rexcrm.accounts.models import Organization
from rexcrm.accounts.services import organization_update
from rexcrm.core.admin import OrgAdmin
from rexcrm.workspace.services import organization_provision


@admin.register(Organization)
class OrganizationAdmin(OrgAdmin):
    """A superuser sees and adds organizations; an organization's staff see and rename theirs.
    Organizations are not deleted here (everything of theirs would go with them)."""

    org_field = "pk"
    list_display = ["name", "prefixed_id", "created_at"]
    search_fields = ["name"]
    search_help_text = "Name, or a pasted org_… id."
    fields = ["name", "prefixed_id", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            organization_update(org=obj, actor=request.user, name=form.cleaned_data["name"])
            return
        saved = organization_provision(name=form.cleaned_data["name"], actor=request.user)
        obj.pk, obj.created_at, obj.updated_at = saved.pk, saved.created_at, saved.updated_at
        obj._state.adding = False
