"""The organization admin: an organization created here is provisioned like ``createorg``'s."""

from django.contrib import admin
from django.db import transaction

from rexcrm.accounts.models import Organization
from rexcrm.accounts.services import organization_update
from rexcrm.core.admin import OrgAdmin, ServiceModelForm, add_service_errors
from rexcrm.core.exceptions import REFUSED
from rexcrm.workspace.services import organization_provision


class OrganizationForm(ServiceModelForm):
    """A new organization through ``organization_provision``, a rename through
    ``organization_update``: their refusals are form errors."""

    class Meta:
        model = Organization
        fields = ["name"]

    def _post_clean(self):
        if self._errors:
            return
        actor = self.request.user
        try:
            with transaction.atomic():
                if self.instance._state.adding:
                    self.instance = organization_provision(name=self.cleaned_data["name"], actor=actor)
                elif self.changed_data:
                    self.instance = organization_update(
                        org=self.instance, actor=actor, **self.service_changes()
                    )
        except REFUSED as exc:
            add_service_errors(self, exc)


@admin.register(Organization)
class OrganizationAdmin(OrgAdmin):
    """A superuser sees and adds organizations; an organization's staff see and rename theirs.
    Organizations are not deleted here (everything of theirs would go with them)."""

    form = OrganizationForm
    org_field = "pk"
    list_display = ["name", "prefixed_id", "created_at"]
    search_fields = ["name"]
    search_help_text = "Name, or a pasted org_… id."
    fields = ["name", "prefixed_id", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Nothing left to do: the form saved through the service when it validated."""
