"""The tenancy matrix (issue 14), generated from the URL configuration: every API endpoint, UI
page and admin page, called by organization A (its API key, its signed-in administrator, its
organization staff in the admin) with organization B's ids — in the path, in body references,
in filters and in ``include=`` — is refused (404, or 400 with the error envelope, or an empty
list), shows nothing of B (no name, email, domain or id of B in any response) and changes
nothing of B's (B's rows are compared before and after every call).

The tables below say, for every route, which kind of object each path parameter names; the
matrix takes that kind from B (``tests/hardening/world.py`` builds A and B with an object of
every kind). A route that is in no table fails ``test_every_route_is_in_the_matrix``: add it.
"""

import json

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client, RequestFactory

from deals.api.fields import RefListField
from rexcrm.core import ids as ids_module
from rexcrm.core.api.fields import RefField
from rexcrm.core.api.views import ResourceViewSet
from rexcrm.core.filters import TypeIdInFilter
from tests.conftest import error_of
from tests.hardening.routes import ROUTES
from tests.hardening.world import leaks, rows_of

# -- the tables ------------------------------------------------------------------------------

# Path parameters of every API and UI route: route name -> {parameter: kind of object}. A route
# without parameters is listed with {} (its body references and filters are still checked).
PATH_OBJECTS = {
    # API: accounts
    "user-list": {},
    "user-detail": {"id": "user"},
    "apikey-list": {},
    "apikey-detail": {"id": "apikey"},
    # API: contacts and companies
    "contact-list": {},
    "contact-merge": {},
    "contact-upsert": {},
    "contact-detail": {"id": "contact"},
    "company-list": {},
    "company-upsert": {},
    "company-detail": {"id": "company"},
    "company-contact-list": {"company_id": "company"},
    # API: activities and tasks
    "capture": {},
    "activity-batch": {},
    "activity-list": {},
    "activity-detail": {"id": "activity"},
    "contact-activity-list": {"contact_id": "contact"},
    "company-activity-list": {"company_id": "company"},
    "deal-activity-list": {"deal_id": "deal"},
    "task-list": {},
    "task-detail": {"id": "task"},
    "contact-task-list": {"contact_id": "contact"},
    "company-task-list": {"company_id": "company"},
    "deal-task-list": {"deal_id": "deal"},
    # API: pipelines, deals, products
    "pipeline-deals": {"id": "pipeline"},
    "deal-history": {"id": "deal"},
    "contact-deals": {"id": "contact"},
    "company-deals": {"id": "company"},
    "pipeline-list": {},
    "pipeline-detail": {"id": "pipeline"},
    "pipeline-remove-stage": {"id": "pipeline", "stage_id": "stage"},
    "pipeline-stages": {"id": "pipeline"},
    "deal-list": {},
    "deal-detail": {"id": "deal"},
    "deal-stage": {"id": "deal"},
    "product-list": {},
    "product-detail": {"id": "product"},
    # API: events and webhooks
    "event-list": {},
    "webhook-list": {},
    "webhook-detail": {"id": "webhook"},
    "webhook-ping": {"id": "webhook"},
    "webhook-replay": {"id": "webhook"},
    "webhook-delivery-list": {"webhook_id": "webhook"},
    # UI: settings
    "accounts:settings": {},
    "accounts:profile": {},
    "accounts:password": {},
    "accounts:team": {},
    "accounts:member_deactivate": {"id": "user"},
    "accounts:member_reactivate": {"id": "gone"},
    "accounts:member_make_admin": {"id": "rep"},
    "accounts:member_remove_admin": {"id": "user"},
    "accounts:member_signin_link": {"id": "rep"},
    "accounts:api_keys": {},
    "accounts:api_key_revoke": {"id": "apikey"},
    "events:webhooks": {},
    "events:webhook": {"id": "webhook"},
    "events:webhook_status": {"id": "webhook"},
    "deals:settings_pipelines": {},
    "deals:settings_pipeline": {"pipe_id": "pipeline"},
    "deals:settings_stage_add": {"pipe_id": "pipeline"},
    "deals:settings_stage_order": {"pipe_id": "pipeline"},
    "deals:settings_stage": {"pipe_id": "pipeline", "stage_id": "stage"},
    "deals:settings_stage_move": {"pipe_id": "pipeline", "stage_id": "stage"},
    "deals:settings_stage_delete": {"pipe_id": "pipeline", "stage_id": "stage"},
    # UI: lists, forms, record pages
    "contacts:contact_list": {},
    "contacts:contact_new": {},
    "contacts:contact_edit": {"id": "contact"},
    "contacts:company_list": {},
    "contacts:company_new": {},
    "contacts:company_edit": {"id": "company"},
    "contacts:contact_export": {},
    "contacts:company_export": {},
    "deals:deal_list": {},
    "deals:deal_new": {},
    "deals:deal_edit": {"id": "deal"},
    "deals:deal_move_stage": {"id": "deal"},
    "deals:deal_export": {},
    "deals:pipeline_board": {},
    "deals:pipeline_detail": {"pipe_id": "pipeline"},
    "deals:pipeline_cards": {"pipe_id": "pipeline", "stage_id": "stage"},
    "activities:activity_list": {},
    "activities:activity_new": {},
    "activities:activity_edit": {"id": "activity"},
    "activities:task_list": {},
    "activities:task_new": {},
    "activities:task_edit": {"id": "task"},
    "activities:task_complete": {"id": "task"},
    "activities:activity_export": {},
    "activities:task_export": {},
    "imports:new": {},
    "imports:detail": {"id": "import"},
    "imports:errors": {"id": "import"},
    "workspace:today": {},
    "workspace:search": {},
    "workspace:suggest": {"kind": "suggest"},  # not an id: contacts, companies, deals
    "workspace:contact_detail": {"id": "contact"},
    "workspace:contact_timeline": {"id": "contact"},
    "workspace:company_detail": {"id": "company"},
    "workspace:company_timeline": {"id": "company"},
    "workspace:deal_detail": {"id": "deal"},
    "workspace:deal_timeline": {"id": "deal"},
}

# Routes that name no organization's data, so have no row in the matrix: why, for each.
OUTSIDE = {
    "openapi-yaml": "the API's public contract",
    "openapi-json": "the API's public contract",
    "api-docs": "the API's public contract",
    "api/^.*$": "JSON 404 for unknown API paths",
    "^api$": "JSON 404 for unknown API paths",
    "workspace:login": "signs in; no data before it",
    "workspace:logout": "signs out",
    "accounts:signin_link": "a one-time link: its token, not a session, says whose it is",
    "healthz": "liveness probe",
    "favicon.ico": "a static file",
    "admin:index": "lists the models the administrator may manage (checked below for B's data)",
    "admin:login": "signs in",
    "admin:logout": "signs out",
    "admin:password_change": "the signed-in administrator's own password",
    "admin:password_change_done": "the signed-in administrator's own password",
    "admin:jsi18n": "static translations",
    "admin:app_list": "lists models, like the index",
    "admin/(?P<url>.*)$": "the admin's catch-all 404",
    "admin:autocomplete": "checked by test_admin_autocomplete_lists_only_our_rows",
    "admin:view_on_site": "checked by test_admin_view_on_site_is_404_for_their_objects",
}

# The admin: each registered model's kind of object in the world. auth.Group is no tenant data:
# organization staff may not open it at all.
ADMIN_KINDS = {
    "accounts.user": "user",
    "accounts.apikey": "apikey",
    "accounts.organization": "organization",
    "contacts.company": "company",
    "contacts.contact": "contact",
    "deals.pipeline": "pipeline",
    "deals.stage": "stage",
    "deals.deal": "deal",
    "deals.dealstagechange": "dealstagechange",
    "deals.product": "product",
    "activities.activity": "activity",
    "activities.task": "task",
    "events.event": "event",
    "events.webhook": "webhook",
    "events.delivery": "delivery",
}
NOT_TENANT_ADMINS = {"auth.group"}
ADMIN_PAGES = ("changelist", "add", "history", "delete", "change", "password")


def admin_model_of(route):
    """``(model label, page)`` of an admin page of a registered model, else None."""
    for model in admin.site._registry:
        opts = model._meta
        prefix = f"admin:{opts.app_label}_{opts.model_name}_"
        if route.name.startswith(prefix) and route.name.removeprefix(prefix) in ADMIN_PAGES:
            return opts.label_lower, route.name.removeprefix(prefix)
        if route.name == "admin:auth_user_password_change" and opts.label_lower == "accounts.user":
            return opts.label_lower, "password"
        if route.name == f"admin/{opts.app_label}/{opts.model_name}/<path:object_id>/":
            return opts.label_lower, "redirect"
    return None


def test_every_route_is_in_the_matrix():
    missing, wrong = [], []
    for route in ROUTES:
        if route.name in OUTSIDE:
            continue
        if route.door == "admin":
            found = admin_model_of(route)
            if found is None or (found[0] not in ADMIN_KINDS and found[0] not in NOT_TENANT_ADMINS):
                missing.append(f"{route.name} ({route.template})")
            continue
        if route.name not in PATH_OBJECTS:
            missing.append(f"{route.name} ({route.template})")
        elif set(PATH_OBJECTS[route.name]) != set(route.params):
            wrong.append(f"{route.name}: parameters {route.params}, table {PATH_OBJECTS[route.name]}")
    names = {route.name for route in ROUTES}
    stale = sorted((set(PATH_OBJECTS) | set(OUTSIDE)) - names)
    assert not missing, (
        "Routes the tenancy matrix does not cover: add each to PATH_OBJECTS (its path parameters' "
        "kinds of object), ADMIN_KINDS (an admin's model) or OUTSIDE (with why):\n  " + "\n  ".join(missing)
    )
    assert not wrong, "\n".join(wrong)
    assert not stale, f"Table entries of routes that no longer exist: {stale}"


# -- how to call: the API ----------------------------------------------------------------------

API = [route for route in ROUTES if route.door == "api" and route.name in PATH_OBJECTS]
API_CALLS = [(route, method) for route in API for method in route.actions]


def call_id(value):
    if isinstance(value, tuple):
        route, method = value
        return f"{method.upper()} {route.name}"
    return None


# A valid body of every API write, with A's objects as "{kind}" (a list of every stage of the
# pipeline as "{stages}"), and the body references among its fields (dotted into lists).
API_WRITES = {
    ("post", "apikey-list"): ({"name": "k", "scope": "read"}, []),
    ("post", "contact-list"): (
        {"email": "new@acmeonly.example", "company_id": "{company}", "owner_id": "{user}"},
        ["company_id", "owner_id"],
    ),
    ("patch", "contact-detail"): (
        {"title": "CTO", "company_id": "{company}", "owner_id": "{user}"},
        ["company_id", "owner_id"],
    ),
    ("post", "contact-upsert"): (
        {"email": "contact@acmeonly.example", "company_id": "{company}", "owner_id": "{user}"},
        ["company_id", "owner_id"],
    ),
    ("post", "contact-merge"): (
        {"primary_id": "{contact}", "duplicate_ids": ["{duplicate}"]},
        ["primary_id", "duplicate_ids.0"],
    ),
    ("post", "company-list"): ({"name": "N", "domain": "n.example", "owner_id": "{user}"}, ["owner_id"]),
    ("patch", "company-detail"): ({"industry": "x", "owner_id": "{user}"}, ["owner_id"]),
    ("post", "company-upsert"): ({"domain": "acmeonly.example", "owner_id": "{user}"}, ["owner_id"]),
    ("post", "capture"): ({"email": "lead@acmeonly.example", "first_name": "L"}, []),
    ("post", "activity-list"): (
        {
            "type": "note",
            "subject": "s",
            "contact_id": "{contact}",
            "company_id": "{company}",
            "deal_id": "{deal}",
            "owner_id": "{user}",
        },
        ["contact_id", "company_id", "deal_id", "owner_id"],
    ),
    ("patch", "activity-detail"): (
        {"contact_id": "{contact}", "company_id": "{company}", "deal_id": "{deal}", "owner_id": "{user}"},
        ["contact_id", "company_id", "deal_id", "owner_id"],
    ),
    ("post", "activity-batch"): (
        {
            "activities": [
                {
                    "type": "note",
                    "subject": "s",
                    "contact_id": "{contact}",
                    "company_id": "{company}",
                    "deal_id": "{deal}",
                    "owner_id": "{user}",
                }
            ]
        },
        [
            "activities.0.contact_id",
            "activities.0.company_id",
            "activities.0.deal_id",
            "activities.0.owner_id",
        ],
    ),
    ("post", "task-list"): (
        {
            "title": "t",
            "contact_id": "{contact}",
            "company_id": "{company}",
            "deal_id": "{deal}",
            "owner_id": "{user}",
        },
        ["contact_id", "company_id", "deal_id", "owner_id"],
    ),
    ("patch", "task-detail"): (
        {"contact_id": "{contact}", "company_id": "{company}", "deal_id": "{deal}", "owner_id": "{user}"},
        ["contact_id", "company_id", "deal_id", "owner_id"],
    ),
    ("post", "pipeline-list"): ({"name": "P"}, []),
    ("patch", "pipeline-detail"): ({"name": "P2"}, []),
    ("post", "pipeline-stages"): ({"name": "S"}, []),
    ("put", "pipeline-stages"): ({"stage_ids": "{stages}"}, ["stage_ids"]),
    ("post", "deal-list"): (
        {
            "name": "D",
            "pipeline_id": "{pipeline}",
            "stage_id": "{stage}",
            "contact_id": "{contact}",
            "company_id": "{company}",
            "owner_id": "{user}",
            "product_ids": ["{product}"],
        },
        ["pipeline_id", "stage_id", "contact_id", "company_id", "owner_id", "product_ids.0"],
    ),
    ("patch", "deal-detail"): (
        {
            "pipeline_id": "{pipeline}",
            "stage_id": "{stage}",
            "contact_id": "{contact}",
            "company_id": "{company}",
            "owner_id": "{user}",
            "product_ids": ["{product}"],
        },
        ["pipeline_id", "stage_id", "contact_id", "company_id", "owner_id", "product_ids.0"],
    ),
    ("post", "deal-stage"): ({"stage_id": "{stage}"}, ["stage_id"]),
    ("post", "product-list"): ({"name": "P", "slug": "p-new"}, []),
    ("patch", "product-detail"): ({"name": "P2"}, []),
    ("post", "webhook-list"): ({"name": "W", "url": "https://hooks.example.com/x"}, []),
    ("patch", "webhook-detail"): ({"name": "W2"}, []),
    ("post", "webhook-ping"): ({}, []),
    ("post", "webhook-replay"): ({"since": "2026-01-01T00:00:00Z"}, []),
}
# Query-string references of a write: DELETE /pipelines/:id/stages/:stage_id?move_to=stg_…
API_QUERY_REFS = {("delete", "pipeline-remove-stage"): {"move_to": "stages.2"}}


def value_of(world, kind: str):
    """A's or B's id of ``kind`` ("{stages}": every stage of the default pipeline; "stages.2":
    the third one)."""
    if kind == "stages":
        return [stage.typeid for stage in world["stages"]]
    if "." in kind:
        kind, index = kind.split(".")
        return world[kind][int(index)].typeid
    return world.typeid(kind)


def resolve(template, world, other=None, ref: str = "", path: str = ""):
    """``template`` with "{kind}" set from ``world``, but the reference at ``ref`` (a dotted
    path) set from ``other``."""
    if isinstance(template, dict):
        return {k: resolve(v, world, other, ref, f"{path}.{k}".lstrip(".")) for k, v in template.items()}
    if isinstance(template, list):
        return [resolve(v, world, other, ref, f"{path}.{i}") for i, v in enumerate(template)]
    if isinstance(template, str) and template.startswith("{") and template.endswith("}"):
        source = other if ref and path == ref else world
        return value_of(source, template[1:-1])
    return template


def api_request(api, route, method, path_ids: dict, body=None, query=""):
    url = route.path(**path_ids) + (f"?{query}" if query else "")
    kwargs = {"headers": api._headers(None)}
    if method in ("post", "patch", "put"):
        kwargs |= {"data": json.dumps(body or {}), "content_type": "application/json"}
    return getattr(api.client, method)(url, **kwargs)


def path_variants(route, a, b):
    """The route's path ids: B's for one parameter and A's for the others, then B's for all."""
    kinds = PATH_OBJECTS.get(route.name) or {}
    variants = []
    for name in kinds:
        variants.append({n: (b if n == name else a).typeid(kind) for n, kind in kinds.items()})
    if len(kinds) > 1:
        variants.append({n: b.typeid(kind) for n, kind in kinds.items()})
    return variants


@pytest.fixture
def a_api(worlds, make_api):
    return make_api(worlds[0].org)


def body_of(response) -> bytes:
    if response.streaming:
        if not hasattr(response, "read_body"):
            response.read_body = b"".join(response.streaming_content)
        return response.read_body
    return response.content


def assert_nothing_of(b, before, response, sent=()):
    """``response`` shows nothing of B's (but what was ``sent``), and B's rows are unchanged."""
    shown = leaks(b, body_of(response), sent)
    assert not shown, f"B's data in the response: {shown}\n{response.content[:500]!r}"
    assert rows_of(b.org) == before, "B's rows changed"


def strings_in(value) -> list[str]:
    """Every string in a JSON body (what a refusal may name back)."""
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return [value] if isinstance(value, str) else []


def missing_like(ids: dict[str, str], b) -> dict[str, str]:
    """The same ids, B's replaced by fresh (missing) ids of their kind."""
    theirs = b.ids()
    return {
        name: ids_module.encode(value.rpartition("_")[0], ids_module.uuid7()) if value in theirs else value
        for name, value in ids.items()
    }


# -- API: B's ids in the path ------------------------------------------------------------------

PATH_CALLS = [(r, m) for r, m in API_CALLS if PATH_OBJECTS[r.name]]


@pytest.mark.parametrize("call", PATH_CALLS, ids=call_id)
def test_api_path_ids_of_another_organization_are_404(worlds, a_api, call):
    route, method = call
    a, b = worlds
    template, _ = API_WRITES.get((method, route.name), ({}, []))
    before, before_a = rows_of(b.org), rows_of(a.org)
    for ids in path_variants(route, a, b):
        response = api_request(a_api, route, method, ids, resolve(template, a))
        assert response.status_code == 404, (ids, response.status_code, response.content[:300])
        error = error_of(response)
        assert error["code"] == "not_found"
        assert_nothing_of(b, before, response, list(ids.values()))
        # Not even existence leaks: the same words as for an id that exists nowhere.
        missing = api_request(a_api, route, method, missing_like(ids, b), resolve(template, a))
        assert error_of(missing)["message"] == error["message"], (error, missing.content)
    assert rows_of(a.org) == before_a, "a refused call changed A's rows"


# -- API: B's ids in body references -----------------------------------------------------------

WRITE_CALLS = [(r, m) for r, m in API_CALLS if m in ("post", "patch", "put")]


def test_every_api_write_has_its_body_references_declared():
    missing = [f"{m.upper()} {r.name}" for r, m in WRITE_CALLS if (m, r.name) not in API_WRITES]
    assert not missing, f"Add these writes to API_WRITES (a valid body and its references): {missing}"


def references_in(serializer_class) -> set[str]:
    """Names of the writable fields of a serializer that take ids."""
    return {
        name
        for name, field in serializer_class().fields.items()
        if not field.read_only
        and (
            isinstance(field, RefField | RefListField) or isinstance(getattr(field, "child", None), RefField)
        )
    }


def test_the_declared_references_are_every_reference_field_of_the_serializers():
    """A serializer's new ``*_id`` field must be added to API_WRITES, or it goes untested."""
    for route, method in WRITE_CALLS:
        cls = route.view_class
        if not (isinstance(cls, type) and issubclass(cls, ResourceViewSet)):
            continue
        if route.actions[method] not in ("create", "partial_update") or route.name == "activity-batch":
            continue  # (the batch's items are the activity's create: its references are listed)
        _, refs = API_WRITES[(method, route.name)]
        declared = {ref.split(".")[0] for ref in refs}
        assert references_in(cls.serializer_class) <= declared, (route.name, method)


REF_CALLS = [(r, m) for r, m in WRITE_CALLS if API_WRITES.get((m, r.name), (None, []))[1]] + [
    (r, m) for r, m in API_CALLS if (m, r.name) in API_QUERY_REFS
]


@pytest.mark.parametrize("call", REF_CALLS, ids=call_id)
def test_api_body_references_to_another_organization_are_refused(worlds, a_api, call):
    route, method = call
    a, b = worlds
    ids = {name: a.typeid(kind) for name, kind in PATH_OBJECTS[route.name].items()}
    before, before_a = rows_of(b.org), rows_of(a.org)
    template, refs = API_WRITES.get((method, route.name), ({}, []))
    for ref in refs:
        body = resolve(template, a, b, ref)
        response = api_request(a_api, route, method, ids, body)
        sent = strings_in(body)
        if route.name == "activity-batch":  # per-item statuses: the item is refused
            assert response.status_code == 200, (ref, response.content[:300])
            (item,) = response.json()["data"]
            assert item["status"] == 400 and item["error"]["code"] == "invalid_reference", (ref, item)
        else:
            assert response.status_code in (400, 404), (ref, response.status_code, response.content[:300])
            error = error_of(response)
            assert error["code"] in ("invalid_reference", "validation_error", "not_found"), (ref, error)
            assert ref.split(".")[0] in json.dumps(error), (ref, error)  # it names the field
        assert_nothing_of(b, before, response, sent)
        assert rows_of(a.org) == before_a, f"{ref}: a refused write changed A's rows"
    for name, kind in API_QUERY_REFS.get((method, route.name), {}).items():
        theirs = value_of(b, kind)
        response = api_request(a_api, route, method, ids, query=f"{name}={theirs}")
        assert response.status_code == 400, (name, response.status_code, response.content[:300])
        assert name in json.dumps(error_of(response))
        assert_nothing_of(b, before, response, theirs)
        assert rows_of(a.org) == before_a


# -- API: B's ids in filters and include= ------------------------------------------------------


def kind_of_prefix(world, prefix: str):
    for kind, obj in world.objects.items():
        if not isinstance(obj, list) and obj.typeid.split("_")[0] == prefix:
            return kind
    raise LookupError(f"No object with the prefix {prefix}_ in the world: add one to world.build")


# Id parameters of lists that read them without a FilterSet: route name -> {parameter: prefix}.
OWN_ID_FILTERS = {"event-list": {"after": "evt"}}


def id_filters(route) -> dict[str, str]:
    """``{filter name: TypeID prefix}`` of a list's id filters (its FilterSet's, and its own)."""
    filterset_class = route.view_class.filterset_class
    found = dict(OWN_ID_FILTERS.get(route.name, {}))
    if filterset_class is not None:
        found |= {
            name: f.extra["prefix"]
            for name, f in filterset_class.base_filters.items()
            if isinstance(f, TypeIdInFilter)
        }
    return found


API_LISTS = [r for r in API if r.actions.get("get") == "list"]
API_READS = [r for r in API if r.actions.get("get") in ("list", "retrieve")]


@pytest.mark.parametrize("route", API_LISTS, ids=lambda r: r.name)
def test_api_filters_with_another_organizations_ids_find_nothing_of_theirs(worlds, a_api, route):
    a, b = worlds
    ids = {name: a.typeid(kind) for name, kind in PATH_OBJECTS[route.name].items()}
    filters = id_filters(route)
    before = rows_of(b.org)
    for name, prefix in filters.items():
        theirs = value_of(b, kind_of_prefix(b, prefix))
        ours = value_of(a, kind_of_prefix(a, prefix))
        for value in (theirs, f"{ours},{theirs}"):
            response = api_request(a_api, route, "get", ids, query=f"{name}={value}")
            assert response.status_code in (200, 400), (name, response.status_code, response.content[:300])
            if response.status_code == 200 and value == theirs:
                assert response.json()["data"] == [], (name, "B's id matched rows")
            assert_nothing_of(b, before, response, [value, theirs])


@pytest.mark.parametrize("route", [r for r in API_READS if r.view_class.relations], ids=lambda r: r.name)
def test_api_include_embeds_nothing_of_another_organization(worlds, a_api, route):
    """Every relation included, on A's rows; then on an A row that (written past the services,
    as a bug or a bad migration could) links to B's objects: the include shows them as null."""
    a, b = worlds
    cls = route.view_class
    include = ",".join(cls.relations)
    ids = {name: a.typeid(kind) for name, kind in PATH_OBJECTS[route.name].items()}
    before = rows_of(b.org)
    response = api_request(a_api, route, "get", ids, query=f"include={include}")
    assert response.status_code == 200, response.content[:300]
    assert_nothing_of(b, before, response, "")
    # A row of A linked to B's objects.
    model = cls.serializer_class.Meta.model
    kind = kind_of_prefix(a, model.type_prefix)
    row = a[kind]
    links = {
        rel.column: b[kind_of_prefix(b, rel.serializer.Meta.model.type_prefix)].pk
        for rel in cls.relations.values()
    }
    model.objects.filter(pk=row.pk).update(**links)
    response = api_request(a_api, route, "get", ids, query=f"include={include}")
    assert response.status_code == 200, response.content[:300]
    assert b.marker not in response.content.decode(), response.content[:500]  # no name, email…
    body = response.json()
    rows = body["data"] if isinstance(body["data"], list) else [body["data"]]
    for shown in rows:
        if shown["id"] == row.typeid:  # its own columns hold B's ids; the links show nothing
            assert set(shown["relationships"].values()) == {None}, shown["relationships"]
    assert body.get("included", []) == []


# -- the web UI ----------------------------------------------------------------------------------

UI = [route for route in ROUTES if route.door == "ui" and route.name in PATH_OBJECTS]

# Form data of the UI's POSTs, "{kind}" set from A's objects (as the pages post them).
UI_POSTS = {
    "accounts:profile": {"first_name": "New", "last_name": "Name"},
    "events:webhook_status": {"status": "paused"},
    "contacts:contact_edit": {"email": "edited@acmeonly.example", "first_name": "E"},
    "contacts:company_edit": {"name": "Edited"},
    "deals:deal_edit": {"name": "Edited", "currency": "USD"},
    "deals:deal_move_stage": {"stage": "{stage}"},
    "deals:settings_pipeline": {"name": "Renamed"},
    "deals:settings_stage_add": {"name": "New stage"},
    "deals:settings_stage_order": {"stage_ids": "{stages}"},
    "deals:settings_stage_move": {"direction": "up"},
    "deals:settings_stage_delete": {"move_to": ""},
    "activities:activity_edit": {"type": "note", "subject": "Edited"},
    "activities:task_edit": {"title": "Edited"},
    "imports:detail": {"column-0": "email", "action": "start"},
}


def ui_data(route, world):
    return resolve(UI_POSTS.get(route.name, {}), world)


@pytest.fixture
def a_ui(worlds, db):
    client = Client()
    client.force_login(worlds[0]["owner"])  # an administrator: every settings page is open to them
    return client


def ui_variants(route, a, b):
    kinds = {n: k for n, k in PATH_OBJECTS[route.name].items() if k != "suggest"}
    return path_variants(route, a, b) if kinds else []


UI_PATHS = [
    (route, method)
    for route in UI
    for method in route.actions
    if any(kind != "suggest" for kind in PATH_OBJECTS[route.name].values())
]


@pytest.mark.parametrize("call", UI_PATHS, ids=call_id)
def test_ui_path_ids_of_another_organization_are_404(worlds, a_ui, call):
    route, method = call
    a, b = worlds
    before, before_a = rows_of(b.org), rows_of(a.org)

    def request(ids):
        url = route.path(**ids)
        return getattr(a_ui, method)(url, ui_data(route, a)) if method == "post" else a_ui.get(url)

    for ids in ui_variants(route, a, b):
        response, missing = request(ids), request(missing_like(ids, b))
        # Exactly what a missing id gets: a 404, or (where the view refuses the method or
        # redirects before any lookup) the same answer.
        assert response.status_code == missing.status_code, (ids, response.status_code, missing.status_code)
        assert response.status_code in (404, 405, 302), (ids, response.status_code)
        if response.status_code == 302:
            assert response["Location"] == route.path(**ids), response["Location"]
        assert_nothing_of(b, before, response, route.path(**ids))
    assert rows_of(a.org) == before_a, "a refused request changed A's rows"


def ui_form_routes():
    from rexcrm.core.views import RecordFormView

    return [r for r in UI if isinstance(r.view_class, type) and issubclass(r.view_class, RecordFormView)]


def link_value(form_field, obj):
    """How a page posts a link: ``Name (id)`` in a record field, the primary key in a select."""
    from django import forms

    from rexcrm.core.forms import RecordField

    if isinstance(form_field, RecordField):
        return obj.typeid  # (or "Name (id)", as its suggestions fill it in)
    if isinstance(form_field, forms.ModelMultipleChoiceField):
        return [str(obj.pk)]
    return str(obj.pk)


@pytest.mark.parametrize("route", ui_form_routes(), ids=lambda r: r.name)
def test_ui_form_links_to_another_organization_are_refused(worlds, a_ui, route):
    """Each link of a create or edit form (contact, company, deal, owner, stage, products…)
    set to B's object: the form comes back with an error on that field, nothing is saved; and a
    link preset from the query (``?contact_id=``) of B's object shows nothing of it."""
    a, b = worlds
    view = route.view_class()
    view.request = RequestFactory().get("/")
    form_class = view.form_class  # (a property on some views: the form the request asks for)
    edit = "id" in PATH_OBJECTS[route.name]
    ids = {n: a.typeid(k) for n, k in PATH_OBJECTS[route.name].items()}
    url = route.path(**ids)
    base = UI_POSTS.get(route.name) or UI_POSTS[route.name.replace("_new", "_edit")]
    form = form_class(org=a.org, request=None)
    links = [name for name, f in form.fields.items() if hasattr(f, "queryset")]
    assert links or route.name.startswith("contacts:company"), route.name
    before, before_a = rows_of(b.org), rows_of(a.org)
    for name in links:
        model = form.fields[name].queryset.model
        theirs = b[kind_of_prefix(b, model.type_prefix)]
        response = a_ui.post(url, {**base, name: link_value(form.fields[name], theirs)})
        assert response.status_code in (200, 400), (name, response.status_code)
        errors = response.context["form"].errors
        assert name in errors, (name, errors)
        assert_nothing_of(b, before, response, [theirs.typeid, str(theirs.pk)])
        assert rows_of(a.org) == before_a, f"{name}: a refused form changed A's rows"
        if not edit:
            response = a_ui.get(url, {f"{name}_id": theirs.typeid})
            assert response.status_code == 200
            assert_nothing_of(b, before, response, theirs.typeid)


def ui_list_routes():
    from rexcrm.core.views import ListPageView

    # Lists whose POST is the bulk action (the team's adds a member, a form without links).
    return [
        r
        for r in UI
        if isinstance(r.view_class, type)
        and issubclass(r.view_class, ListPageView)
        and r.view_class.post is ListPageView.post
        and r.view_class.bulk_actions is not ListPageView.bulk_actions
    ]


@pytest.mark.parametrize("route", ui_list_routes(), ids=lambda r: r.name)
def test_ui_bulk_actions_on_another_organizations_rows_change_nothing(worlds, a_ui, route):
    a, b = worlds
    ids = {n: a.typeid(k) for n, k in PATH_OBJECTS[route.name].items()}
    url = route.path(**ids)
    kind = kind_of_prefix(a, route.view_class.filterset_class.Meta.model.type_prefix)
    before, before_a = rows_of(b.org), rows_of(a.org)
    for action, selected in (
        ("delete", [b.typeid(kind)]),
        ("delete", [a.typeid(kind), b.typeid(kind)]),
        (f"owner:{b.typeid('user')}", [a.typeid(kind)]),
    ):
        response = a_ui.post(url, {"action": action, "ids": selected})
        assert response.status_code == 302, (action, response.status_code)
        assert rows_of(b.org) == before, (action, "B's rows changed")
        if action == "delete" and len(selected) == 1:
            assert rows_of(a.org) == before_a
    followed = a_ui.get(url)
    assert_nothing_of(b, before, followed, "")


def ui_filtered_routes():
    return [r for r in UI if getattr(r.view_class, "filterset_class", None) is not None]


@pytest.mark.parametrize("route", ui_filtered_routes(), ids=lambda r: r.name)
def test_ui_lists_and_exports_filtered_by_another_organizations_ids_show_nothing_of_theirs(
    worlds, a_ui, route
):
    a, b = worlds
    ids = {n: a.typeid(k) for n, k in PATH_OBJECTS[route.name].items()}
    url = route.path(**ids)
    filters = {
        name: f.extra["prefix"]
        for name, f in route.view_class.filterset_class.base_filters.items()
        if isinstance(f, TypeIdInFilter)
    }
    before = rows_of(b.org)
    response = a_ui.get(url)
    assert response.status_code == 200, response.status_code
    assert_nothing_of(b, before, response, "")
    for name, prefix in filters.items():
        theirs = value_of(b, kind_of_prefix(b, prefix))
        ours = value_of(a, kind_of_prefix(a, prefix))
        for value in (theirs, f"{ours},{theirs}"):
            response = a_ui.get(url, {name: value})
            assert response.status_code in (200, 400), (name, response.status_code)
            assert_nothing_of(b, before, response, [value, theirs])  # the filter form shows it


@pytest.mark.parametrize(
    "path",
    ["/", "/search/?q={marker}", "/suggest/contacts/?q={marker}", "/suggest/companies/?q={marker}",
     "/suggest/deals/?q={marker}", "/pipelines/", "/settings/team/", "/settings/api-keys/",
     "/settings/webhooks/", "/settings/pipelines/", "/imports/new/", "/settings/profile/"],
)  # fmt: skip
def test_ui_pages_without_ids_show_nothing_of_another_organization(worlds, a_ui, path):
    a, b = worlds
    before = rows_of(b.org)
    response = a_ui.get(path.format(marker=b.marker))
    assert response.status_code == 200, response.status_code
    assert_nothing_of(b, before, response, b.marker)
    if "{marker}" in path:  # the same search finds A's own data: it is a real search
        response = a_ui.get(path.format(marker=a.marker))
        assert response.status_code == 200 and a.marker in response.content.decode().lower(), path


def test_ui_stage_order_and_stage_removal_refuse_another_organizations_stages(worlds, a_ui):
    a, b = worlds
    before, before_a = rows_of(b.org), rows_of(a.org)
    pipeline = a.typeid("pipeline")
    theirs = [stage.typeid for stage in b["stages"]]
    mixed = [*(stage.typeid for stage in a["stages"][:-1]), theirs[0]]
    sent = [*theirs, *mixed]  # a refusal's message names them, on this page or the next one
    for order in (theirs, mixed):
        response = a_ui.post(f"/settings/pipelines/{pipeline}/stages/order/", {"stage_ids": order})
        assert response.status_code in (200, 302, 400, 409), response.status_code
        assert_nothing_of(b, before, response, sent)
    stage = a["stages"][2].typeid
    response = a_ui.post(f"/settings/pipelines/{pipeline}/stages/{stage}/delete/", {"move_to": theirs[1]})
    assert response.status_code == 400, response.status_code
    assert "move_to" in response.context["form"].errors
    assert_nothing_of(b, before, response, sent)
    # Moving A's deal to B's stage: back to the deal with "pick one of the pipeline's stages",
    # as for a missing stage.
    deal = a.typeid("deal")
    response = a_ui.post(f"/deals/{deal}/stage/", {"stage": theirs[1]}, follow=True)
    assert response.redirect_chain == [(f"/deals/{deal}/", 302)]
    assert "Not moved" in response.content.decode()
    assert_nothing_of(b, before, response, sent)
    assert rows_of(a.org) == before_a and rows_of(b.org) == before


# -- the admin ---------------------------------------------------------------------------------


@pytest.fixture
def a_admin(worlds, db):
    client = Client()
    client.force_login(worlds[0]["owner"])  # organization staff: manages A's data in the admin
    return client


ADMIN_ROUTES = [r for r in ROUTES if r.door == "admin" and admin_model_of(r)]
ADMIN_OBJECT_PAGES = [r for r in ADMIN_ROUTES if r.params and admin_model_of(r)[0] in ADMIN_KINDS]


def missing_pk(obj) -> str:
    return "987654321" if isinstance(obj.pk, int) else str(ids_module.uuid7())


def is_refused(response) -> bool:
    """404, or the admin's redirect to its index saying the object does not exist."""
    return response.status_code == 404 or (response.status_code == 302 and response["Location"] == "/admin/")


@pytest.mark.parametrize("route", ADMIN_OBJECT_PAGES, ids=lambda r: r.name)
def test_admin_pages_of_another_organizations_objects_are_refused(worlds, a_admin, route):
    a, b = worlds
    label, page = admin_model_of(route)
    kind = ADMIN_KINDS[label]
    (param,) = route.params
    url = route.path(**{param: b.pk(kind)})
    missing = route.path(**{param: missing_pk(b[kind])})
    before, before_a = rows_of(b.org), rows_of(a.org)

    def get(url):
        response = a_admin.get(url)
        if page == "redirect":  # /admin/<app>/<model>/<id>/ redirects to the change page
            response = a_admin.get(response["Location"]) if response.status_code == 302 else response
        return response

    data = {"post": "yes", "name": "x", "password1": "x", "password2": "x"}
    calls = [get] + (
        [lambda url: a_admin.post(url, data)] if page in ("delete", "change", "password") else []
    )
    for call in calls:
        response, expected = call(url), call(missing)
        # A 404 or the "doesn't exist" redirect; a page organization staff may not open at all
        # (deleting a read-only model's rows) is the same 403 for every id.
        assert is_refused(response) or response.status_code == expected.status_code == 403, (
            response.status_code,
            response.get("Location"),
        )
        assert response.status_code == expected.status_code
        assert_nothing_of(b, before, response, url)
    assert rows_of(a.org) == before_a


def test_organization_staff_cannot_open_the_admin_of_what_is_no_tenant_data(a_admin):
    for route in ADMIN_ROUTES:
        if admin_model_of(route)[0] in NOT_TENANT_ADMINS:
            response = a_admin.get(route.path(**dict.fromkeys(route.params, "1")), follow=True)
            assert response.status_code in (403, 404) or response.redirect_chain[-1][0] == "/admin/", (
                route.name
            )


ADMIN_MODELS = [model for model in admin.site._registry if model._meta.label_lower in ADMIN_KINDS]


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda m: m._meta.label_lower)
def test_admin_changelists_searches_and_filters_show_nothing_of_another_organization(worlds, a_admin, model):
    a, b = worlds
    model_admin = admin.site._registry[model]
    opts = model._meta
    url = f"/admin/{opts.app_label}/{opts.model_name}/"
    kind = ADMIN_KINDS[opts.label_lower]
    before = rows_of(b.org)
    queries = [{}, {"q": b.typeid(kind)}, {"q": b.marker}, {"q": b["contact"].typeid}]
    for field in opts.fields:
        if field.is_relation and field.related_model is not None and field.name != "org":
            related = ADMIN_KINDS.get(field.related_model._meta.label_lower)
            if related:
                queries.append({f"{field.name}__id__exact": b.pk(related)})
    for params in queries:
        response = a_admin.get(url, params)
        assert response.status_code in (200, 302), (params, response.status_code)
        assert_nothing_of(b, before, response, list(params.values()))
    # Actions on B's rows: the selection is cut to A's rows, so nothing happens to B's.
    for action in ("delete_selected", "export_csv"):
        response = a_admin.post(url, {"action": action, "_selected_action": [b.pk(kind)], "post": "yes"})
        assert response.status_code in (200, 302), (action, response.status_code)
        assert not leaks(b, body_of(response), b.pk(kind)), (action, response.content[:300])
    assert rows_of(b.org) == before
    # The add page: every link's choices are A's, and B's object is an invalid choice.
    if model_admin.has_add_permission(type("R", (), {"user": a["owner"]})()):
        response = a_admin.get(f"{url}add/")
        assert response.status_code == 200
        assert_nothing_of(b, before, response, "")
        links = {
            field.name: ADMIN_KINDS[field.related_model._meta.label_lower]
            for field in opts.fields
            if field.is_relation and field.editable and field.related_model._meta.label_lower in ADMIN_KINDS
        }
        form_fields = response.context["adminform"].form.fields
        for name, related in links.items():
            if name not in form_fields:
                continue
            response = a_admin.post(f"{url}add/", {name: b.pk(related)})
            assert response.status_code == 200, (name, response.status_code)
            assert name in response.context["adminform"].form.errors, name
            assert rows_of(b.org) == before


def test_admin_autocomplete_lists_only_our_rows(worlds, a_admin):
    a, b = worlds
    before = rows_of(b.org)
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower not in ADMIN_KINDS:
            continue
        request = type("R", (), {"user": a["owner"]})()
        for name in model_admin.get_autocomplete_fields(request):
            for term in ("", b.marker, a.marker):
                response = a_admin.get(
                    "/admin/autocomplete/",
                    {"app_label": model._meta.app_label, "model_name": model._meta.model_name,
                     "field_name": name, "term": term},
                )  # fmt: skip
                assert response.status_code == 200, (model, name, response.status_code)
                assert_nothing_of(b, before, response, b.marker)
                checked += 1
    assert checked > 20


def test_admin_view_on_site_is_404_for_their_objects(worlds, a_admin):
    b = worlds[1]
    for label, kind in ADMIN_KINDS.items():
        model = b[kind].__class__
        content_type = ContentType.objects.get_for_model(model)
        response = a_admin.get(f"/admin/r/{content_type.pk}/{b.pk(kind)}/")
        assert response.status_code == 404, (label, response.status_code, response.get("Location"))
