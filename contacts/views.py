"""Web UI of contacts and companies: their lists with bulk actions, and their create and edit
forms (record pages, which show every app's data, are in ``rexcrm.workspace``)."""

from django.urls import reverse, reverse_lazy

from contacts.api.serializers import CompanySerializer, ContactSerializer
from contacts.choices import ContactStage
from contacts.filtersets import CompanyFilterSet, ContactFilterSet
from contacts.forms import CompanyForm, ContactForm
from contacts.models import Company, Contact
from contacts.services import COMPANY_WRITES, CONTACT_WRITES
from rexcrm.core.export import CSVExportView
from rexcrm.core.views import BulkAction, Column, ListPageView, RecordFormView


class ContactListView(ListPageView):
    template_name = "contacts/contact_list.html"
    filterset_class = ContactFilterSet
    export_url = reverse_lazy("contacts:contact_export")
    columns = (
        Column("Name", "last_name"),
        Column("Email"),
        Column("Company"),
        Column("Stage"),
        Column("Owner"),
        Column("ICP", "icp_score", "num"),
        Column("Last activity", "last_activity_at"),
        Column("Created", "created_at"),
    )
    filters = {
        "search": "Search",
        "stage": "Stage",
        "source": "Source",
        "owner_id": "Owner",
        "icp_score_min": "ICP score from",
        "icp_score_max": "ICP score to",
        "last_activity_after": "Last activity since",
    }

    writes = CONTACT_WRITES

    def get_queryset(self):
        return Contact.objects.for_org(self.org).select_related("company", "owner")

    def bulk_actions(self):
        return {
            "owner": self.owner_action(),
            "stage": BulkAction("Set stage", "stage", tuple(ContactStage.choices)),
            "delete": BulkAction("Delete"),
        }


class CompanyListView(ListPageView):
    template_name = "contacts/company_list.html"
    filterset_class = CompanyFilterSet
    export_url = reverse_lazy("contacts:company_export")
    columns = (
        Column("Name", "name"),
        Column("Domain"),
        Column("Industry"),
        Column("Size"),
        Column("Owner"),
        Column("Last activity"),
        Column("Created", "created_at"),
    )
    filters = {"search": "Search", "industry": "Industry", "size": "Size", "owner_id": "Owner"}

    writes = COMPANY_WRITES

    def get_queryset(self):
        return Company.objects.for_org(self.org).select_related("owner")

    def bulk_actions(self):
        return {"owner": self.owner_action(), "delete": BulkAction("Delete")}


class ContactFormView(RecordFormView):
    form_class = ContactForm
    title = "contact"

    def get_queryset(self):
        return Contact.objects.for_org(self.org).select_related("company", "owner")

    def success_url(self, contact):
        return reverse("workspace:contact_detail", args=[contact.typeid])

    def list_url(self):
        return reverse("contacts:contact_list")


class CompanyFormView(RecordFormView):
    form_class = CompanyForm
    title = "company"

    def get_queryset(self):
        return Company.objects.for_org(self.org).select_related("owner")

    def success_url(self, company):
        return reverse("workspace:company_detail", args=[company.typeid])

    def list_url(self):
        return reverse("contacts:company_list")


class ContactExportView(CSVExportView):
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet


class CompanyExportView(CSVExportView):
    serializer_class = CompanySerializer
    filterset_class = CompanyFilterSet
