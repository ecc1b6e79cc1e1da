"""POST /contacts/upsert, /companies/upsert and /contacts/merge."""

import datetime

import pytest

from activities.models import Activity, Task
from contacts.models import Company, Contact
from deals.models import Deal
from tests.conftest import error_of
from tests.contacts.conftest import cid, coid, uid
from tests.factories import ActivityFactory, ContactFactory, DealFactory, TaskFactory

T0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)


# -- contact upsert ----------------------------------------------------------------------------


def test_contact_upsert_creates_then_updates_by_email(api, org, company):
    created = api.post("/contacts/upsert", {"email": "Ada@Acme.com", "first_name": "Ada", "phone": "1"})
    assert created.status_code == 201, created.content
    data = created.json()["data"]
    assert data["email"] == "Ada@Acme.com" and data["stage"] == "lead"

    updated = api.post(
        "/contacts/upsert", {"email": "ada@ACME.com", "last_name": "Lovelace", "company_id": coid(company)}
    )
    assert updated.status_code == 200, updated.content
    again = updated.json()["data"]
    assert again["id"] == data["id"]
    assert again["email"] == "Ada@Acme.com"  # the stored spelling stays
    assert again["first_name"] == "Ada" and again["phone"] == "1"  # not sent: unchanged
    assert again["last_name"] == "Lovelace" and again["company_id"] == coid(company)
    assert Contact.objects.count() == 1


def test_contact_upsert_validates_and_is_scoped_to_the_organization(api, other_api, contact):
    assert error_of(api.post("/contacts/upsert", {"first_name": "x"}))["fields"].keys() == {"email"}
    assert error_of(api.post("/contacts/upsert", {"email": "nope"}))["code"] == "validation_error"
    assert error_of(api.post("/contacts/upsert", {"email": "a@b.co", "x": 1}))["code"] == "unknown_field"
    response = api.post("/contacts/upsert", {"email": "a@b.co", "icp_score": 500})
    assert set(error_of(response)["fields"]) == {"icp_score"}
    # another organization's contact with the same email is not touched: a new one is created
    response = other_api.post("/contacts/upsert", {"email": "ada@acme.com", "first_name": "Other"})
    assert response.status_code == 201
    contact.refresh_from_db()
    assert contact.first_name == "Ada"
    assert api.get("/contacts/upsert").status_code == 405


# -- company upsert ----------------------------------------------------------------------------


def test_company_upsert_creates_then_updates_by_normalised_domain(api):
    created = api.post("/companies/upsert", {"domain": "https://www.Acme.com/about", "name": "Acme"})
    assert created.status_code == 201, created.content
    data = created.json()["data"]
    assert data["domain"] == "acme.com"
    updated = api.post("/companies/upsert", {"domain": "ACME.COM", "industry": "Anvils"})
    assert updated.status_code == 200
    assert updated.json()["data"] | {"updated_at": None} == data | {"industry": "Anvils", "updated_at": None}
    assert Company.objects.count() == 1


def test_company_upsert_needs_a_domain_and_names_a_new_company_after_it(api, company):
    assert set(error_of(api.post("/companies/upsert", {"name": "X"}))["fields"]) == {"domain"}
    assert set(error_of(api.post("/companies/upsert", {"name": "X", "domain": ""}))["fields"]) == {"domain"}
    assert set(error_of(api.post("/companies/upsert", {"name": "X", "domain": "nope"}))["fields"]) == {
        "domain"
    }
    response = api.post("/companies/upsert", {"domain": "https://New.example/about"})
    assert response.status_code == 201 and response.json()["data"]["name"] == "new.example"
    response = api.post("/companies/upsert", {"domain": "other.example", "name": " "})
    assert response.status_code == 400 and set(error_of(response)["fields"]) == {"name"}
    # an update needs no name
    assert api.post("/companies/upsert", {"domain": "acme.com", "size": "11-50"}).status_code == 200


# -- merge -------------------------------------------------------------------------------------


@pytest.fixture
def trio(org, member, company):
    primary = ContactFactory(
        org=org,
        email="ada@acme.com",
        first_name="Ada",
        last_name="",
        phone="",
        title="CTO",
        metadata={"plan": "pro", "region": "eu"},
        last_activity_at=T0,
        next_task_due_at=T0 + datetime.timedelta(days=5),
    )
    first = ContactFactory(
        org=org,
        email="ada.l@acme.com",
        first_name="Augusta",
        last_name="Lovelace",
        phone="",
        title="Countess",
        company=company,
        icp_score=80,
        icp_score_reason="Fits",
        icp_scored_at=T0,
        source="referral",
        metadata={"plan": "free", "seats": 3},
        last_activity_at=T0 + datetime.timedelta(days=1),
        next_task_due_at=None,
    )
    second = ContactFactory(
        org=org,
        email="ada@lovelace.example",
        first_name="",
        last_name="King",
        phone="+44 20 0000",
        owner=member,
        icp_score=20,
        metadata={"seats": 9, "vip": True},
        last_activity_at=None,
        next_task_due_at=T0 + datetime.timedelta(days=2),
    )
    return primary, first, second


def test_merge_moves_everything_fills_gaps_and_deletes_duplicates(api, org, company, member, trio):
    primary, first, second = trio
    activities = [ActivityFactory(org=org, contact=c) for c in (primary, first, second, second)]
    tasks = [TaskFactory(org=org, contact=c) for c in (first, second)]
    deals = [DealFactory(org=org, contact=c) for c in (first, primary)]
    unrelated = ActivityFactory(org=org, contact=ContactFactory(org=org))
    before = {a.pk: a.updated_at for a in activities}

    response = api.post(
        "/contacts/merge", {"primary_id": cid(primary), "duplicate_ids": [cid(first), cid(second)]}
    )
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data == api.get(f"/contacts/{cid(primary)}").json()["data"]  # the GET shape
    assert data["id"] == cid(primary) and data["email"] == "ada@acme.com"
    # the primary wins where it has a value; gaps are filled from the duplicates in order
    assert data["first_name"] == "Ada" and data["title"] == "CTO"
    assert data["last_name"] == "Lovelace" and data["phone"] == "+44 20 0000"
    assert data["company_id"] == coid(company) and data["owner_id"] == uid(member)
    assert data["source"] == "referral"
    assert (data["icp_score"], data["icp_score_reason"]) == (80, "Fits")  # travel together
    assert data["icp_scored_at"] == "2026-03-01T00:00:00Z"
    assert data["metadata"] == {"plan": "pro", "region": "eu", "seats": 3, "vip": True}
    assert data["last_activity_at"] == "2026-03-02T00:00:00Z"  # latest
    assert data["next_task_due_at"] == "2026-03-03T00:00:00Z"  # earliest

    assert not Contact.objects.filter(pk__in=[first.pk, second.pk]).exists()
    assert set(Activity.objects.filter(contact=primary)) == set(activities)
    assert set(Task.objects.filter(contact=primary)) == set(tasks)
    assert set(Deal.objects.filter(contact=primary)) == set(deals)
    unrelated.refresh_from_db()
    assert unrelated.contact_id != primary.pk
    moved = Activity.objects.get(pk=activities[1].pk)
    assert moved.updated_at > before[moved.pk]  # incremental syncs see the move


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"primary_id": "{p}", "duplicate_ids": ["{p}"]}, "validation_error", "duplicate_ids"),
        ({"primary_id": "{p}", "duplicate_ids": ["{a}", "{p}"]}, "validation_error", "duplicate_ids"),
        ({"primary_id": "{p}", "duplicate_ids": ["{a}", "{a}"]}, "validation_error", "duplicate_ids"),
        ({"primary_id": "{p}", "duplicate_ids": []}, "validation_error", "duplicate_ids"),
        ({"primary_id": "{p}", "duplicate_ids": "{a}"}, "validation_error", "duplicate_ids"),
        ({"primary_id": "{p}"}, "validation_error", "duplicate_ids"),
        ({"duplicate_ids": ["{a}"]}, "validation_error", "primary_id"),
        ({"primary_id": "{p}", "duplicate_ids": ["{a}", "{foreign}"]}, "invalid_reference", "duplicate_ids"),
        ({"primary_id": "{p}", "duplicate_ids": ["{missing}"]}, "invalid_reference", "duplicate_ids"),
        ({"primary_id": "{foreign}", "duplicate_ids": ["{a}"]}, "invalid_reference", "primary_id"),
        (
            {"primary_id": "{p}", "duplicate_ids": ["comp_01JQ3Z6W5C8V2N4R7T9X0Y1B2D"]},
            "validation_error",
            "duplicate_ids",
        ),
        ({"primary_id": "{p}", "duplicate_ids": ["{a}"], "dry_run": True}, "unknown_field", "dry_run"),
    ],
)
def test_merge_refusals_change_nothing(api, org, other_org, trio, body, code, field):
    primary, first, _ = trio
    activity = ActivityFactory(org=org, contact=first)
    values = {
        "p": cid(primary),
        "a": cid(first),
        "foreign": cid(ContactFactory(org=other_org)),
        "missing": "cont_01JQ3Z6W5C8V2N4R7T9X0Y1B2D",
    }

    def fill(value):
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value.format(**values) if isinstance(value, str) else value

    snapshot = sorted(Contact.objects.values_list("id", "updated_at", "metadata"))
    response = api.post("/contacts/merge", {key: fill(value) for key, value in body.items()})
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == code
    assert field in error["fields"]
    assert sorted(Contact.objects.values_list("id", "updated_at", "metadata")) == snapshot
    activity.refresh_from_db()
    assert activity.contact_id == first.pk


def test_merge_that_fails_midway_leaves_nothing_behind(api, org, trio):
    primary, first, second = trio
    second.metadata = {"blob": "x" * 16000}
    second.save()
    primary.metadata = {"other": "y" * 1000}
    primary.save()
    activity = ActivityFactory(org=org, contact=second)
    response = api.post(
        "/contacts/merge", {"primary_id": cid(primary), "duplicate_ids": [cid(first), cid(second)]}
    )
    assert response.status_code == 400
    assert set(error_of(response)["fields"]) == {"metadata"}
    assert Contact.objects.filter(pk__in=[first.pk, second.pk]).count() == 2
    activity.refresh_from_db()
    assert activity.contact_id == second.pk  # the move was rolled back
    primary.refresh_from_db()
    assert primary.last_name == ""
