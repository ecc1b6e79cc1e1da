"""The web UI's contact and company forms (saved through ``contacts.services``)."""

from django import forms

from contacts.models import Company, Contact
from contacts.services import COMPANY_WRITES, CONTACT_WRITES
from rexcrm.core.forms import RecordForm


class ContactForm(RecordForm):
    writes = CONTACT_WRITES

    class Meta:
        model = Contact
        fields = [
            "first_name", "last_name", "email", "phone", "title", "company", "owner", "stage", "source",
            "source_detail", "linkedin_url", "icp_score",
        ]  # fmt: skip
        labels = {"icp_score": "ICP score", "linkedin_url": "LinkedIn URL", "source_detail": "Source detail"}


class CompanyForm(RecordForm):
    writes = COMPANY_WRITES

    class Meta:
        model = Company
        fields = ["name", "domain", "website", "industry", "size", "phone", "owner", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
