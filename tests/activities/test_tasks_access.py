"""Scopes and tenancy on every /tasks endpoint and task sub-list."""

import pytest

from activities.models import Task
from activities.services import task_create
from deals import services as deal_services
from rexcrm.core import ids
from tests.conftest import error_of
from tests.factories import CompanyFactory, ContactFactory

ENDPOINTS = [
    ("get", "/tasks", None),
    ("post", "/tasks", {"title": "New"}),
    ("get", "/tasks/{task}", None),
    ("patch", "/tasks/{task}", {"status": "completed"}),
    ("delete", "/tasks/{task}", None),
    ("get", "/contacts/{contact}/tasks", None),
    ("get", "/deals/{deal}/tasks", None),
    ("get", "/companies/{company}/tasks", None),
]
IDS = [f"{method.upper()} {path}" for method, path, _ in ENDPOINTS]


def tid(obj):
    return ids.encode(obj.type_prefix, obj.pk)


@pytest.fixture
def world(org):
    contact, company = ContactFactory(org=org), CompanyFactory(org=org)
    deal = deal_services.deal_create(actor=None, org=org, name="D")
    task = task_create(actor=None, org=org, title="T", contact=contact, company=company, deal=deal)
    return {"task": tid(task), "contact": tid(contact), "company": tid(company), "deal": tid(deal)}


def call(client, method, path, body, world):
    path = path.format(**world)
    return getattr(client, method)(path, body) if body is not None else getattr(client, method)(path)


def snapshot():
    return list(Task.objects.values_list("id", "title", "status", "updated_at").order_by("id"))


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_scopes(org, make_api, world, method, path, body):
    assert call(make_api(org), method, path, body, world).status_code in (200, 201, 204)


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
@pytest.mark.parametrize("scope", ["read", "capture-only"])
def test_limited_scopes(org, make_api, world, method, path, body, scope):
    before = snapshot()
    response = call(make_api(org, scope=scope), method, path, body, world)
    if scope == "read" and method == "get":
        assert response.status_code == 200
    else:
        assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
        assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS[2:], ids=IDS[2:])
def test_another_organizations_ids_in_paths_are_404(other_org, make_api, world, method, path, body):
    before = snapshot()
    response = call(make_api(other_org), method, path, body, world)
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert snapshot() == before
