"""/products: CRUD, the slug rule (409 with existing_id), filters, and products on deals."""

import pytest

from deals import services
from deals.models import Product
from tests.conftest import error_of
from tests.deals.conftest import tid
from tests.helpers.queries import count_queries


def create(api, **body):
    response = api.post("/products", {"name": "Growth plan", "slug": "growth", **body})
    assert response.status_code == 201, response.content
    return response.json()["data"]


def test_crud(api):
    data = create(api, description="Up to 50 seats", price=199_00, currency="eur", metadata={"tier": 2})
    assert data == {
        "id": data["id"],
        "name": "Growth plan",
        "slug": "growth",
        "description": "Up to 50 seats",
        "price": 19900,
        "currency": "EUR",
        "is_active": True,
        "metadata": {"tier": 2},
        "created_at": data["created_at"],
        "updated_at": data["updated_at"],
    }
    assert data["id"].startswith("prod_")
    assert api.get(f"/products/{data['id']}").json()["data"] == data
    patched = api.patch(f"/products/{data['id']}", {"is_active": False, "slug": "growth-2026"}).json()["data"]
    assert (patched["is_active"], patched["slug"], patched["price"], patched["metadata"]) == (
        False,
        "growth-2026",
        19900,
        {"tier": 2},
    )
    assert api.delete(f"/products/{data['id']}").status_code == 204
    assert api.get(f"/products/{data['id']}").status_code == 404
    minimal = create(api, slug="minimal")
    assert (minimal["price"], minimal["currency"], minimal["description"]) == (0, "USD", "")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"slug": ""}, "slug"),
        ({"slug": "growth plan"}, "slug"),
        ({"slug": "growth/plan"}, "slug"),
        ({"slug": "grøwth"}, "slug"),
        ({"slug": "s" * 101}, "slug"),
        ({"slug": 12}, "slug"),
        ({"price": -1}, "price"),
        ({"price": 19.99}, "price"),
        ({"price": "1999"}, "price"),
        ({"currency": "EURO"}, "currency"),
        ({"is_active": "yes"}, "is_active"),
        ({"is_active": 1}, "is_active"),
        ({"metadata": [1]}, "metadata"),
        ({"description": False}, "description"),
    ],
)
def test_validation(api, body, field):
    response = api.post("/products", {"name": "Growth plan", "slug": "growth", **body})
    error = error_of(response)
    assert response.status_code == 400 and error["code"] == "validation_error", error
    assert set(error["fields"]) == {field}
    assert not Product.objects.exists()


def test_missing_slug(api):
    error = error_of(api.post("/products", {"name": "No slug"}))
    assert error["code"] == "validation_error" and set(error["fields"]) == {"slug"}


def test_slug_is_unique_per_organization_case_insensitively(api, other_api):
    existing = create(api, slug="Growth")
    for slug in ["Growth", "growth", "GROWTH"]:
        response = api.post("/products", {"name": "Again", "slug": slug})
        error = error_of(response)
        assert response.status_code == 409 and error["code"] == "conflict"
        assert error["existing_id"] == existing["id"] and set(error["fields"]) == {"slug"}
    assert Product.objects.count() == 1
    other = create(api, slug="other")
    response = api.patch(f"/products/{other['id']}", {"slug": "GROWTH"})
    assert response.status_code == 409 and error_of(response)["existing_id"] == existing["id"]
    assert api.patch(f"/products/{existing['id']}", {"slug": "growth"}).status_code == 200  # its own slug
    assert other_api.post("/products", {"name": "Theirs", "slug": "growth"}).status_code == 201


def test_filters_sorts_and_query_count(org, api):
    create(api, name="Starter", slug="starter")
    create(api, name="Enterprise", slug="enterprise", is_active=False)
    create(api, name="Onboarding", slug="setup-pack")
    assert [p["name"] for p in api.get_all("/products", sort="name")] == [
        "Enterprise",
        "Onboarding",
        "Starter",
    ]
    assert [p["name"] for p in api.get_all("/products", is_active="false")] == ["Enterprise"]
    assert {p["name"] for p in api.get_all("/products", is_active="true")} == {"Starter", "Onboarding"}
    assert [p["name"] for p in api.get_all("/products", search="SETUP")] == ["Onboarding"]
    assert [p["name"] for p in api.get_all("/products", q="start")] == ["Starter"]
    assert error_of(api.get("/products", is_active="sometimes"))["code"] == "validation_error"
    assert error_of(api.get("/products", sort="price"))["code"] == "validation_error"
    api.get_ok("/products")
    few = count_queries(lambda: api.get_ok("/products", limit=200))
    for n in range(100):
        services.product_create(actor=None, org=org, name=f"P{n}", slug=f"p{n}")
    assert count_queries(lambda: api.get_ok("/products", limit=200)) == few


def test_products_on_deals(org, api, pipeline):
    plans = [create(api, name=f"Plan {n}", slug=f"plan-{n}") for n in range(3)]
    deal = api.post("/deals", {"name": "D", "product_ids": [plans[2]["id"], plans[0]["id"]]}).json()["data"]
    assert deal["product_ids"] == sorted([plans[0]["id"], plans[2]["id"]])
    # Deleting a product takes it off the deals that had it.
    assert api.delete(f"/products/{plans[0]['id']}").status_code == 204
    assert api.get(f"/deals/{deal['id']}").json()["data"]["product_ids"] == [plans[2]["id"]]
    listed = api.get("/deals").json()["data"]
    assert listed[0]["product_ids"] == [plans[2]["id"]]
    deal2 = api.post("/deals", {"name": "None"}).json()["data"]
    assert {d["id"]: d["product_ids"] for d in api.get_all("/deals")}[deal2["id"]] == []
    error = error_of(api.post("/deals", {"name": "D", "product_ids": [plans[0]["id"]]}))
    assert error["code"] == "invalid_reference" and "product_ids" in error["fields"]


def test_foreign_and_unknown_product_paths_are_404(other_org, api):
    theirs = services.product_create(actor=None, org=other_org, name="Theirs", slug="theirs")
    for method, body in [("get", None), ("patch", {"name": "Mine"}), ("delete", None)]:
        for product_id in [tid(theirs), "prod_nope"]:
            call = getattr(api, method)
            response = call(f"/products/{product_id}", body) if body else call(f"/products/{product_id}")
            assert response.status_code == 404 and error_of(response)["message"] == "Product not found."
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"
