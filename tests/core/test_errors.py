"""Every error code of API.md §4, each produced by a real request, in the one error shape."""

import pytest
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.test import Client, override_settings

from rexcrm.accounts.api.views import UserViewSet
from rexcrm.accounts.services import apikey_revoke
from rexcrm.core import ids
from rexcrm.core.api.errors import Conflict, exception_handler
from rexcrm.core.middleware import ApiErrorMiddleware
from tests.conftest import error_of


def test_validation_error_names_fields(api):
    response = api.post("/apikeys", {"name": "x", "scope": "admin"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert error["fields"] == {"scope": ['"admin" is not a valid choice.']}
    assert error["message"].startswith("scope: ")


def test_missing_required_field_and_wrong_type(api):
    error = error_of(api.post("/apikeys", {"name": ["not", "a", "string"]}))
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {"name", "scope"}


@pytest.mark.parametrize("raw", ["{", "not json", '{"a": 1,}', "[1, 2]", '"text"', "\xff"])
def test_invalid_json(api, raw):
    response = api.post("/apikeys", raw=raw.encode("latin-1"))
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


def test_unknown_body_field_is_refused_and_nothing_is_stored(api):
    before = api.get("/apikeys").json()["data"]
    response = api.post("/apikeys", {"name": "x", "scope": "read", "colour": "blue"})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "unknown_field"
    assert error["fields"] == {"colour": ["Unknown field."]}
    assert api.get("/apikeys").json()["data"] == before


def test_read_only_fields_in_body_are_ignored(api):
    response = api.post("/apikeys", {"name": "x", "scope": "read", "id": "key_x", "last4": "abcd"})
    assert response.status_code == 201
    assert response.json()["data"]["last4"] != "abcd"


def test_unknown_query_parameter_is_refused(api):
    error = error_of(api.get("/users", colour="blue"))
    assert error["code"] == "unknown_field"
    assert error["fields"] == {"colour": ["Unknown query parameter."]}


def test_invalid_cursor(api):
    error = error_of(api.get("/users", cursor="garbage"))
    assert error["code"] == "invalid_cursor"


@pytest.mark.parametrize("header", [None, "rex_live_unknownunknownunknownunknownunknown", "x" * 5000])
def test_unauthorized(api, header):
    response = Client().get("/api/users", headers={"X-Api-Key": header} if header else {})
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_revoked_key_fails_on_next_request(api):
    assert api.get("/users").status_code == 200
    apikey_revoke(org=api.key.org, actor=None, key=api.key)
    response = api.get("/users")
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"


def test_forbidden(org, make_api):
    response = make_api(org, scope="read").post("/apikeys", {"scope": "read"})
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"


def test_not_found_for_missing_malformed_and_unknown_urls(api):
    missing = ids.encode("user", ids.uuid7())
    for path in [
        f"/users/{missing}",
        "/users/user_bad",
        "/users/key_01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "/nothing/here",
    ]:
        response = api.get(path)
        assert response.status_code == 404, path
        assert error_of(response)["code"] == "not_found"
    assert error_of(api.get(f"/users/{missing}"))["message"] == "User not found."


def test_unknown_url_without_key_is_a_json_404_too():
    response = Client().get("/api/does-not-exist")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_method_not_allowed(api):
    response = api.put("/users", {})
    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_payload_too_large(api):
    body = '{"name": "' + "x" * (1024 * 1024) + '", "scope": "read"}'
    response = api.post("/apikeys", raw=body)
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"


@override_settings(REX_API={**settings.REX_API, "MAX_BODY_BYTES": 64})
def test_payload_limit_is_configurable(api):
    assert api.post("/apikeys", {"name": "x" * 100, "scope": "read"}).status_code == 413
    assert api.post("/apikeys", {"name": "x", "scope": "read"}).status_code == 201


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", ""])
def test_unsupported_media_type(api, content_type):
    response = api.post("/apikeys", raw="name=x&scope=read", content_type=content_type)
    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_internal_error_is_json_without_traceback(api, monkeypatch):
    def boom(self, request, *args, **kwargs):
        raise RuntimeError("SELECT secret FROM somewhere")

    monkeypatch.setattr(UserViewSet, "list", boom)
    response = api.get("/users")
    assert response.status_code == 500
    error = error_of(response)
    assert error == {
        "code": "internal_error",
        "message": "Internal server error.",
        "request_id": error["request_id"],
    }
    assert b"SELECT" not in response.content


@pytest.mark.parametrize(
    "exc",
    [
        OperationalError('connection to server at "127.0.0.1", port 5432 failed: SELECT 1'),
        InterfaceError("connection already closed"),
    ],
)
@pytest.mark.parametrize("where", ["view", "authentication"])
def test_database_unavailable_is_a_503_envelope(api, monkeypatch, exc, where):
    """PostgreSQL restarting or a dropped connection: 503 with Retry-After, nothing of the
    driver's message in the body (bench/drills.py restarts a real PostgreSQL under load)."""

    def down(*args, **kwargs):
        raise exc

    if where == "view":
        monkeypatch.setattr(UserViewSet, "list", down)
    else:
        monkeypatch.setattr("rexcrm.accounts.selectors._shared_apikey", down)
        monkeypatch.setattr("rexcrm.accounts.selectors._local", {})
    response = api.get("/users")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    error = error_of(response)
    assert error["code"] == "service_unavailable"
    assert b"SELECT" not in response.content and b"5432" not in response.content


def test_database_unavailable_outside_views_under_api_is_a_503_envelope(rf):
    middleware = ApiErrorMiddleware(lambda request: None)
    request = rf.get("/api/x")
    request.request_id = "req_test"
    response = middleware.process_exception(request, OperationalError("server closed the connection"))
    assert response.status_code == 503 and response["Retry-After"] == "5"
    assert b'"service_unavailable"' in response.content and b"server closed" not in response.content


def test_exception_outside_views_under_api_is_json(rf):
    middleware = ApiErrorMiddleware(lambda request: None)
    request = rf.get("/api/x")
    request.request_id = "req_test"
    response = middleware.process_exception(request, RuntimeError("boom"))
    assert response.status_code == 500
    assert b'"internal_error"' in response.content and b"boom" not in response.content
    assert (
        middleware.process_exception(rf.get("/admin/"), RuntimeError("boom")) is None
    )  # HTML pages: Django's


def test_conflict_shape_has_fields_and_existing_id(rf):
    request = rf.post("/api/x")
    request.request_id = "req_1"
    exc = Conflict("email: already used", fields={"email": ["Already used."]}, existing_id="cont_X")
    response = exception_handler(exc, {"request": request})
    assert response.status_code == 409
    assert response.data == {
        "error": {
            "code": "conflict",
            "message": "email: already used",
            "fields": {"email": ["Already used."]},
            "existing_id": "cont_X",
            "request_id": "req_1",
        }
    }


def test_request_id_is_echoed_or_generated(api):
    assert api.get("/users", headers={"X-Request-Id": "abc-123"})["X-Request-Id"] == "abc-123"
    generated = api.get("/users", headers={"X-Request-Id": "bad id with spaces"})["X-Request-Id"]
    assert generated.startswith("req_")
    assert Client().get("/")["X-Request-Id"].startswith("req_")


@pytest.mark.django_db
def test_a_constraint_broken_by_a_concurrent_delete_is_a_conflict_not_a_500(rf):
    """A PATCH linking an object that another request deletes before the commit: PostgreSQL's
    deferred foreign key check fails at commit (found by the fuzzer's stateful phase)."""
    from django.db import IntegrityError

    request = rf.patch("/api/tasks/x")
    request.request_id = "req_1"
    response = exception_handler(IntegrityError("violates foreign key constraint"), {"request": request})
    assert response.status_code == 409
    assert response.data["error"]["code"] == "conflict"
    assert "foreign key" not in response.data["error"]["message"]  # no SQL in the body
