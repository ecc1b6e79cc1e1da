"""Each member's time zone: the web UI and the admin show and read times in it; the API speaks
UTC whoever created the key."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from activities import services as activity_services
from activities.models import Activity
from rexcrm.accounts.services import apikey_create
from tests.factories import ContactFactory, UserFactory

T = datetime.datetime(2026, 3, 16, 14, 0, tzinfo=datetime.UTC)  # 10:00 in New York (EDT)


@pytest.fixture
def contact(org):
    return ContactFactory(org=org, first_name="Ada", last_name="Zoned")


@pytest.fixture
def activity(org, contact):
    activity, _ = activity_services.activity_create(
        org=org, actor=None, type="call", subject="Zoned call", contact=contact, occurred_at=T
    )
    return activity


def signed_in(org, time_zone: str, **fields) -> Client:
    client = Client()
    client.user = UserFactory(org=org, time_zone=time_zone, is_staff=True, **fields)
    client.force_login(client.user)
    return client


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def test_the_admin_changelist_shows_times_in_the_members_zone(org, activity):
    new_york = text(signed_in(org, "America/New_York").get("/admin/activities/activity/"))
    assert "March 16, 2026, 10 a.m." in new_york and "2 p.m." not in new_york
    utc = text(signed_in(org, "UTC").get("/admin/activities/activity/"))
    assert "March 16, 2026, 2 p.m." in utc
    change = text(signed_in(org, "Pacific/Auckland").get(f"/admin/activities/activity/{activity.pk}/change/"))
    assert 'value="2026-03-17"' in change and 'value="03:00:00"' in change  # the next day in Auckland


def test_ui_pages_show_times_in_the_members_zone(org, activity, contact):
    client = signed_in(org, "America/New_York")
    page = text(client.get("/activities/"))
    assert "Mar 16, 2026 10:00" in page and 'datetime="2026-03-16T10:00:00-04:00"' in page
    timeline = text(client.get(f"/contacts/{contact.typeid}/"))
    assert "Monday, Mar 16, 2026" in timeline and ">10:00</time>" in timeline
    auckland = text(signed_in(org, "Pacific/Auckland").get(f"/contacts/{contact.typeid}/"))
    assert "Monday, Mar 16, 2026" not in auckland and "Tuesday, Mar 17, 2026" in auckland  # its own day


def test_times_typed_on_a_form_are_in_the_members_zone(org, contact):
    client = signed_in(org, "America/New_York")
    data = {"type": "call", "status": "completed", "subject": "Typed", "occurred_at": "2026-03-16T10:00"}
    response = client.post("/activities/new/", {**data, "contact": contact.typeid})
    assert response.status_code == 302
    assert Activity.objects.for_org(org).get().occurred_at == T


def test_the_api_speaks_utc_and_the_zone_ends_with_the_request(org, activity):
    client = signed_in(org, "America/New_York")
    _, raw = apikey_create(org=org, actor=client.user, name="k")
    response = client.get(f"/api/activities/{activity.typeid}", headers={"X-Api-Key": raw})  # with a session
    assert response.json()["data"]["occurred_at"] == "2026-03-16T14:00:00Z", response.json()
    noon = client.get("/api/activities", {"before": "2026-03-16T12:00"}, headers={"X-Api-Key": raw})
    assert noon.json()["data"] == []  # a naive time is UTC on the API (16:00 UTC in New York)
    client.get("/activities/")
    assert timezone.get_current_timezone_name() == "UTC"  # not left active for the next request


def test_the_profile_sets_the_time_zone_and_refuses_a_bad_name(org):
    client = signed_in(org, "UTC", first_name="Rita")
    page = text(client.get("/settings/profile/"))
    assert '<option value="America/New_York">America/New York</option>' in page
    assert '<option value="UTC" selected>UTC</option>' in page
    data = {"first_name": "Rita", "last_name": "", "time_zone": "Mars/Olympus_Mons"}
    refused = client.post("/settings/profile/", data)
    assert (
        refused.status_code == 400
        and "&quot;Mars/Olympus_Mons&quot; is not a time zone" in refused.content.decode()
    )
    assert client.post("/settings/profile/", {**data, "time_zone": ""}).status_code == 400
    client.user.refresh_from_db()
    assert client.user.time_zone == "UTC"
    assert client.post("/settings/profile/", {**data, "time_zone": "Europe/Paris"}).status_code == 302
    client.user.refresh_from_db()
    assert client.user.time_zone == "Europe/Paris"
    assert '<option value="Europe/Paris" selected>Europe/Paris</option>' in text(
        client.get("/settings/profile/")
    )
