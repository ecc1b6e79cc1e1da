"""/companies: CRUD, domain normalisation and uniqueness, address, filters, sorts, search."""

import datetime
import random

import pytest

from contacts import services
from contacts.models import Company
from rexcrm.core import ids
from tests.conftest import error_of
from tests.contacts.conftest import coid, uid
from tests.factories import (
    ActivityFactory,
    CompanyFactory,
    ContactFactory,
    DealFactory,
    TaskFactory,
    UserFactory,
)
from tests.helpers.queries import count_queries

EMPTY_ADDRESS = {"street": None, "city": None, "state": None, "postal_code": None, "country": None}


def ids_of(rows):
    return [row["id"] for row in rows]


def test_create_company_with_every_field(api, member):
    body = {
        "name": "Acme Inc",
        "domain": "https://www.Acme.com:443/about?x=1#top",
        "industry": "Manufacturing",
        "size": "51-200",
        "website": "https://acme.com",
        "phone": "+1 555 0100",
        "description": "Anvils and rockets.",
        "address": {"street": " 1 Main St ", "city": "Springfield", "postal_code": "12345", "country": "US"},
        "owner_id": uid(member),
        "metadata": {"tier": "gold"},
    }
    response = api.post("/companies", body)
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["domain"] == "acme.com"
    assert data["address"] == {
        "street": "1 Main St",
        "city": "Springfield",
        "state": None,
        "postal_code": "12345",
        "country": "US",
    }
    for key in ["name", "industry", "size", "website", "phone", "description", "owner_id", "metadata"]:
        assert data[key] == body[key], key
    assert data["last_activity_at"] is None
    assert data["relationships"] == {"owner": {"type": "user", "id": uid(member), "name": "Sam Seller"}}
    assert api.get(f"/companies/{data['id']}").json()["data"] == data


def test_minimal_company(api):
    data = api.post("/companies", {"name": "Solo"}).json()["data"]
    assert data["domain"] == "" and data["address"] == EMPTY_ADDRESS and data["size"] is None


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("acme.com", "acme.com"),
        ("ACME.COM", "acme.com"),
        ("www.acme.com", "acme.com"),
        ("http://acme.com", "acme.com"),
        ("https://www.Acme.com/about", "acme.com"),
        ("https://www.acme.com:8443/a/b?c=d#e", "acme.com"),
        ("acme.com.", "acme.com"),
        ("shop.acme.co.uk/path", "shop.acme.co.uk"),
        ("www2.acme.com", "www2.acme.com"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
        ("", ""),
        (None, ""),
    ],
)
def test_domain_is_normalised(api, raw, normalised):
    response = api.post("/companies", {"name": "X", "domain": raw})
    assert response.status_code == 201, response.content
    assert response.json()["data"]["domain"] == normalised


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("https://user:pw@www.acme.com:8443/a/b?c=d#e", "acme.com"),
        ("  shop.acme.co.uk/path ", "shop.acme.co.uk"),
        ("Bücher.de", "bücher.de"),
    ],
)
def test_the_api_takes_its_written_form_where_other_doors_take_more(org, api, raw, normalised):
    """The API takes the document's pattern (ASCII, no user name, no surrounding space); the web
    UI, the admin and imports go through the services, which normalise more."""
    response = api.post("/companies", {"name": "X", "domain": raw})
    assert response.status_code == 400 and set(error_of(response)["fields"]) == {"domain"}
    company = services.company_create(org=org, actor=None, name="X", domain=raw)
    assert company.domain == normalised


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", None),
        ("name", ""),
        ("name", "x" * 256),
        ("name", ["Acme"]),
        ("domain", "not a domain"),
        ("domain", "localhost"),
        ("domain", "https://"),
        ("domain", "acme..com"),
        ("domain", "-acme.com"),
        ("domain", "10.0.0.1"),
        ("domain", "x" * 300 + ".com"),
        ("domain", 12),
        ("industry", "x" * 101),
        ("size", "huge"),
        ("size", "1-9"),
        ("website", "acme"),
        ("website", "javascript:alert(1)"),
        ("phone", "1" * 51),
        ("description", {"a": 1}),
        ("address", "1 Main St"),
        ("address", ["1 Main St"]),
        ("address", {"street": "1 Main St", "planet": "Earth"}),
        ("address", {"zip": "12345"}),
        ("address", {"postal_code": 12345}),
        ("address", {"city": ["Paris"]}),
        ("address", {"city": {"name": "Paris"}}),
        ("address", {"street": "x" * 256}),
        ("owner_id", "user_nope"),
        ("metadata", "gold"),
        ("metadata", {"k": "x" * 17000}),
    ],
)
def test_create_validates_every_field(api, field, value):
    response = api.post("/companies", {"name": "Valid", field: value})
    assert response.status_code == 400, (field, value, response.content)
    error = error_of(response)
    assert error["code"] == "validation_error"
    assert set(error["fields"]) == {field}
    assert not Company.objects.exists()


def test_unknown_fields_and_other_org_owner(api, stranger):
    assert error_of(api.post("/companies", {"name": "X", "employees": 5}))["code"] == "unknown_field"
    error = error_of(api.post("/companies", {"name": "X", "owner_id": uid(stranger)}))
    assert error["code"] == "invalid_reference" and set(error["fields"]) == {"owner_id"}


def test_address_patch_replaces_and_null_clears(api, org):
    company = CompanyFactory(org=org, address={"city": "Paris", "country": "FR"})
    path = f"/companies/{coid(company)}"
    data = api.patch(path, {"address": {"street": "1 Rue", "city": None}}).json()["data"]
    assert data["address"] == EMPTY_ADDRESS | {"street": "1 Rue"}
    assert api.patch(path, {"address": None}).json()["data"]["address"] == EMPTY_ADDRESS
    assert api.patch(path, {"address": {}}).json()["data"]["address"] == EMPTY_ADDRESS


def test_duplicate_domain_after_normalisation_is_a_conflict(api, company):
    for domain in ["acme.com", "ACME.com", "https://www.acme.com/pricing", "acme.com:80"]:
        response = api.post("/companies", {"name": "Acme again", "domain": domain})
        assert response.status_code == 409, domain
        error = error_of(response)
        assert error["code"] == "conflict" and set(error["fields"]) == {"domain"}
        assert error["existing_id"] == coid(company)
    assert Company.objects.count() == 1


def test_patch_domain_conflict_and_blank_domains_never_clash(api, org, company):
    other = CompanyFactory(org=org, domain="other.com")
    response = api.patch(f"/companies/{coid(other)}", {"domain": "www.ACME.com", "name": "Renamed"})
    assert response.status_code == 409 and error_of(response)["existing_id"] == coid(company)
    other.refresh_from_db()
    assert other.name != "Renamed"
    for _ in range(2):
        assert api.post("/companies", {"name": "No domain", "domain": ""}).status_code == 201
    assert api.patch(f"/companies/{coid(other)}", {"domain": None}).json()["data"]["domain"] == ""
    assert api.patch(f"/companies/{coid(company)}", {"domain": "https://Acme.com"}).status_code == 200


def test_same_domain_in_two_organizations_is_fine(api, other_api, company):
    assert other_api.post("/companies", {"name": "Acme", "domain": "acme.com"}).status_code == 201


def test_patch_changes_only_the_fields_sent(api, company):
    path = f"/companies/{coid(company)}"
    before = api.get(path).json()["data"]
    after = api.patch(path, {"industry": "Anvils"}).json()["data"]
    assert {key for key in after if after[key] != before[key]} == {"industry", "updated_at"}


def test_not_found_and_405(api, other_org):
    foreign = CompanyFactory(org=other_org)
    for path in [f"/companies/{coid(foreign)}", "/companies/comp_01JQ3Z6W5C8V2N4R7T9X0Y1B2D", "/companies/x"]:
        for response in [api.get(path), api.patch(path, {"name": "x"}), api.delete(path)]:
            assert response.status_code == 404
            assert error_of(response)["message"] == "Company not found."
    assert api.put(f"/companies/{coid(foreign)}", {"name": "x"}).status_code == 405


def test_deleting_a_company_keeps_its_contacts_activities_deals_and_tasks(api, org, company):
    contact = ContactFactory(org=org, company=company)
    linked = [
        ActivityFactory(org=org, company=company, contact=contact),
        DealFactory(org=org, company=company),
        TaskFactory(org=org, company=company),
    ]
    assert api.delete(f"/companies/{coid(company)}").status_code == 204
    assert api.get(f"/companies/{coid(company)}").status_code == 404
    contact.refresh_from_db()
    assert contact.company_id is None
    for obj in linked:
        obj.refresh_from_db()
        assert obj.company_id is None
    assert linked[0].contact_id == contact.pk


@pytest.mark.parametrize(
    ("scope", "writes"), [("read", False), ("capture-only", False), ("read-write", True)]
)
def test_scopes(org, make_api, company, scope, writes):
    client = make_api(org, scope=scope)
    path = f"/companies/{coid(company)}"
    reads = [client.get("/companies"), client.get(path), client.get(f"{path}/contacts")]
    assert {r.status_code for r in reads} == ({200} if scope != "capture-only" else {403})
    responses = [
        client.post("/companies", {"name": "N"}),
        client.post("/companies/upsert", {"name": "N", "domain": "n.example"}),
        client.patch(path, {"name": "M"}),
        client.delete(path),
    ]
    for response in responses:
        assert response.status_code in ((200, 201, 204) if writes else (403,))


# -- lists -------------------------------------------------------------------------------------


def test_filters(api, org, other_org):
    owner = UserFactory(org=org)
    rng = random.Random(2)
    companies = [
        CompanyFactory(
            org=org,
            owner=rng.choice([owner, None]),
            industry=rng.choice(["Software", "Retail", ""]),
            size=rng.choice(["1-10", "1000+", None]),
            domain=f"c{i}.example",
        )
        for i in range(30)
    ]
    CompanyFactory(org=other_org, domain="c1.example", industry="Software")
    cases = [
        ({"owner_id": uid(owner)}, lambda c: c.owner_id == owner.pk),
        ({"industry": "Software"}, lambda c: c.industry == "Software"),
        ({"industry": "Software,Retail"}, lambda c: c.industry in ("Software", "Retail")),
        ({"size": "1000+"}, lambda c: c.size == "1000+"),
        ({"size": "1-10,1000+"}, lambda c: c.size is not None),
        ({"domain": "https://www.C1.example/x"}, lambda c: c.domain == "c1.example"),
        ({"domain": "c1.example,c2.example"}, lambda c: c.domain in ("c1.example", "c2.example")),
        ({"size": "1-10", "industry": "Retail"}, lambda c: c.size == "1-10" and c.industry == "Retail"),
    ]
    for params, predicate in cases:
        expected = {coid(c) for c in companies if predicate(c)}
        assert expected and len(expected) < len(companies), params
        assert set(ids_of(api.get_all("/companies", **params, limit=4))) == expected, params


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("owner_id", "cont_01JQ3Z6W5C8V2N4R7T9X0Y1B2D"),
        ("size", "huge"),
        ("domain", "not a domain"),
        ("sort", "domain"),
    ],
)
def test_bad_filter_values_are_400(api, param, value):
    error = error_of(api.get("/companies", **{param: value}))
    assert error["code"] == "validation_error" and param in error["fields"]


@pytest.mark.parametrize("sort", ["name", "-name", "created_at", "-created_at", "updated_at", "-updated_at"])
def test_sorts_with_ties(api, org, sort):
    base = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    companies = [
        CompanyFactory(
            org=org,
            name=random.Random(i).choice(["Acme", "Beta", "Core"]),
            created_at=base + datetime.timedelta(minutes=i % 3),
        )
        for i in range(25)
    ]
    Company.objects.filter(pk__in=[c.pk for c in companies[::3]]).update(updated_at=base)
    for c in companies:
        c.refresh_from_db()
    field, descending = sort.lstrip("-"), sort.startswith("-")
    expected = sorted(companies, key=lambda c: (getattr(c, field), c.pk), reverse=descending)
    assert ids_of(api.get_all("/companies", sort=sort, limit=3)) == [coid(c) for c in expected]


def test_search_ranks_exact_then_prefix_then_contains(api, org):
    contains = CompanyFactory(org=org, name="Big Acme Holdings", domain="bah.example")
    prefix_domain = CompanyFactory(org=org, name="Road Runner", domain="acme.example")
    prefix_name = CompanyFactory(org=org, name="Acme Labs", domain="labs.example")
    exact_domain = CompanyFactory(org=org, name="Something", domain="acme")  # stored raw by the factory
    exact_name = CompanyFactory(org=org, name="ACME", domain="")
    CompanyFactory(org=org, name="Globex", domain="globex.example")
    expected = [exact_name, exact_domain, prefix_name, prefix_domain, contains]
    assert ids_of(api.get_all("/companies", search="acme", limit=2)) == [coid(c) for c in expected]
    assert ids_of(api.get_all("/companies", q="acme.example")) == [coid(prefix_domain)]


def test_list_query_count_is_constant(api, org):
    owner = UserFactory(org=org)

    def queries():
        return count_queries(lambda: api.get_ok("/companies", limit=200, include="owner", search="co"))

    queries()
    CompanyFactory(org=org, owner=owner, name="Co 0")
    one = queries()
    for i in range(199):
        CompanyFactory(org=org, owner=owner if i % 2 else UserFactory(org=org), name=f"Co {i + 1}")
    assert queries() == one
    assert len(api.get("/companies", limit=200).json()["data"]) == 200
    assert ids.decode("comp", api.get("/companies", limit=1).json()["data"][0]["id"])
