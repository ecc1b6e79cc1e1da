"""/contacts: CRUD, validation of every field, uniqueness (409), tenancy and scopes."""

import datetime

import pytest
from django.utils import timezone

from contacts.models import Contact
from rexcrm.core import ids
from tests.conftest import error_of
from tests.contacts.conftest import cid, coid, uid
from tests.factories import ActivityFactory, CompanyFactory, ContactFactory, DealFactory, TaskFactory

FULL = {
    "email": "Grace.Hopper@Navy.example",
    "first_name": "Grace",
    "last_name": "Hopper",
    "phone": "+1 555 0100",
    "title": "Rear Admiral",
    "linkedin_url": "https://www.linkedin.com/in/grace",
    "stage": "prospect",
    "source": "referral",
    "source_detail": "Spring campaign",
    "icp_score": 92,
    "icp_score_reason": "Navy, big team",
    "icp_scored_at": "2026-03-16T14:00:00Z",
    "metadata": {"plan": "pro", "tags": ["a", "b"]},
}
OUTPUT_KEYS = {
    "id",
    "email",
    "first_name",
    "last_name",
    "name",
    "phone",
    "title",
    "linkedin_url",
    "stage",
    "source",
    "source_detail",
    "company_id",
    "owner_id",
    "icp_score",
    "icp_score_reason",
    "icp_scored_at",
    "metadata",
    "last_activity_at",
    "next_task_due_at",
    "created_at",
    "updated_at",
    "relationships",
}


def test_create_minimal_contact_has_defaults(api):
    response = api.post("/contacts", {"email": "ada@example.com"})
    assert response.status_code == 201, response.content
    body = response.json()
    data = body["data"]
    assert set(data) == OUTPUT_KEYS
    assert data["id"].startswith("cont_")
    assert data["email"] == "ada@example.com" and data["name"] == "ada@example.com"
    assert data["stage"] == "lead" and data["source"] is None
    assert data["first_name"] == "" and data["metadata"] == {}
    assert data["icp_score"] is None and data["icp_scored_at"] is None
    assert data["last_activity_at"] is None and data["next_task_due_at"] is None
    assert data["relationships"] == {"company": None, "owner": None}
    assert body["included"] == []
    assert data["created_at"].endswith("Z")


def test_create_full_contact_round_trips(api, org, company, member):
    response = api.post("/contacts", {**FULL, "company_id": coid(company), "owner_id": uid(member)})
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    for key, value in FULL.items():
        assert data[key] == value, key
    assert data["name"] == "Grace Hopper"
    assert data["company_id"] == coid(company) and data["owner_id"] == uid(member)
    assert data["relationships"]["company"] == {"type": "company", "id": coid(company), "name": "Acme"}
    assert data["relationships"]["owner"]["name"] == "Sam Seller"
    assert api.get(f"/contacts/{data['id']}").json()["data"] == data
    stored = Contact.objects.get(pk=ids.decode("cont", data["id"]))
    assert stored.email == "Grace.Hopper@Navy.example"  # stored as given


def test_icp_scored_at_defaults_to_now_when_the_score_changes(api):
    before = timezone.now()
    data = api.post("/contacts", {"email": "a@example.com", "icp_score": 40}).json()["data"]
    scored = datetime.datetime.fromisoformat(data["icp_scored_at"])
    assert scored >= before.replace(microsecond=0)
    same = api.patch(f"/contacts/{data['id']}", {"icp_score": 40}).json()["data"]
    assert same["icp_scored_at"] == data["icp_scored_at"]  # unchanged score, unchanged time
    cleared = api.patch(f"/contacts/{data['id']}", {"icp_score": None}).json()["data"]
    assert cleared["icp_score"] is None and cleared["icp_scored_at"] is None
    explicit = api.patch(
        f"/contacts/{data['id']}", {"icp_score": 10, "icp_scored_at": "2026-01-02T03:04:05+02:00"}
    ).json()["data"]
    assert explicit["icp_scored_at"] == "2026-01-02T01:04:05Z"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", None),
        ("email", ""),
        ("email", "not-an-email"),
        ("email", "a@b"),
        ("email", ["ada@example.com"]),
        ("email", "x" * 250 + "@example.com"),
        ("first_name", "x" * 151),
        ("first_name", ["Ada"]),
        ("first_name", True),
        ("last_name", "x" * 151),
        ("last_name", {"a": 1}),
        ("phone", "1" * 51),
        ("title", "x" * 201),
        ("linkedin_url", "not a url"),
        ("linkedin_url", "linkedin.com/in/ada"),
        ("linkedin_url", "https://" + "x" * 500 + ".com"),
        ("stage", "vip"),
        ("stage", None),
        ("source", "tv"),
        ("source_detail", "x" * 256),
        ("icp_score", 101),
        ("icp_score", -1),
        ("icp_score", "high"),
        ("icp_score", 1.5),
        ("icp_score", [50]),
        ("icp_score_reason", {"why": "x"}),
        ("icp_scored_at", "yesterday"),
        ("icp_scored_at", 12),
        ("metadata", "string"),
        ("metadata", [1, 2]),
        ("metadata", {"big": "x" * 17000}),
        ("metadata", {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}),
        ("company_id", "comp_bad"),
        ("company_id", "cont_01JQ3Z6W5C8V2N4R7T9X0Y1B2D"),
        ("company_id", 12),
        ("owner_id", "user_x"),
    ],
)
def test_create_validates_every_field(api, field, value):
    body = {"email": "valid@example.com", field: value}
    response = api.post("/contacts", body)
    assert response.status_code == 400, (field, value, response.content)
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {field}, error
    assert not Contact.objects.exists()


def test_email_is_required(api):
    error = error_of(api.post("/contacts", {"first_name": "Ada"}))
    assert error["code"] == "validation_error" and "email" in error["fields"]


def test_unknown_fields_are_refused(api):
    response = api.post("/contacts", {"email": "a@example.com", "company": "Acme", "nmae": "x"})
    error = error_of(response)
    assert response.status_code == 400 and error["code"] == "unknown_field"
    assert set(error["fields"]) == {"company", "nmae"}


def test_read_only_fields_in_a_body_are_ignored(api):
    data = api.post(
        "/contacts",
        {
            "email": "a@example.com",
            "id": "cont_01JQ3Z6W5C8V2N4R7T9X0Y1B2D",
            "name": "Someone Else",
            "last_activity_at": "2026-01-01T00:00:00Z",
            "next_task_due_at": "2026-01-01T00:00:00Z",
            "created_at": "2020-01-01T00:00:00Z",
        },
    ).json()["data"]
    assert data["id"] != "cont_01JQ3Z6W5C8V2N4R7T9X0Y1B2D"
    assert data["name"] == "a@example.com"
    assert data["last_activity_at"] is None and data["next_task_due_at"] is None
    assert not data["created_at"].startswith("2020")


def test_other_organizations_references_are_invalid(api, other_org, stranger):
    foreign_company = CompanyFactory(org=other_org)
    for field, value in [("company_id", coid(foreign_company)), ("owner_id", uid(stranger))]:
        response = api.post("/contacts", {"email": "a@example.com", field: value})
        error = error_of(response)
        assert response.status_code == 400 and error["code"] == "invalid_reference", field
        assert set(error["fields"]) == {field}
    # exactly as for an id that does not exist
    response = api.post(
        "/contacts", {"email": "a@example.com", "company_id": "comp_01JQ3Z6W5C8V2N4R7T9X0Y1B2D"}
    )
    assert error_of(response)["code"] == "invalid_reference"


# -- uniqueness --------------------------------------------------------------------------------


def test_duplicate_email_is_a_conflict_naming_the_existing_contact(api, contact):
    for email in ["ada@acme.com", "ADA@Acme.COM", "  Ada@acme.com "]:
        response = api.post("/contacts", {"email": email, "first_name": "Other"})
        assert response.status_code == 409, email
        error = error_of(response)
        assert error["code"] == "conflict"
        assert set(error["fields"]) == {"email"}
        assert error["existing_id"] == cid(contact)
    assert Contact.objects.count() == 1


def test_same_email_in_two_organizations_is_fine(api, other_api, contact):
    assert other_api.post("/contacts", {"email": "ada@acme.com"}).status_code == 201
    assert [row["id"] for row in api.get_all("/contacts")] == [cid(contact)]


def test_patch_to_a_taken_email_is_a_conflict(api, org, contact):
    other = ContactFactory(org=org, email="bob@acme.com")
    response = api.patch(f"/contacts/{cid(other)}", {"email": "ADA@acme.com", "first_name": "Bobby"})
    assert response.status_code == 409
    error = error_of(response)
    assert error["fields"].keys() == {"email"} and error["existing_id"] == cid(contact)
    other.refresh_from_db()
    assert other.email == "bob@acme.com" and other.first_name != "Bobby"  # nothing changed


def test_patch_own_email_to_other_case_is_fine(api, contact):
    response = api.patch(f"/contacts/{cid(contact)}", {"email": "Ada@ACME.com"})
    assert response.status_code == 200
    assert response.json()["data"]["email"] == "Ada@ACME.com"


# -- read, update, delete ----------------------------------------------------------------------


def test_patch_changes_only_the_fields_sent(api, org, company):
    contact = ContactFactory(
        org=org, email="ada@acme.com", first_name="Ada", last_name="Lovelace", phone="123", company=company
    )
    before = api.get(f"/contacts/{cid(contact)}").json()["data"]
    response = api.patch(f"/contacts/{cid(contact)}", {"title": "Countess", "metadata": {"x": 1}})
    assert response.status_code == 200
    after = response.json()["data"]
    changed = {key for key in after if after[key] != before[key]}
    assert changed == {"title", "metadata", "updated_at"}
    assert after == api.get(f"/contacts/{cid(contact)}").json()["data"]


def test_patch_with_nothing_new_writes_nothing(api, contact):
    before = api.get(f"/contacts/{cid(contact)}").json()["data"]
    after = api.patch(f"/contacts/{cid(contact)}", {"first_name": "Ada"}).json()["data"]
    assert after["updated_at"] == before["updated_at"]


def test_patch_null_clears_text_and_references(api, org, company, member):
    contact = ContactFactory(org=org, phone="123", title="CTO", company=company, owner=member, source="paid")
    data = api.patch(
        f"/contacts/{cid(contact)}",
        {"phone": None, "title": "", "company_id": None, "owner_id": None, "source": None},
    ).json()["data"]
    assert data["phone"] == "" and data["title"] == ""
    assert data["company_id"] is None and data["owner_id"] is None and data["source"] is None


def test_patch_validates(api, contact):
    response = api.patch(f"/contacts/{cid(contact)}", {"email": None})
    assert error_of(response)["code"] == "validation_error"
    response = api.patch(f"/contacts/{cid(contact)}", {"stage": "winner"})
    assert set(error_of(response)["fields"]) == {"stage"}
    response = api.patch(f"/contacts/{cid(contact)}", {"colour": "red"})
    assert error_of(response)["code"] == "unknown_field"


def test_get_patch_delete_unknown_other_org_or_malformed_ids_are_404(api, other_org):
    foreign = ContactFactory(org=other_org)
    for path in [
        f"/contacts/{cid(foreign)}",
        "/contacts/cont_01JQ3Z6W5C8V2N4R7T9X0Y1B2D",
        "/contacts/comp_01JQ3Z6W5C8V2N4R7T9X0Y1B2D",
        "/contacts/garbage",
    ]:
        for response in [api.get(path), api.patch(path, {"first_name": "x"}), api.delete(path)]:
            assert response.status_code == 404, path
            error = error_of(response)
            assert error["code"] == "not_found" and error["message"] == "Contact not found."
    foreign.refresh_from_db()
    assert foreign.first_name != "x"


def test_delete_then_gone(api, contact):
    response = api.delete(f"/contacts/{cid(contact)}")
    assert response.status_code == 204 and response.content == b""
    assert api.get(f"/contacts/{cid(contact)}").status_code == 404
    assert api.delete(f"/contacts/{cid(contact)}").status_code == 404


def test_deleting_a_contact_keeps_its_activities_deals_and_tasks(api, org, contact):
    activity = ActivityFactory(org=org, contact=contact)
    deal = DealFactory(org=org, contact=contact)
    task = TaskFactory(org=org, contact=contact)
    assert api.delete(f"/contacts/{cid(contact)}").status_code == 204
    for obj in (activity, deal, task):
        obj.refresh_from_db()
        assert obj.contact_id is None


def test_put_is_not_allowed(api, contact):
    response = api.put(f"/contacts/{cid(contact)}", {"email": "x@example.com"})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_trailing_slash_works(api, contact):
    assert api.get("/contacts/").status_code == 200
    assert api.get(f"/contacts/{cid(contact)}/").status_code == 200


def test_include_on_list_and_detail(api, org, company, member):
    ContactFactory(org=org, company=company, owner=member)
    ContactFactory(org=org)
    rows = api.get_all("/contacts", include="company,owner", sort="created_at")
    assert rows[0]["relationships"]["company"] == {"type": "company", "id": coid(company), "name": "Acme"}
    assert rows[0]["relationships"]["owner"]["id"] == uid(member)
    assert rows[1]["relationships"] == {"company": None, "owner": None}
    assert "relationships" not in api.get_all("/contacts")[0]
    detail = api.get(f"/contacts/{rows[0]['id']}", include="company").json()
    assert detail["included"][0]["type"] == "company" and detail["included"][0]["domain"] == "acme.com"
    assert error_of(api.get("/contacts", include="deals"))["code"] == "validation_error"


def test_sparse_fields(api, contact):
    rows = api.get_all("/contacts", fields="email,name")
    assert rows == [{"id": cid(contact), "email": "ada@acme.com", "name": "Ada Lovelace"}]
    assert error_of(api.get("/contacts", fields="email,nope"))["code"] == "validation_error"


# -- scopes ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        ("read", {"list", "get"}),
        ("read-write", {"list", "get", "create", "patch", "delete", "upsert", "merge"}),
        ("capture-only", set()),
    ],
)
def test_scopes(org, make_api, scope, allowed):
    client = make_api(org, scope=scope)
    a, b = ContactFactory(org=org), ContactFactory(org=org)
    calls = {
        "list": lambda: client.get("/contacts"),
        "get": lambda: client.get(f"/contacts/{cid(a)}"),
        "create": lambda: client.post("/contacts", {"email": "new@example.com"}),
        "patch": lambda: client.patch(f"/contacts/{cid(a)}", {"title": "x"}),
        "upsert": lambda: client.post("/contacts/upsert", {"email": "up@example.com"}),
        "merge": lambda: client.post("/contacts/merge", {"primary_id": cid(a), "duplicate_ids": [cid(b)]}),
        "delete": lambda: client.delete(f"/contacts/{cid(a)}"),
    }
    for name, call in calls.items():
        response = call()
        if name in allowed:
            assert response.status_code in (200, 201, 204), (name, response.content)
        else:
            assert response.status_code == 403, name
            assert error_of(response)["code"] == "forbidden"
