"""Admin for contacts and companies: forms validate like the API, saves go through services."""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError

from contacts import services
from contacts.domains import normalize_domain
from contacts.models import Company, Contact


class OrgScopedForm(forms.ModelForm):
    """Linked company and owner must belong to the object's organization, and the unique
    field (``unique_field``) must be free in it (``org`` is read-only on change, so Django's
    own constraint check, which needs every field of the constraint in the form, skips it)."""

    unique_field = ""

    def clean(self):
        cleaned = super().clean()
        org = cleaned.get("org") or (self.instance.org if self.instance.org_id else None)
        if org is None:
            return cleaned
        for name in ("company", "owner"):
            related = cleaned.get(name)
            if related is not None and related.org_id != org.pk:
                self.add_error(name, f"This {name} belongs to another organization.")
        value = cleaned.get(self.unique_field)
        if value and self.taken(org, value).exclude(pk=self.instance.pk).exists():
            label = self._meta.model._meta.verbose_name
            self.add_error(self.unique_field, f"A {label} with this {self.unique_field} already exists.")
        return cleaned

    def taken(self, org, value):
        raise NotImplementedError


class CompanyAdminForm(OrgScopedForm):
    unique_field = "domain"

    class Meta:
        model = Company
        fields = [
            "org", "name", "domain", "industry", "size", "website", "phone", "description", "address", "owner",
            "metadata",
        ]  # fmt: skip

    def taken(self, org, value):
        return Company.objects.for_org(org).filter(domain=value)

    def clean_domain(self):
        try:
            return normalize_domain(self.cleaned_data.get("domain") or "")
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from None


class ContactAdminForm(OrgScopedForm):
    unique_field = "email"

    class Meta:
        model = Contact
        fields = [
            "org", "email", "first_name", "last_name", "phone", "title", "linkedin_url", "stage", "source",
            "source_detail", "company", "owner", "icp_score", "icp_score_reason", "icp_scored_at", "metadata",
        ]  # fmt: skip

    def taken(self, org, value):
        return Contact.objects.for_org(org).with_email(value)


class ServiceAdmin(admin.ModelAdmin):
    """Creates, updates and deletes through the app's services (one write path)."""

    create_service = update_service = delete_service = None
    instance_arg = ""
    service_fields: frozenset = frozenset()

    def save_model(self, request, obj, form, change):
        fields = {name: form.cleaned_data[name] for name in form.changed_data if name in self.service_fields}
        if change:
            stored = type(obj).objects.get(pk=obj.pk)  # the form already changed ``obj`` in memory
            saved = self.update_service(**{self.instance_arg: stored}, **fields)
        else:
            fields.update(self.required_create_fields(form))
            saved = self.create_service(org=form.cleaned_data["org"], **fields)
        obj.pk = saved.pk
        obj._state.adding = False
        for field in obj._meta.concrete_fields:
            setattr(obj, field.attname, getattr(saved, field.attname))

    def required_create_fields(self, form) -> dict:
        return {}

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        return [*readonly, "org"] if obj is not None else readonly  # objects never change organization

    def delete_model(self, request, obj):
        self.delete_service(**{self.instance_arg: obj})

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_service(**{self.instance_arg: obj})


@admin.register(Company)
class CompanyAdmin(ServiceAdmin):
    form = CompanyAdminForm
    create_service = staticmethod(services.company_create)
    update_service = staticmethod(services.company_update)
    delete_service = staticmethod(services.company_delete)
    instance_arg = "company"
    service_fields = services.COMPANY_FIELDS

    list_display = ["name", "domain", "org", "industry", "size", "owner", "created_at"]
    list_filter = ["size", "org"]
    search_fields = ["name", "domain"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["typeid", "last_activity_at", "created_at", "updated_at"]

    def required_create_fields(self, form):
        return {"name": form.cleaned_data["name"]}


@admin.register(Contact)
class ContactAdmin(ServiceAdmin):
    form = ContactAdminForm
    create_service = staticmethod(services.contact_create)
    update_service = staticmethod(services.contact_update)
    delete_service = staticmethod(services.contact_delete)
    instance_arg = "contact"
    service_fields = services.CONTACT_FIELDS

    list_display = ["email", "first_name", "last_name", "org", "company", "stage", "owner", "created_at"]
    list_filter = ["stage", "source", "org"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    autocomplete_fields = ["company", "owner"]
    readonly_fields = ["typeid", "last_activity_at", "next_task_due_at", "created_at", "updated_at"]

    def required_create_fields(self, form):
        return {"email": form.cleaned_data["email"]}
