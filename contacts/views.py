"""Web UI of contacts and companies: their lists (record pages, which show every app's data,
are in ``rexcrm.workspace``)."""

from django.urls import reverse_lazy

from contacts.api.serializers import CompanySerializer, ContactSerializer
from contacts.filtersets import CompanyFilterSet, ContactFilterSet
from contacts.models import Company, Contact
from rexcrm.core.export import CSVExportView
from rexcrm.core.views import Column, ListPageView


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

    def get_queryset(self):
        return Contact.objects.for_org(self.org).select_related("company", "owner")


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

    def get_queryset(self):
        return Company.objects.for_org(self.org).select_related("owner")


class ContactExportView(CSVExportView):
    serializer_class = ContactSerializer
    filterset_class = ContactFilterSet


class CompanyExportView(CSVExportView):
    serializer_class = CompanySerializer
    filterset_class = CompanyFilterSet
