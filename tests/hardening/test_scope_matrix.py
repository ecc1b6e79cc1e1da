"""The scope matrix (issue 14): every API operation, generated from the URL configuration,
called with each kind of credential — a ``read``, ``read-write`` and ``capture-only`` key, a
revoked key, the key of a member since deactivated, no key and a malformed key — answers what
the declared table below says (API.md §3; ``rexcrm.accounts.api.auth.ScopePermission``): the
operation's success status, 403 ``forbidden`` or 401 ``unauthorized``, and a refused call
changes nothing. A deactivated member's existing session is signed out of the UI and the admin.
"""

import pytest
from django.db import transaction
from django.test import Client

from rexcrm.accounts.services import apikey_create, apikey_revoke
from tests.conftest import Api, error_of
from tests.hardening.test_tenancy_matrix import (
    API_CALLS,
    API_WRITES,
    PATH_OBJECTS,
    api_request,
    call_id,
    resolve,
    value_of,
)
from tests.hardening.world import rows_of

# -- the declared contract -----------------------------------------------------------------------

SCOPES = ("read", "read-write", "capture-only")
# Who may call what. By default (API.md §3): read -> GET only; read-write -> everything;
# capture-only -> nothing. These routes say otherwise, for every method they have:
ONLY = {
    "apikey-list": {"read-write"},  # key management needs read-write, even to list (§6.9)
    "apikey-detail": {"read-write"},
    "capture": {"read-write", "capture-only"},  # lead capture (§6.10)
}
# The success status of each operation, where it is not the method's usual one (GET 200,
# POST 201, PATCH 200, PUT 200, DELETE 204).
SUCCESS = {
    ("post", "contact-upsert"): 200,  # the contact with that email exists: updated
    ("post", "company-upsert"): 200,
    ("post", "contact-merge"): 200,
    ("post", "activity-batch"): 200,  # per-item statuses inside
    ("post", "deal-stage"): 200,
    ("post", "webhook-ping"): 202,
    ("post", "webhook-replay"): 202,
}
USUAL = {"get": 200, "post": 201, "patch": 200, "put": 200, "delete": 204}
# Path ids of a successful call where A's usual object cannot be the one (a stage with deals
# and the default pipeline cannot be removed): parameter -> kind.
SUCCESS_PATHS = {
    ("delete", "pipeline-remove-stage"): {"stage_id": "stages.2"},
    ("delete", "pipeline-detail"): {"id": "spare_pipeline"},
}


def allowed(scope: str, route, method: str) -> bool:
    if route.name in ONLY:
        return scope in ONLY[route.name]
    return scope == "read-write" or (scope == "read" and method == "get")


# -- the matrix ----------------------------------------------------------------------------------


@pytest.fixture
def credentials(worlds, make_api):
    """Every kind of credential of organization A, as an ``Api`` client (or None: no key)."""
    a = worlds[0]
    keys = {scope: make_api(a.org, scope=scope) for scope in SCOPES}
    revoked, raw = apikey_create(org=a.org, actor=None, name="revoked", scope="read-write")
    apikey_revoke(org=a.org, actor=None, key=revoked)
    return {
        **keys,
        "revoked": Api(raw),
        "deactivated member's": Api(a.gone_raw_key),  # read-write, made by a member since deactivated
        "malformed": Api("rex_live_not-a-key"),
        "no": Api(None),
    }


def path_ids(a, route, method, success=False):
    kinds = dict(PATH_OBJECTS[route.name])
    if success:
        kinds |= SUCCESS_PATHS.get((method, route.name), {})
    return {name: value_of(a, kind) for name, kind in kinds.items()}


@pytest.mark.parametrize("call", API_CALLS, ids=call_id)
def test_every_operation_answers_each_credential_as_declared(worlds, credentials, call):
    route, method = call
    a = worlds[0]
    body = resolve(API_WRITES.get((method, route.name), ({}, []))[0], a)
    before = rows_of(a.org)
    for name in ("no", "malformed", "revoked", "deactivated member's"):
        response = api_request(credentials[name], route, method, path_ids(a, route, method), body)
        assert response.status_code == 401, (name, response.status_code, response.content[:200])
        assert error_of(response)["code"] == "unauthorized"
    for scope in SCOPES:
        if allowed(scope, route, method):
            continue
        response = api_request(credentials[scope], route, method, path_ids(a, route, method), body)
        assert response.status_code == 403, (scope, response.status_code, response.content[:200])
        assert error_of(response)["code"] == "forbidden"
    assert rows_of(a.org) == before, "a refused call changed A's rows"
    expected = SUCCESS.get((method, route.name), USUAL[method])
    for scope in SCOPES:
        if not allowed(scope, route, method):
            continue
        with transaction.atomic():  # each allowed call from A's rows as they were
            ids = path_ids(a, route, method, success=True)
            response = api_request(credentials[scope], route, method, ids, body)
            assert response.status_code == expected, (scope, response.status_code, response.content[:300])
            transaction.set_rollback(True)


def test_every_scope_may_do_something_and_the_table_names_real_routes():
    names = {route.name for route, _ in API_CALLS}
    assert set(ONLY) <= names
    assert {name for _, name in SUCCESS} <= names and {name for _, name in SUCCESS_PATHS} <= names
    for scope in SCOPES:
        assert any(allowed(scope, route, method) for route, method in API_CALLS), scope


# -- a deactivated member's session and keys -------------------------------------------------


def test_a_deactivated_members_session_and_keys_stop_at_their_next_request(worlds, make_api, db):
    """Rita signs in to the UI and the admin and makes a key; her administrator deactivates her;
    her very next page, admin page and API call are refused (sent to sign in again / 401)."""
    from rexcrm.accounts.services import member_set_admin
    from tests.hardening.routes import ROUTES

    a = worlds[0]
    rep = a["rep"]
    member_set_admin(org=a.org, actor=a["owner"], member=rep, admin=True)  # so the admin opens too
    session = Client()
    session.force_login(rep)
    _, raw = apikey_create(org=a.org, actor=rep, name="Rita's", scope="read-write")
    key = Api(raw)
    assert session.get("/").status_code == 200
    assert session.get("/admin/contacts/contact/").status_code == 200
    assert key.get("/contacts").status_code == 200

    boss = Client()
    boss.force_login(a["owner"])
    response = boss.post(f"/settings/team/{rep.typeid}/deactivate/")
    assert response.status_code == 302

    pages = [
        route.path(**{n: value_of(a, k) for n, k in PATH_OBJECTS[route.name].items() if k != "suggest"})
        for route in ROUTES
        if route.door == "ui"
        and route.name in PATH_OBJECTS
        and "get" in route.actions
        and "suggest" not in PATH_OBJECTS[route.name].values()
    ]
    assert len(pages) > 30
    for page in pages:
        response = session.get(page)
        assert response.status_code == 302 and response["Location"].startswith("/login/"), (
            page,
            response.status_code,
        )
    for page in ("/admin/", "/admin/contacts/contact/", f"/admin/contacts/contact/{a.pk('contact')}/change/"):
        response = session.get(page)
        assert response.status_code == 302, page
        assert response["Location"].startswith(("/admin/login/", "/login/")), response["Location"]
    response = session.post(f"/contacts/{a.typeid('contact')}/edit/", {"first_name": "Hijack"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    response = key.get("/contacts")
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"
    a["contact"].refresh_from_db()
    assert a["contact"].first_name != "Hijack"

    # Reactivated: signing in again works, and so does the key (it was not revoked).
    boss.post(f"/settings/team/{rep.typeid}/reactivate/")
    assert key.get("/contacts").status_code == 200
