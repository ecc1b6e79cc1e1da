"""Scopes and tenancy on every pipelines / deals / products endpoint."""

import pytest

from deals import services
from deals.models import Deal, Pipeline, Product, Stage
from tests.conftest import error_of
from tests.deals.conftest import tid
from tests.factories import CompanyFactory, ContactFactory

ENDPOINTS = [
    ("get", "/pipelines", None),
    ("post", "/pipelines", {"name": "New"}),
    ("get", "/pipelines/{pipe}", None),
    ("patch", "/pipelines/{pipe}", {"name": "Renamed"}),
    ("delete", "/pipelines/{spare}", None),
    ("get", "/pipelines/{pipe}/deals", None),
    ("post", "/pipelines/{pipe}/stages", {"name": "New stage"}),
    ("put", "/pipelines/{pipe}/stages", {"stage_ids": "{stage_ids}"}),
    ("delete", "/pipelines/{pipe}/stages/{empty_stage}", None),
    ("get", "/deals", None),
    ("post", "/deals", {"name": "New"}),
    ("get", "/deals/{deal}", None),
    ("patch", "/deals/{deal}", {"name": "Renamed"}),
    ("delete", "/deals/{deal}", None),
    ("post", "/deals/{deal}/stage", {"stage_id": "{stage}"}),
    ("get", "/deals/{deal}/history", None),
    ("get", "/contacts/{contact}/deals", None),
    ("get", "/companies/{company}/deals", None),
    ("get", "/products", None),
    ("post", "/products", {"name": "New", "slug": "new"}),
    ("get", "/products/{product}", None),
    ("patch", "/products/{product}", {"name": "Renamed"}),
    ("delete", "/products/{product}", None),
]
IDS = [f"{method.upper()} {path}" for method, path, _ in ENDPOINTS]


@pytest.fixture
def world(org):
    pipeline = services.pipeline_default(org=org)
    stages = list(pipeline.stages.order_by("position"))
    spare = services.pipeline_create(actor=None, org=org, name="Spare")
    contact, company = ContactFactory(org=org), CompanyFactory(org=org)
    deal = services.deal_create(actor=None, org=org, name="Deal", contact=contact, company=company)
    product = services.product_create(actor=None, org=org, name="P", slug="p")
    return {
        "pipe": tid(pipeline),
        "spare": tid(spare),
        "stage": tid(stages[1]),
        "empty_stage": tid(stages[2]),
        "stage_ids": [tid(s) for s in stages],
        "deal": tid(deal),
        "contact": tid(contact),
        "company": tid(company),
        "product": tid(product),
    }


def call(client, method, path, body, world):
    path = path.format(**world)
    if body is not None:
        body = {
            k: (world[v[1:-1]] if isinstance(v, str) and v.startswith("{") else v) for k, v in body.items()
        }
        return getattr(client, method)(path, body)
    return getattr(client, method)(path)


def snapshot():
    return (
        list(Pipeline.objects.values_list("id", "name", "is_default", "updated_at").order_by("id")),
        list(Stage.objects.values_list("id", "position", "pipeline_id").order_by("id")),
        list(Deal.objects.values_list("id", "name", "stage_id", "updated_at").order_by("id")),
        list(Product.objects.values_list("id", "name").order_by("id")),
    )


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_read_write_key_may_call_it(org, make_api, world, method, path, body):
    response = call(make_api(org), method, path, body, world)
    assert response.status_code in (200, 201, 204), response.content


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_read_key_may_only_read(org, make_api, world, method, path, body):
    before = snapshot()
    response = call(make_api(org, scope="read"), method, path, body, world)
    if method == "get":
        assert response.status_code == 200
    else:
        assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
        assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_capture_only_key_may_call_none(org, make_api, world, method, path, body):
    before = snapshot()
    response = call(make_api(org, scope="capture-only"), method, path, body, world)
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    assert snapshot() == before


@pytest.mark.parametrize(
    ("method", "path", "body"), [e for e in ENDPOINTS if "{" in e[1]], ids=[i for i in IDS if "{" in i]
)
def test_another_organizations_ids_in_paths_are_404(other_org, make_api, world, method, path, body):
    services.pipeline_default(org=other_org)  # they have their own pipeline, stages…
    before = snapshot()
    response = call(make_api(other_org), method, path, body, world)
    assert response.status_code == 404 and error_of(response)["code"] == "not_found", response.content
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=IDS)
def test_no_key_is_401(db, anon, world, method, path, body):
    response = call(anon, method, path, body, world)
    assert response.status_code == 401 and error_of(response)["code"] == "unauthorized"
