"""Admin for contacts and companies: every write goes through ``contacts.services``."""

from django.contrib import admin

from contacts import services
from contacts.models import Company, Contact
from rexcrm.core.admin import ServiceAdmin


@admin.register(Company)
class CompanyAdmin(ServiceAdmin):
    writes = services.COMPANY_WRITES
    list_display = ["name", "domain", "org", "industry", "size", "owner", "created_at"]
    list_filter = ["size", "org"]
    search_fields = ["name", "domain"]
    autocomplete_fields = ["owner"]
    readonly_fields = ["typeid", "last_activity_at", "created_at", "updated_at"]


@admin.register(Contact)
class ContactAdmin(ServiceAdmin):
    writes = services.CONTACT_WRITES
    list_display = ["email", "first_name", "last_name", "org", "company", "stage", "owner", "created_at"]
    list_filter = ["stage", "source", "org"]
    search_fields = ["email", "first_name", "last_name", "phone"]
    autocomplete_fields = ["company", "owner"]
    readonly_fields = ["typeid", "last_activity_at", "next_task_due_at", "created_at", "updated_at"]
