"""A create's or an update's answer is what GET answers right after it, for every resource that
writes through the generic endpoints: the answer is the object as the write's event rendered it
in the write's transaction (``ResourceViewSet.written_body``), not a second read."""

import pytest

from deals.services import pipeline_default
from tests.factories import CompanyFactory, ContactFactory, DealFactory, ProductFactory
from tests.helpers.queries import queries


def bodies(org) -> dict:
    """A valid create body and a valid change of each resource."""
    company = CompanyFactory(org=org)
    contact = ContactFactory(org=org, company=company)
    deal = DealFactory(org=org, contact=contact)
    product = ProductFactory(org=org)
    stage = pipeline_default(org=org).stages.order_by("position").last()
    return {
        "/contacts": ({"email": "ada@example.com", "first_name": "Ada"}, {"title": "CTO"}),
        "/companies": ({"name": "Initech", "domain": "initech.example"}, {"name": "Initrode"}),
        "/deals": (
            {"name": "Renewal", "contact_id": contact.typeid, "product_ids": [product.typeid]},
            {"stage_id": stage.typeid, "value": 120000},
        ),
        "/products": ({"name": "Seat", "slug": "seat", "price": 1000}, {"price": 1250}),
        "/pipelines": (
            {"name": "Partners", "stages": [{"name": "Open"}, {"name": "Won", "type": "won"}]},
            {"name": "Alliances"},
        ),
        "/activities": (
            {
                "type": "call",
                "contact_id": contact.typeid,
                "deal_id": deal.typeid,
                "metadata": {"b": 1, "a": [2]},
            },
            {"subject": "Pricing", "company_id": None},
        ),
        "/tasks": ({"title": "Send the quote", "contact_id": contact.typeid}, {"priority": "high"}),
        "/webhooks": (
            {"name": "CRM sync", "url": "https://hooks.example.com/rex", "event_types": ["contact.created"]},
            {"status": "paused"},
        ),
    }


@pytest.mark.parametrize(
    "path",
    ["/contacts", "/companies", "/deals", "/products", "/pipelines", "/activities", "/tasks", "/webhooks"],
)
def test_the_answer_to_a_write_is_what_get_answers_then(org, api, path):
    create, change = bodies(org)[path]
    created = api.post(path, create)
    assert created.status_code == 201, created.content
    answer = created.json()
    answer["data"].pop("secret", None)  # a webhook's, shown once
    answer.pop("secret", None)
    detail = f"{path}/{answer['data']['id']}"
    assert answer == api.get(detail).json()
    changed = api.patch(detail, change)
    assert changed.status_code == 200, changed.content
    assert changed.json() == api.get(detail).json()
    sparse = api.patch(
        f"{detail}?fields=id", change | {"metadata": {"n": 1}} if path == "/activities" else change
    )
    assert sparse.status_code == 200 and set(sparse.json()["data"]) <= {"id", "relationships"}


def test_an_activity_create_never_reads_its_object(org, api):
    """Its INSERT returns the row as the event renders it: no read-back in the transaction, and
    no second read of the row for the answer."""
    contact = ContactFactory(org=org)
    with queries() as sql:
        response = api.post("/activities", {"type": "note", "contact_id": contact.typeid})
    assert response.status_code == 201
    reads = [
        q
        for q in sql
        if q.lstrip().upper().startswith("SELECT") and '"activities_activity"' in q.split("FROM", 1)[-1][:40]
    ]
    assert reads == []
    (insert,) = [q for q in sql if q.startswith('INSERT INTO "activities_activity"')]
    assert " RETURNING " in insert
    assert response.json()["data"] == api.get(f"/activities/{response.json()['data']['id']}").json()["data"]
