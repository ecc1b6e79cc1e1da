"""/users and /apikeys: tenancy, scopes, key lifecycle."""

import hashlib

import pytest
from django.db import connection

from rexcrm.accounts.models import ApiKey
from rexcrm.core import ids
from tests.conftest import error_of
from tests.factories import UserFactory


def test_users_list_shows_only_own_organization(org, other_org, api):
    mine = UserFactory.create_batch(3, org=org)
    UserFactory.create_batch(2, org=other_org)
    rows = api.get_all("/users")
    assert {r["id"] for r in rows} == {ids.encode("user", u.pk) for u in mine}
    assert set(rows[0]) == {"id", "name", "email", "is_active", "created_at", "updated_at"}


def test_user_detail_and_cross_org_404(org, other_org, api):
    user = UserFactory(org=org, first_name="Ada", last_name="Lovelace", email="ada@example.com")
    stranger = UserFactory(org=other_org)
    data = api.get(f"/users/{ids.encode('user', user.pk)}").json()["data"]
    assert data["name"] == "Ada Lovelace" and data["email"] == "ada@example.com" and data["is_active"] is True
    response = api.get(f"/users/{ids.encode('user', stranger.pk)}")
    assert response.status_code == 404 and error_of(response)["message"] == "User not found."


def test_user_name_falls_back_to_email_and_filters(org, api):
    UserFactory(org=org, first_name="", last_name="", email="nobody@example.com", is_active=False)
    UserFactory(org=org, first_name="Grace", last_name="Hopper", email="grace@example.com")
    inactive = api.get_all("/users", is_active="false")
    assert [u["name"] for u in inactive] == ["nobody@example.com"]
    assert [u["email"] for u in api.get_all("/users", search="hopp")] == ["grace@example.com"]
    assert error_of(api.get("/users", is_active="maybe"))["code"] == "validation_error"


def test_create_key_returns_raw_key_once_and_stores_only_its_hash(api):
    response = api.post("/apikeys", {"name": "Zapier", "scope": "read"})
    assert response.status_code == 201
    data = response.json()["data"]
    raw = data["key"]
    assert raw.startswith("rex_live_") and len(raw) - len("rex_live_") >= 32
    assert data["last4"] == raw[-4:] and data["scope"] == "read" and data["name"] == "Zapier"
    stored = ApiKey.objects.get(pk=ids.decode("key", data["id"]))
    assert stored.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM accounts_apikey")
        assert not any(raw in str(value) for row in cursor.fetchall() for value in row)
    listed = api.get_all("/apikeys")
    assert all("key" not in row for row in listed)
    assert data["id"] in {row["id"] for row in listed}


def test_new_key_works_with_its_scope(api):
    raw = api.post("/apikeys", {"scope": "read"}).json()["data"]["key"]
    from tests.conftest import Api

    reader = Api(raw)
    assert reader.get("/users").status_code == 200
    assert reader.post("/apikeys", {"scope": "read"}).status_code == 403


def test_test_keys_and_environment_default(org, make_api):
    test_api = make_api(org, environment="test")
    created = test_api.post("/apikeys", {"scope": "read"}).json()["data"]
    assert created["key"].startswith("rex_test_") and created["environment"] == "test"
    live = test_api.post("/apikeys", {"scope": "read", "environment": "live"}).json()["data"]
    assert live["key"].startswith("rex_live_")


def test_revoke_key(api, org, make_api):
    victim = make_api(org)
    victim_id = ids.encode("key", victim.key.pk)
    assert victim.get("/users").status_code == 200
    assert api.delete(f"/apikeys/{victim_id}").status_code == 204
    assert victim.get("/users").status_code == 401
    row = next(r for r in api.get_all("/apikeys") if r["id"] == victim_id)
    assert row["revoked_at"] is not None
    assert [r["id"] for r in api.get_all("/apikeys", revoked="true")] == [victim_id]
    assert api.delete(f"/apikeys/{victim_id}").status_code == 204  # idempotent


def test_a_key_can_revoke_itself(api):
    assert api.delete(f"/apikeys/{ids.encode('key', api.key.pk)}").status_code == 204
    assert api.get("/users").status_code == 401


def test_other_organizations_keys_are_invisible(api, other_api):
    other_id = ids.encode("key", other_api.key.pk)
    assert other_id not in {r["id"] for r in api.get_all("/apikeys")}
    assert api.delete(f"/apikeys/{other_id}").status_code == 404
    assert other_api.get("/users").status_code == 200  # untouched


@pytest.mark.parametrize(
    ("scope", "method", "path", "allowed"),
    [
        ("read", "get", "/users", True),
        ("read", "get", "/apikeys", False),
        ("read", "post", "/apikeys", False),
        ("read", "delete", "/apikeys/{key}", False),
        ("read-write", "get", "/users", True),
        ("read-write", "get", "/apikeys", True),
        ("read-write", "post", "/apikeys", True),
        ("read-write", "delete", "/apikeys/{key}", True),
        ("capture-only", "get", "/users", False),
        ("capture-only", "get", "/apikeys", False),
        ("capture-only", "post", "/apikeys", False),
        ("capture-only", "delete", "/apikeys/{key}", False),
    ],
)
def test_scopes(org, make_api, scope, method, path, allowed):
    client = make_api(org, scope=scope)
    target = make_api(org)
    path = path.format(key=ids.encode("key", target.key.pk))
    response = client.post(path, {"scope": "read"}) if method == "post" else getattr(client, method)(path)
    if allowed:
        assert response.status_code in (200, 201, 204)
    else:
        assert response.status_code == 403
        assert error_of(response)["code"] == "forbidden"
