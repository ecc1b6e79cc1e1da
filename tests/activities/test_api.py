"""POST/GET/PATCH/DELETE /activities: fields, validation, relationships, tenancy, scopes."""

import datetime

import pytest

from activities.models import Activity
from rexcrm.core import ids
from tests.conftest import error_of
from tests.factories import ActivityFactory


def tid(obj) -> str:
    return obj.typeid


def test_the_seed_create_example_returns_201_and_the_same_fields(api, world):
    body = {
        "type": "call",
        "status": "completed",
        "subject": "Discovery call with Ada",
        "contact_id": tid(world["contact"]),
        "deal_id": tid(world["deal"]),
        "occurred_at": "2026-03-16T14:00:00Z",
        "duration": 1800,
        "direction": "outbound",
    }
    response = api.post("/activities", body)
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert {key: data[key] for key in body} == body
    assert data["id"].startswith("act_")
    assert Activity.objects.get(pk=ids.decode("act", data["id"])).org_id == world["contact"].org_id


def test_defaults(api):
    before = datetime.datetime.now(datetime.UTC)
    data = api.post("/activities", {"type": "note"}).json()["data"]
    occurred = datetime.datetime.fromisoformat(data["occurred_at"])
    assert before - datetime.timedelta(seconds=1) <= occurred <= datetime.datetime.now(datetime.UTC)
    assert data["status"] == "completed"
    assert data["source"] == "api"
    assert data["metadata"] == {}
    assert data["direction"] is None and data["external_id"] is None and data["duration"] is None
    assert data["contact_id"] is None and data["subject"] == "" and data["body"] == ""
    assert set(data) >= {
        "id",
        "type",
        "subtype",
        "status",
        "subject",
        "body",
        "contact_id",
        "company_id",
        "deal_id",
        "owner_id",
        "occurred_at",
        "duration",
        "direction",
        "source",
        "external_id",
        "metadata",
        "generated_by",
        "confidence_score",
        "model",
        "created_at",
        "updated_at",
    }


def test_every_writable_field_round_trips(api, world):
    body = {
        "type": "email",
        "subtype": "reply",
        "status": "draft",
        "subject": "Re: pricing",
        "body": "Hi Ada,\n\nThanks",
        "contact_id": tid(world["contact"]),
        "company_id": tid(world["company"]),
        "deal_id": tid(world["deal"]),
        "owner_id": tid(world["owner"]),
        "occurred_at": "2026-03-16T14:00:00.123456Z",
        "duration": 0,
        "direction": "inbound",
        "source": "gmail",
        "external_id": "<msg-1@mail.gmail.com>",
        "metadata": {"thread": "t-1", "labels": ["a", "b"]},
        "generated_by": "agent:sdr-1",
        "confidence_score": 0.87,
        "model": "gpt-x",
    }
    data = api.post("/activities", body).json()["data"]
    assert {key: data[key] for key in body} == body
    assert api.get(f"/activities/{data['id']}").json()["data"] | {} == {
        **data,
        "relationships": api.get(f"/activities/{data['id']}").json()["data"]["relationships"],
    }


def test_datetimes_with_offsets_and_naive_are_stored_as_utc(api):
    with_offset = api.post("/activities", {"type": "note", "occurred_at": "2026-03-16T16:00:00+02:00"}).json()
    assert with_offset["data"]["occurred_at"] == "2026-03-16T14:00:00Z"
    naive = api.post("/activities", {"type": "note", "occurred_at": "2026-03-16T14:00:00"}).json()
    assert naive["data"]["occurred_at"] == "2026-03-16T14:00:00Z"


INVALID = [
    ({}, "type", "validation_error"),
    ({"type": "calls"}, "type", "validation_error"),
    ({"type": 5}, "type", "validation_error"),
    ({"subtype": "x" * 101}, "subtype", "validation_error"),
    ({"status": "done"}, "status", "validation_error"),
    ({"subject": "x" * 501}, "subject", "validation_error"),
    ({"subject": "two\nlines"}, "subject", "validation_error"),
    ({"subject": 42}, "subject", "validation_error"),
    ({"body": "x" * 1_000_001}, "body", "validation_error"),
    ({"contact_id": "cont_bad"}, "contact_id", "validation_error"),
    ({"contact_id": "deal_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "contact_id", "validation_error"),
    ({"contact_id": 12}, "contact_id", "validation_error"),
    ({"contact_id": "cont_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "contact_id", "invalid_reference"),
    ({"company_id": "comp_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "company_id", "invalid_reference"),
    ({"deal_id": "deal_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "deal_id", "invalid_reference"),
    ({"owner_id": "user_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "owner_id", "invalid_reference"),
    ({"occurred_at": "yesterday"}, "occurred_at", "validation_error"),
    ({"occurred_at": 1773669600}, "occurred_at", "validation_error"),
    ({"duration": -1}, "duration", "validation_error"),
    ({"duration": "60"}, "duration", "validation_error"),
    ({"duration": 1.5}, "duration", "validation_error"),
    ({"duration": True}, "duration", "validation_error"),
    ({"duration": 2**31}, "duration", "validation_error"),
    ({"direction": "sideways"}, "direction", "validation_error"),
    ({"source": "x" * 101}, "source", "validation_error"),
    ({"source": ""}, "source", "validation_error"),
    ({"external_id": "x" * 256}, "external_id", "validation_error"),
    ({"metadata": ["not", "an", "object"]}, "metadata", "validation_error"),
    ({"metadata": {"blob": "x" * 17_000}}, "metadata", "validation_error"),
    ({"metadata": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}}, "metadata", "validation_error"),
    ({"generated_by": "x" * 256}, "generated_by", "validation_error"),
    ({"confidence_score": 1.5}, "confidence_score", "validation_error"),
    ({"confidence_score": -0.1}, "confidence_score", "validation_error"),
    ({"confidence_score": "0.5"}, "confidence_score", "validation_error"),
    ({"model": "x" * 256}, "model", "validation_error"),
    ({"colour": "blue"}, "colour", "unknown_field"),
]


@pytest.mark.parametrize(("fields", "bad", "code"), INVALID)
def test_invalid_input_is_a_400_naming_the_field_and_stores_nothing(api, fields, bad, code):
    body = {"type": "note", **fields} if "type" not in fields and fields else fields
    response = api.post("/activities", body)
    assert response.status_code == 400, response.content
    error = error_of(response)
    assert error["code"] == code
    assert bad in error["fields"]
    assert not Activity.objects.exists()


@pytest.mark.parametrize("kind", ["contact", "company", "deal", "owner"])
def test_another_organizations_reference_is_invalid_reference_like_a_missing_one(api, foreign, kind):
    error = error_of(api.post("/activities", {"type": "note", f"{kind}_id": tid(foreign[kind])}))
    assert error["code"] == "invalid_reference"
    assert error["fields"] == {f"{kind}_id": [error["fields"][f"{kind}_id"][0]]}
    assert not Activity.objects.exists()


def test_a_one_megabyte_body_is_accepted(api):
    response = api.post("/activities", {"type": "email", "body": "é" * 1_000_000})
    assert response.status_code == 201
    assert len(Activity.objects.get().body) == 1_000_000


def test_get_one_names_every_link_and_includes_the_contact(api, world):
    activity = ActivityFactory(
        org=world["contact"].org,
        contact=world["contact"],
        deal=world["deal"],
        company=world["company"],
        owner=world["owner"],
        type="call",
    )
    body = api.get(f"/activities/{tid(activity)}").json()
    rel = body["data"]["relationships"]
    assert rel == {
        "contact": {"type": "contact", "id": tid(world["contact"]), "name": "Ada Lovelace"},
        "company": {"type": "company", "id": tid(world["company"]), "name": "Acme Corp"},
        "deal": {"type": "deal", "id": tid(world["deal"]), "name": "Acme Enterprise Plan"},
        "owner": {"type": "user", "id": tid(world["owner"]), "name": "Sam Seller"},
    }
    assert len(body["included"]) == 1
    included = body["included"][0]
    assert included["type"] == "contact" and included["id"] == tid(world["contact"])
    assert included["email"] == "ada@example.com" and included["name"] == "Ada Lovelace"
    chosen = api.get(f"/activities/{tid(activity)}", include="deal,owner").json()["included"]
    assert [(i["type"], i["id"]) for i in chosen] == [
        ("deal", tid(world["deal"])),
        ("user", tid(world["owner"])),
    ]
    # An empty query value is the parameter not given: the default, the linked contact.
    assert api.get(f"/activities/{tid(activity)}", include="").json()["included"] == body["included"]
    assert (
        error_of(api.get(f"/activities/{tid(activity)}", include="contact,wallet"))["code"]
        == "validation_error"
    )


def test_get_one_without_links(api, org):
    activity = ActivityFactory(org=org)
    body = api.get(f"/activities/{tid(activity)}").json()
    assert body["data"]["relationships"] == {"contact": None, "company": None, "deal": None, "owner": None}
    assert body["included"] == []


def test_patch_changes_only_the_fields_sent(api, world):
    created = api.post(
        "/activities",
        {
            "type": "call",
            "subject": "First",
            "occurred_at": "2026-03-16T14:00:00Z",
            "metadata": {"a": 1},
            "contact_id": tid(world["contact"]),
            "duration": 60,
        },
    ).json()["data"]
    response = api.patch(f"/activities/{created['id']}", {"body": "Notes from the call"})
    assert response.status_code == 200
    updated = response.json()["data"]
    assert updated["body"] == "Notes from the call"
    unchanged = {k: v for k, v in created.items() if k not in ("body", "updated_at")}
    assert {k: updated[k] for k in unchanged} == unchanged
    assert updated["updated_at"] >= created["updated_at"]
    assert "relationships" in updated  # the same shape as GET


def test_patch_can_clear_links_and_validates(api, world):
    created = api.post("/activities", {"type": "call", "contact_id": tid(world["contact"])}).json()["data"]
    assert (
        api.patch(f"/activities/{created['id']}", {"contact_id": None}).json()["data"]["contact_id"] is None
    )
    for bad in [
        {"type": "calls"},
        {"duration": -5},
        {"wat": 1},
        {"deal_id": "deal_01ARZ3NDEKTSV4RRFFQ69G5FAV"},
    ]:
        assert api.patch(f"/activities/{created['id']}", bad).status_code == 400
    assert api.get(f"/activities/{created['id']}").json()["data"]["type"] == "call"
    assert api.patch(f"/activities/{created['id']}", raw="{oops").status_code == 400


def test_patch_into_another_activitys_dedup_key_is_a_409(api):
    first = api.post("/activities", {"type": "email", "source": "gmail", "external_id": "m1"}).json()["data"]
    second = api.post("/activities", {"type": "email", "source": "gmail", "external_id": "m2"}).json()["data"]
    response = api.patch(f"/activities/{second['id']}", {"external_id": "m1"})
    assert response.status_code == 409
    error = error_of(response)
    assert (
        error["code"] == "conflict"
        and error["existing_id"] == first["id"]
        and "external_id" in error["fields"]
    )
    assert api.get(f"/activities/{second['id']}").json()["data"]["external_id"] == "m2"


def test_delete_then_404(api, org):
    activity = ActivityFactory(org=org)
    assert api.delete(f"/activities/{tid(activity)}").status_code == 204
    response = api.get(f"/activities/{tid(activity)}")
    assert response.status_code == 404
    assert error_of(response)["message"] == "Activity not found."
    assert api.delete(f"/activities/{tid(activity)}").status_code == 404


def test_put_is_not_allowed(api, org):
    activity = ActivityFactory(org=org)
    assert api.put(f"/activities/{tid(activity)}", {"type": "note"}).status_code == 405


def test_other_organizations_activities_are_404_everywhere(api, other_org):
    theirs = ActivityFactory(org=other_org, subject="secret")
    path = f"/activities/{tid(theirs)}"
    assert api.get(path).status_code == 404
    assert api.patch(path, {"subject": "mine now"}).status_code == 404
    assert api.delete(path).status_code == 404
    assert api.get_all("/activities") == []
    theirs.refresh_from_db()
    assert theirs.subject == "secret"


@pytest.mark.parametrize(
    ("scope", "allowed"),
    [
        ("read", {"list", "get"}),
        ("read-write", {"list", "get", "post", "patch", "delete", "batch"}),
        ("capture-only", set()),
    ],
)
def test_scopes(org, make_api, scope, allowed):
    client = make_api(org, scope=scope)
    activity = ActivityFactory(org=org)
    path = f"/activities/{tid(activity)}"
    calls = {
        "list": lambda: client.get("/activities"),
        "get": lambda: client.get(path),
        "post": lambda: client.post("/activities", {"type": "note"}),
        "patch": lambda: client.patch(path, {"subject": "x"}),
        "batch": lambda: client.post("/activities/batch", {"activities": [{"type": "note"}]}),
        "delete": lambda: client.delete(path),
    }
    for name, call in calls.items():
        response = call()
        if name in allowed:
            assert response.status_code < 300, (name, response.content)
        else:
            assert response.status_code == 403, name
            assert error_of(response)["code"] == "forbidden"


def test_malformed_ids_in_the_path_are_404(api):
    for path in ["/activities/act_bad", "/activities/cont_01ARZ3NDEKTSV4RRFFQ69G5FAV", "/activities/x"]:
        assert api.get(path).status_code == 404
