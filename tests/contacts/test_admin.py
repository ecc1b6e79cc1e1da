"""The admin validates like the API and writes through the services."""

import pytest
from django.test import Client

from contacts.models import Company, Contact
from tests.factories import ActivityFactory, CompanyFactory, ContactFactory, UserFactory


@pytest.fixture
def admin_client(org):
    client = Client()
    client.force_login(UserFactory(org=org, is_staff=True, is_superuser=True))
    return client


def company_form(org, **values):
    return {
        "org": org.pk,
        "name": "Acme",
        "domain": "",
        "industry": "",
        "size": "",
        "website": "",
        "phone": "",
        "description": "",
        "address": "{}",
        "owner": "",
        "metadata": "{}",
        **values,
    }


def test_admin_creates_a_company_with_a_normalised_domain(admin_client, org):
    response = admin_client.post(
        "/admin/contacts/company/add/", company_form(org, domain="https://www.Acme.com/x")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Company.objects.get().domain == "acme.com"
    response = admin_client.post("/admin/contacts/company/add/", company_form(org, domain="ACME.com"))
    assert response.status_code == 200  # the form shows the clash
    assert "already exists" in response.content.decode()
    response = admin_client.post("/admin/contacts/company/add/", company_form(org, address='{"zip": "1"}'))
    assert response.status_code == 200 and Company.objects.count() == 1


def test_admin_refuses_links_to_another_organization(admin_client, org, other_org):
    response = admin_client.post(
        "/admin/contacts/company/add/", company_form(org, owner=UserFactory(org=other_org).pk)
    )
    assert response.status_code == 200 and not Company.objects.exists()


def test_admin_changes_a_contact_through_the_service(admin_client, org):
    contact = ContactFactory(org=org, email="ada@acme.com", first_name="Ada")
    form = {
        "email": "ADA@acme.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "phone": "",
        "title": "",
        "linkedin_url": "",
        "stage": "customer",
        "source": "",
        "source_detail": "",
        "company": "",
        "owner": "",
        "icp_score": "70",
        "icp_score_reason": "",
        "icp_scored_at_0": "",
        "icp_scored_at_1": "",
        "metadata": "{}",
    }
    response = admin_client.post(f"/admin/contacts/contact/{contact.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    contact.refresh_from_db()
    assert (contact.email, contact.last_name, contact.stage, contact.icp_score) == (
        "ADA@acme.com",
        "Lovelace",
        "customer",
        70,
    )
    assert contact.icp_scored_at is not None  # the service's rule, not the form's
    other = ContactFactory(org=org, email="bob@acme.com")
    response = admin_client.post(
        f"/admin/contacts/contact/{other.pk}/change/", {**form, "email": "ada@ACME.com"}
    )
    assert response.status_code == 200 and "already exists" in response.content.decode()


def test_admin_delete_keeps_activities(admin_client, org):
    company = CompanyFactory(org=org)
    activity = ActivityFactory(org=org, company=company)
    response = admin_client.post(f"/admin/contacts/company/{company.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    activity.refresh_from_db()
    assert activity.company_id is None and not Company.objects.exists()
    assert admin_client.get("/admin/contacts/contact/").status_code == 200
    assert Contact.objects.count() == 0
