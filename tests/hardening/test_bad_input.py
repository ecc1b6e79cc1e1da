"""The bad-input corpus, generated over every route the API has (tests/helpers/routes.py): each
hostile request gets a clear 4xx with the error envelope (never a 500, never HTML), and the
stored data is the same afterwards."""

import json

import pytest
from django.conf import settings
from django.test import Client

from tests.conftest import error_of
from tests.hardening.conftest import fill_existing, snapshot
from tests.helpers.routes import LISTS, ROUTES, SUBLISTS

# Actions that take no body and ignore one (POST /webhooks/:id/ping sends a ping).
BODYLESS = {"ping"}
WRITES = [
    (path, cls, method)
    for path, cls, actions in ROUTES
    for method in ("post", "patch", "put")
    if method in actions and actions[method] not in BODYLESS
]
WRITE_IDS = [f"{method.upper()} {path}" for path, _, method in WRITES]

DEEP = {}
_level = DEEP
for _ in range(300):
    _level["x"] = {}
    _level = _level["x"]

# Bodies no endpoint may take: (description, raw bytes).
BAD_BODIES = [
    ("malformed JSON", b'{"name": '),
    ("a JSON array", b"[]"),
    ("a JSON scalar", b"5"),
    ("an unknown field", b'{"no_such_field": 1}'),
    ("a NUL in a string", json.dumps({"name": "a\u0000b", "email": "a\u0000@x.com"}).encode()),
    ("a NUL in a metadata key", json.dumps({"metadata": {"k\u0000": 1}}).encode()),
    ("a NUL deep in metadata", json.dumps({"metadata": {"a": [{"b": "\u0000"}]}}).encode()),
    ("invalid UTF-8", b'{"name": "\xff\xfe"}'),
    ("a lone surrogate", b'{"name": "\\ud800"}'),
    ("metadata 300 levels deep", json.dumps({"metadata": DEEP}).encode()),
    ("huge metadata", json.dumps({"metadata": {f"k{i}": "v" * 100 for i in range(400)}}).encode()),
    ("an out-of-range date", b'{"occurred_at": "10000-01-01T00:00:00Z", "due_at": "0000-01-01"}'),
    ("an offset out of range", b'{"occurred_at": "2026-01-01T00:00:00+24:00"}'),
    ("ids of the wrong prefix", b'{"contact_id": "comp_01JQ3Z6W5C8V2N4R7T9X0Y1B2D"}'),
    ("malformed ids", b'{"company_id": "comp_ZZZ", "stage_ids": ["x"], "primary_id": 5}'),
]


def assert_refused(response, *statuses):
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    return error_of(response)  # JSON, the envelope, no traceback


@pytest.mark.parametrize(("path", "cls", "method"), WRITES, ids=WRITE_IDS)
def test_bad_bodies_are_4xx_and_change_nothing(api, rows, path, cls, method):
    url = "/api" + fill_existing(path, cls, rows)
    before = snapshot()
    for description, raw in BAD_BODIES:
        response = getattr(api.client, method)(
            url, raw, content_type="application/json", headers=api._headers(None)
        )
        assert 400 <= response.status_code < 500, (description, response.status_code, response.content[:300])
        error_of(response)
    # A body that is not JSON (415), and one above the endpoint's limit (413).
    response = getattr(api.client, method)(
        url, b"name=x", content_type="text/plain", headers=api._headers(None)
    )
    assert_refused(response, 415)
    limit = getattr(cls, "max_body_bytes", None) or settings.REX_API["MAX_BODY_BYTES"]
    oversize = json.dumps({"name": "x" * (limit + 1)}).encode()
    response = getattr(api.client, method)(
        url, oversize, content_type="application/json", headers=api._headers(None)
    )
    assert_refused(response, 413)
    assert snapshot() == before, description


@pytest.mark.parametrize(("path", "cls", "method"), WRITES, ids=WRITE_IDS)
def test_every_field_with_a_wrong_type_or_null_is_never_a_500(api, rows, path, cls, method):
    """Each writable field of the resource in turn: a wrong JSON type is a 400 naming it; null,
    "" and a 100,000-character string are a 2xx (where the API takes them) or a 4xx, never a 500."""
    url = "/api" + fill_existing(path, cls, rows)
    fields = [name for name, field in cls.serializer_class().fields.items() if not field.read_only]
    for name in fields:
        for value in ([[{}]], {"x": [1]}, True):
            response = getattr(api.client, method)(
                url, json.dumps({name: value}), content_type="application/json", headers=api._headers(None)
            )
            assert 400 <= response.status_code < 500 or response.status_code < 300, (name, value)
            if response.status_code >= 400:
                error_of(response)
        for value in (None, "", "x" * 100_000, -(2**63), 2**63):
            response = getattr(api.client, method)(
                url, json.dumps({name: value}), content_type="application/json", headers=api._headers(None)
            )
            assert response.status_code < 500, (name, value, response.content[:300])


LIST_PATHS = LISTS + SUBLISTS


@pytest.mark.parametrize(("path", "cls"), LIST_PATHS, ids=[p for p, _ in LIST_PATHS])
def test_bad_list_parameters_are_400(api, rows, path, cls):
    url = fill_existing(path, cls, rows)
    before = snapshot()
    bad = [
        {"limit": "0"},
        {"limit": "-1"},
        {"limit": "10000"},
        {"limit": "abc"},
        {"cursor": "tampered"},
        {"cursor": "eyJ4IjoxfQ:1abcde:forged"},
        {"no_such_filter": "1"},
        {"limit": "5\x00"},
        {"updated_after": "not a date"},
        {"updated_after": "2026-13-45"},
        {"fields": "no_such_field"},
        {"fields": "id,,"},
        {"sort": "no_such_sort"},
    ]
    for params in bad:
        if "updated_after" in params and "updated_after" not in getattr(
            cls.filterset_class, "base_filters", {}
        ):
            continue
        response = api.get(url, **params)
        assert_refused(response, 400)
    assert snapshot() == before


@pytest.mark.parametrize(("path", "cls"), LIST_PATHS, ids=[p for p, _ in LIST_PATHS])
def test_extreme_but_valid_time_bounds_are_answered(api, rows, path, cls):
    """ISO 8601 allows offsets PostgreSQL refuses; with UTC they overflow year 1 or 9999."""
    url = fill_existing(path, cls, rows)
    if "updated_after" not in getattr(cls.filterset_class, "base_filters", {}):
        pytest.skip("no time bounds on this list")
    for value in (
        "7392-07-21T21:23:02-19:43",
        "1448-10-04T12:04:53+21:01",
        "0001-01-01T00:00:00+23:59",
        "9999-12-31T23:59:59-23:59",
        "",
    ):
        assert api.get(url, updated_after=value).status_code == 200, value
        assert api.get(url, updated_before=value).status_code == 200, value


def test_nul_and_invalid_utf8_in_query_strings_and_headers(api):
    response = api.get("/contacts", search="a\x00b")
    assert_refused(response, 400)
    response = api.client.generic(
        "GET", "/api/contacts", QUERY_STRING="search=%ff%fe%00", HTTP_X_API_KEY=api.raw_key
    )
    assert_refused(response, 400)
    response = api.client.generic(
        "GET", "/api/contacts", QUERY_STRING="search=%ff%fe", HTTP_X_API_KEY=api.raw_key
    )
    assert response.status_code == 200
    for key in ("rex_live_\x00", "\xff\xfe", "x" * 10_000):
        response = Client().get("/api/contacts", HTTP_X_API_KEY=key)
        assert_refused(response, 401)


@pytest.mark.parametrize("body", [None, b"{}", b"not json"])
@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete"])
def test_unknown_api_paths_are_json_404s(api, method, body):
    for path in ("/api/no_such_thing", "/api/contacts/cont_x/nope", "/api"):
        if body is not None and method == "get":
            continue
        kwargs = {} if body is None else {"data": body, "content_type": "application/json"}
        response = getattr(Client(), method)(path, **kwargs)  # no key, no CSRF token
        assert_refused(response, 404)
        response = getattr(api.client, method)(path, headers=api._headers(None), **kwargs)
        assert_refused(response, 404)


@pytest.mark.parametrize(("path", "cls", "actions"), ROUTES, ids=[p for p, _, _ in ROUTES])
def test_unknown_methods_are_json_405s(api, rows, path, cls, actions):
    url = "/api" + fill_existing(path, cls, rows)
    before = snapshot()
    for method in ("PROPFIND", "TRACE", "PUT", "DELETE", "POST", "PATCH"):
        if method.lower() in actions:
            continue
        response = api.client.generic(
            method, url, b'{"a": 1}', content_type="application/json", HTTP_X_API_KEY=api.raw_key
        )
        assert_refused(response, 405)
    assert snapshot() == before
