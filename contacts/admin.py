"""Admin for contacts and companies: every write goes through ``contacts.services``. Their
deals, activities and tasks are attached as inlines by the apps that own them."""

from django import forms
from django.contrib import admin, messages

from contacts import services
from contacts.filtersets import CompanyFilterSet, ContactFilterSet
from contacts.models import Company, Contact
from rexcrm.core.admin import ReadOnlyInline, ServiceAdmin

CONTACT_LABELS = {
    "linkedin_url": "LinkedIn URL",
    "icp_score": "ICP score",
    "icp_score_reason": "ICP score reason",
    "icp_scored_at": "ICP scored at",
}


class ContactInline(ReadOnlyInline):
    model = Contact
    fields = ["email", "title", "stage", "owner", "created_at"]  # the name starts the row
    ordering = ["-created_at", "-id"]


@admin.register(Company)
class CompanyAdmin(ServiceAdmin):
    writes = services.COMPANY_WRITES
    filterset_class = CompanyFilterSet
    list_display = ["name", "domain", "org", "industry", "size", "owner", "last_activity_at"]
    list_filter = ["size", "owner", "org"]
    search_fields = ["name", "domain"]
    search_help_text = "Name or domain, or a pasted comp_… id."
    date_hierarchy = "created_at"
    readonly_fields = ["last_activity_at", "created_at", "updated_at"]
    inlines = [ContactInline]


class MergeForm(forms.Form):
    primary = forms.ModelChoiceField(
        queryset=Contact.objects.none(),
        widget=forms.RadioSelect,
        empty_label=None,
        help_text="The contact that stays: the others' activities, tasks and deals move to it, "
        "its empty fields are filled from theirs, and they are deleted.",
    )

    def __init__(self, *args, contacts, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["primary"]
        field.queryset = Contact.objects.filter(pk__in=[contact.pk for contact in contacts])
        field.label_from_instance = lambda c: f"{c.name} · {c.email} · {c.typeid}"


@admin.register(Contact)
class ContactAdmin(ServiceAdmin):
    writes = services.CONTACT_WRITES
    filterset_class = ContactFilterSet
    labels = CONTACT_LABELS
    list_display = ["email", "full_name", "org", "company", "stage", "owner", "icp", "last_activity_at"]
    list_filter = ["stage", "source", "owner", "org"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    search_help_text = "Name, email or phone (as the API's search=), or a pasted cont_… id."
    date_hierarchy = "created_at"
    readonly_fields = ["last_activity_at", "next_task_due_at", "created_at", "updated_at"]
    actions = [*ServiceAdmin.actions, "merge"]

    @admin.display(description="Name", ordering="last_name")
    def full_name(self, contact):
        return f"{contact.first_name} {contact.last_name}".strip()

    @admin.display(description="ICP score", ordering="icp_score")
    def icp(self, contact):
        return contact.icp_score

    @admin.action(description="Merge selected contacts…")
    def merge(self, request, queryset):
        """Through ``contact_merge``, after a page where the administrator picks the primary."""
        contacts = list(queryset.select_related("org")[: services.MERGE_MAX_DUPLICATES + 2])
        if len(contacts) < 2 or len(contacts) > services.MERGE_MAX_DUPLICATES + 1:
            limit = services.MERGE_MAX_DUPLICATES + 1
            self.message_user(request, f"Select from 2 to {limit} contacts to merge.", messages.ERROR)
            return None
        if len({contact.org_id for contact in contacts}) > 1:
            self.message_user(
                request, "Contacts of different organizations cannot be merged.", messages.ERROR
            )
            return None
        form = MergeForm(request.POST if "apply" in request.POST else None, contacts=contacts)
        if form.is_valid():
            primary = form.cleaned_data["primary"]
            duplicates = [contact for contact in contacts if contact.pk != primary.pk]
            services.contact_merge(
                org=contacts[0].org, actor=request.user, primary=primary, duplicates=duplicates
            )
            self.message_user(request, f"Merged {len(duplicates)} contact(s) into {primary.email}.")
            return None
        return self.confirm(
            request,
            queryset,
            title="Merge contacts",
            form=form,
            action="merge",
            text=f"Merge these {len(contacts)} contacts into one. This cannot be undone.",
        )
