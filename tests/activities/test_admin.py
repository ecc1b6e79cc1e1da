"""The activity admin saves and deletes through the services."""

import pytest
from django.test import Client

from activities.models import Activity
from tests.factories import ActivityFactory, ContactFactory, TaskFactory, UserFactory


@pytest.fixture
def admin_client(org):
    client = Client()
    client.force_login(UserFactory(org=org, is_staff=True, is_superuser=True))
    return client


def form(org, contact, **extra):
    return {
        "org": org.pk,
        "type": "call",
        "subtype": "",
        "status": "completed",
        "subject": "Admin call",
        "body": "",
        "contact": contact.pk,
        "occurred_at_0": "2026-03-16",
        "occurred_at_1": "14:00:00",
        "source": "",
        "external_id": "",
        "metadata": "{}",
        "generated_by": "",
        "model": "",
        **extra,
    }


def test_add_change_and_delete_go_through_the_services(admin_client, org):
    contact = ContactFactory(org=org)
    response = admin_client.post("/admin/activities/activity/add/", form(org, contact))
    assert response.status_code == 302, response.content[:2000]
    activity = Activity.objects.get()
    assert activity.source == "manual"
    contact.refresh_from_db()
    assert contact.last_activity_at == activity.occurred_at  # the service kept it
    data = form(org, contact, subject="Renamed", status="draft")
    data.pop("org")
    response = admin_client.post(f"/admin/activities/activity/{activity.pk}/change/", data)
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.last_activity_at is None  # a draft does not count
    response = admin_client.post(f"/admin/activities/activity/{activity.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    assert not Activity.objects.exists()


def test_links_from_another_organization_are_refused(admin_client, org, other_org):
    response = admin_client.post("/admin/activities/activity/add/", form(org, ContactFactory(org=other_org)))
    assert response.status_code == 200 and b"in this organization" in response.content  # the API's words
    assert not Activity.objects.exists()


def test_the_changelist_renders(admin_client, org):
    ActivityFactory.create_batch(3, org=org)
    assert admin_client.get("/admin/activities/activity/").status_code == 200


def test_the_direction_filter_reads_as_people_write_it(admin_client, org):
    ActivityFactory(org=org, direction="na")
    page = admin_client.get("/admin/activities/activity/").content.decode()
    assert "Not applicable" in page
    assert ">Na<" not in page


def test_a_contacts_page_names_each_activity_and_task_once(admin_client, org):
    contact = ContactFactory(org=org)
    ActivityFactory(org=org, contact=contact, subject="Quarterly review call")
    TaskFactory(org=org, contact=contact, title="Send the proposal")
    page = admin_client.get(f"/admin/contacts/contact/{contact.pk}/change/").content.decode()
    assert page.count("Quarterly review call") == 1
    assert page.count("Send the proposal") == 1
