"""/contacts lists: every filter (and its bad values), every sort with ties, ranked search with
cursors, /companies/:id/contacts, and constant query counts."""

import datetime
import random

import pytest

from contacts.models import Contact
from tests.conftest import error_of
from tests.contacts.conftest import cid, coid, uid
from tests.factories import CompanyFactory, ContactFactory, UserFactory
from tests.helpers.queries import queries

BASE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def ids_of(rows):
    return [row["id"] for row in rows]


def test_lists_show_only_own_organization(api, org, other_org):
    mine = ContactFactory.create_batch(3, org=org)
    ContactFactory.create_batch(2, org=other_org)
    assert set(ids_of(api.get_all("/contacts"))) == {cid(c) for c in mine}


def test_default_sort_is_newest_first(api, org):
    contacts = [ContactFactory(org=org, created_at=BASE + datetime.timedelta(minutes=i)) for i in range(5)]
    assert ids_of(api.get_all("/contacts", limit=2)) == [cid(c) for c in reversed(contacts)]


# -- filters -----------------------------------------------------------------------------------


@pytest.fixture
def population(org, other_org):
    """A varied set of contacts, so that each filter selects a proper subset."""
    owner_a, owner_b = UserFactory(org=org), UserFactory(org=org)
    acme, globex = CompanyFactory(org=org), CompanyFactory(org=org)
    rng = random.Random(3)
    contacts = []
    for i in range(40):
        contacts.append(
            ContactFactory(
                org=org,
                email=f"Person{i}@Example.com",
                stage=rng.choice(["lead", "prospect", "customer", "churned"]),
                source=rng.choice(["organic", "paid", None]),
                company=rng.choice([acme, globex, None]),
                owner=rng.choice([owner_a, owner_b, None]),
                icp_score=rng.choice([None, 0, 10, 50, 90, 100]),
                last_activity_at=rng.choice([None, BASE, BASE + datetime.timedelta(days=1)]),
            )
        )
    ContactFactory(org=other_org, email="person1@example.com", stage="lead")
    return {"contacts": contacts, "owners": (owner_a, owner_b), "companies": (acme, globex)}


def expect(api, params, predicate, population):
    expected = {cid(c) for c in population["contacts"] if predicate(c)}
    assert expected, f"{params} selects nothing: a useless test"
    assert expected != {cid(c) for c in population["contacts"]}, f"{params} selects everything"
    assert set(ids_of(api.get_all("/contacts", **params, limit=7))) == expected, params


def test_filters(api, population):
    owner_a, owner_b = population["owners"]
    acme, globex = population["companies"]
    cases = [
        ({"stage": "lead"}, lambda c: c.stage == "lead"),
        ({"stage": "lead,customer"}, lambda c: c.stage in ("lead", "customer")),
        ({"source": "paid"}, lambda c: c.source == "paid"),
        ({"source": "organic,paid"}, lambda c: c.source in ("organic", "paid")),
        ({"company_id": coid(acme)}, lambda c: c.company_id == acme.pk),
        ({"company_id": f"{coid(acme)},{coid(globex)}"}, lambda c: c.company_id is not None),
        ({"owner_id": uid(owner_a)}, lambda c: c.owner_id == owner_a.pk),
        ({"owner_id": f"{uid(owner_a)}, {uid(owner_b)}"}, lambda c: c.owner_id is not None),
        ({"email": "PERSON1@example.COM"}, lambda c: c.email == "Person1@Example.com"),
        (
            {"email": "person1@example.com,person2@example.com"},
            lambda c: c.email in ("Person1@Example.com", "Person2@Example.com"),
        ),
        ({"icp_score_min": "50"}, lambda c: c.icp_score is not None and c.icp_score >= 50),
        ({"icp_score_max": "10"}, lambda c: c.icp_score is not None and c.icp_score <= 10),
        ({"icp_score_min": "10", "icp_score_max": "90"}, lambda c: c.icp_score in (10, 50, 90)),
        (
            {"last_activity_after": "2026-01-02"},
            lambda c: c.last_activity_at == BASE + datetime.timedelta(days=1),
        ),
        (
            {"last_activity_after": "2026-01-01T00:00:00Z"},
            lambda c: c.last_activity_at is not None,
        ),  # inclusive
        (
            {"last_activity_before": "2026-01-02T00:00:00+00:00"},
            lambda c: c.last_activity_at == BASE,
        ),  # exclusive
        (
            {"stage": "customer", "source": "organic"},
            lambda c: c.stage == "customer" and c.source == "organic",
        ),
    ]
    for params, predicate in cases:
        expect(api, params, predicate, population)


def test_updated_after_and_before(api, org):
    old = ContactFactory(org=org)
    Contact.objects.filter(pk=old.pk).update(updated_at=BASE)
    new = ContactFactory(org=org)
    assert ids_of(api.get_all("/contacts", updated_after="2026-01-02")) == [cid(new)]
    assert ids_of(api.get_all("/contacts", updated_before="2026-01-02")) == [cid(old)]


@pytest.mark.parametrize(
    ("param", "value"),
    [
        ("stage", "vip"),
        ("stage", "lead,vip"),
        ("source", "tv"),
        ("company_id", "comp_bad"),
        ("company_id", "cont_01JQ3Z6W5C8V2N4R7T9X0Y1B2D"),
        ("owner_id", "comp_01JQ3Z6W5C8V2N4R7T9X0Y1B2D"),
        ("email", "not-an-email"),
        ("icp_score_min", "high"),
        ("icp_score_min", "101"),
        ("icp_score_max", "-1"),
        ("icp_score_max", "1.5"),
        ("last_activity_after", "yesterday"),
        ("last_activity_before", "2026-13-01"),
        ("updated_after", "soon"),
        ("sort", "email"),
        ("sort", "-name"),
        ("limit", "0"),
        ("colour", "red"),
    ],
)
def test_bad_filter_values_are_400(api, param, value):
    response = api.get("/contacts", **{param: value})
    assert response.status_code == 400, (param, value)
    error = error_of(response)
    assert error["code"] in ("validation_error", "unknown_field")
    assert param in error["fields"]


# -- sorting -----------------------------------------------------------------------------------


def sort_key(field, descending):
    """Python's version of the API order: NULL sorts as larger than every value (last
    ascending, first descending), and the id breaks ties in the same direction."""

    def key(contact):
        value = getattr(contact, field)
        return (True, 0, contact.pk) if value is None else (False, value, contact.pk)

    def ordered(contacts):
        return sorted(contacts, key=key, reverse=descending)

    return ordered


@pytest.mark.parametrize("field", ["created_at", "updated_at", "last_name", "icp_score", "last_activity_at"])
@pytest.mark.parametrize("descending", [False, True])
def test_every_sort_with_ties_pages_through_every_row_once(api, org, field, descending):
    rng = random.Random(11)
    contacts = []
    for i in range(45):
        contacts.append(
            ContactFactory(
                org=org,
                last_name=rng.choice(["Adams", "Brown", "Clark"]),
                icp_score=rng.choice([None, 10, 20]),
                last_activity_at=rng.choice([None, BASE, BASE + datetime.timedelta(hours=1)]),
                created_at=BASE + datetime.timedelta(minutes=i % 4),
            )
        )
    Contact.objects.filter(pk__in=[c.pk for c in contacts[::2]]).update(updated_at=BASE)
    Contact.objects.filter(pk__in=[c.pk for c in contacts[1::2]]).update(
        updated_at=BASE + datetime.timedelta(days=1)
    )
    for c in contacts:
        c.refresh_from_db()
    sort = f"-{field}" if descending else field
    rows = api.get_all("/contacts", sort=sort, limit=4)
    assert ids_of(rows) == [cid(c) for c in sort_key(field, descending)(contacts)]


def test_cursor_is_bound_to_its_sort(api, org):
    ContactFactory.create_batch(3, org=org)
    cursor = api.get("/contacts", limit=1, sort="last_name").json()["next_cursor"]
    error = error_of(api.get("/contacts", limit=1, sort="icp_score", cursor=cursor))
    assert error["code"] == "invalid_cursor"
    error = error_of(api.get("/companies", limit=1, sort="last_name", cursor=cursor))
    assert error["code"] in ("invalid_cursor", "validation_error")


# -- search ------------------------------------------------------------------------------------


@pytest.fixture
def searchable(org):
    # Created in this order, so that the default sort (-created_at) alone would invert the ranking.
    return {
        "exact_last": ContactFactory(org=org, first_name="Anna", last_name="Smith", email="anna@acme.com"),
        "exact_first": ContactFactory(org=org, first_name="Smith", last_name="Jones", email="sj@acme.com"),
        "prefix_email": ContactFactory(org=org, first_name="Jo", last_name="Doe", email="smithy@acme.com"),
        "prefix_name": ContactFactory(org=org, first_name="Smithy", last_name="Bell", email="bell@acme.com"),
        "contains_name": ContactFactory(
            org=org, first_name="Mary", last_name="Goldsmith", email="mg@acme.com"
        ),
        "contains_email": ContactFactory(org=org, first_name="Jay", last_name="Doe", email="jsmith@acme.com"),
        "phone": ContactFactory(
            org=org, first_name="Bo", last_name="Bell", email="bo@acme.com", phone="+1 555 0199"
        ),
        "other": ContactFactory(org=org, first_name="Zed", last_name="Zulu", email="zed@acme.com"),
    }


def test_search_ranks_exact_then_prefix_then_contains(api, searchable):
    expected = [
        searchable[k]
        for k in [
            "exact_first",
            "exact_last",
            "prefix_name",
            "prefix_email",
            "contains_email",
            "contains_name",
        ]
    ]  # within a rank, the sort (-created_at) decides
    assert ids_of(api.get_all("/contacts", search="SMITH")) == [cid(c) for c in expected]
    assert ids_of(api.get_all("/contacts", search="smith", limit=1)) == [cid(c) for c in expected]  # paged
    assert ids_of(api.get_all("/contacts", q="smith", limit=4)) == [cid(c) for c in expected]  # the alias
    # search= wins over q= when both are sent
    assert ids_of(api.get_all("/contacts", search="zulu", q="smith")) == [cid(searchable["other"])]


def test_exact_email_match_ranks_first(api, org):
    exact = ContactFactory(org=org, email="Ada@Example.com", first_name="Zoe", last_name="Quinn")
    contains = ContactFactory(org=org, email="x.ada@example.com")
    first_named = [
        ContactFactory(org=org, email=f"ada.lovelace{i}@example.com", first_name="Ada") for i in range(5)
    ]
    assert ids_of(api.get_all("/contacts", search="ADA@example.com", limit=1)) == [cid(exact), cid(contains)]
    # "ada": the first names equal it (exact), the email starts with it (prefix), x.ada contains it
    rows = api.get_all("/contacts", search="ada", limit=2)
    assert ids_of(rows) == [cid(c) for c in reversed(first_named)] + [cid(exact), cid(contains)]


def test_search_matches_full_name_and_phone(api, searchable):
    assert ids_of(api.get_all("/contacts", search="anna smith")) == [cid(searchable["exact_last"])]
    assert ids_of(api.get_all("/contacts", search="555 0199")) == [cid(searchable["phone"])]
    assert ids_of(api.get_all("/contacts", search="+1 555 0199")) == [cid(searchable["phone"])]


def test_search_treats_like_wildcards_literally(api, org):
    ContactFactory(org=org, email="percent@acme.com", first_name="100%")
    ContactFactory(org=org, email="under_score@acme.com")
    ContactFactory(org=org, email="underXscore@acme.com")
    assert len(api.get_all("/contacts", search="%")) == 1
    assert ids_of(api.get_all("/contacts", search="under_")) == [
        r["id"] for r in api.get_all("/contacts", email="under_score@acme.com")
    ]


def test_blank_search_is_ignored(api, searchable):
    assert len(api.get_all("/contacts", search="  ")) == len(searchable)


def test_ranked_search_pages_in_rank_order_with_any_sort(api, org):
    rng = random.Random(5)
    made = []
    for i in range(30):
        kind = rng.choice(["exact", "prefix", "contains"])
        email = {"exact": f"u{i}@x.com", "prefix": f"kim{i}@x.com", "contains": f"a{i}kim@x.com"}[kind]
        last = {"exact": "Kim", "prefix": "Kimball", "contains": "Akim"}[kind]
        made.append(
            (
                {"exact": 0, "prefix": 1, "contains": 2}[kind],
                ContactFactory(
                    org=org,
                    email=email,
                    last_name=last,
                    first_name="",
                    icp_score=rng.choice([None, 1, 2]),
                    created_at=BASE + datetime.timedelta(minutes=i % 3),
                ),
            )
        )
    ContactFactory.create_batch(5, org=org, first_name="Zed", last_name="Other")  # Faker could say "Kim"
    for sort in ["-created_at", "icp_score", "-icp_score", "last_name"]:
        field, descending = sort.lstrip("-"), sort.startswith("-")
        expected = []
        for rank in (0, 1, 2):
            expected += sort_key(field, descending)([c for r, c in made if r == rank])
        rows = api.get_all("/contacts", search="kim", sort=sort, limit=4)
        assert ids_of(rows) == [cid(c) for c in expected], sort


def test_a_search_cursor_needs_its_search(api, org):
    ContactFactory.create_batch(3, org=org, last_name="Kim")
    cursor = api.get("/contacts", search="kim", limit=1).json()["next_cursor"]
    assert cursor
    assert error_of(api.get("/contacts", limit=1, cursor=cursor))["code"] == "invalid_cursor"
    plain = api.get("/contacts", limit=1).json()["next_cursor"]
    assert error_of(api.get("/contacts", search="kim", limit=1, cursor=plain))["code"] == "invalid_cursor"
    # the alias carries the same ranking and cursor
    assert api.get("/contacts", q="kim", limit=1, cursor=cursor).status_code == 200


# -- /companies/:id/contacts -------------------------------------------------------------------


def test_company_contacts_sub_list(api, org, other_org, company):
    mine = [ContactFactory(org=org, company=company, stage=s) for s in ["lead", "customer", "lead"]]
    ContactFactory(org=org)  # no company
    ContactFactory(org=org, company=CompanyFactory(org=org))
    path = f"/companies/{coid(company)}/contacts"
    body = api.get(path, limit=2).json()
    assert set(body) == {"data", "has_more", "next_cursor", "meta"} and body["has_more"] is True
    assert ids_of(api.get_all(path, limit=2)) == [cid(c) for c in reversed(mine)]
    assert ids_of(api.get_all(path, stage="lead", sort="created_at")) == [cid(mine[0]), cid(mine[2])]
    assert set(ids_of(api.get_all(path, search="acme", include="company"))) <= {cid(c) for c in mine}
    assert error_of(api.get(path, stage="vip"))["code"] == "validation_error"
    foreign = CompanyFactory(org=other_org)
    ContactFactory(org=other_org, company=foreign)
    for bad in [coid(foreign), "comp_01JQ3Z6W5C8V2N4R7T9X0Y1B2D", "cont_01JQ3Z6W5C8V2N4R7T9X0Y1B2D", "nope"]:
        response = api.get(f"/companies/{bad}/contacts")
        assert response.status_code == 404, bad
        assert error_of(response)["message"] == "Company not found."
    assert api.post(path, {"email": "x@example.com"}).status_code == 405


# -- query counts ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/contacts", {}),
        ("/contacts", {"include": "company,owner", "sort": "last_activity_at"}),
        ("/contacts", {"search": "example", "stage": "lead,prospect"}),
        ("/companies/{company}/contacts", {"include": "company"}),
    ],
)
def test_list_query_count_is_constant(api, org, company, member, path, params):
    path = path.format(company=coid(company))

    def count():
        with queries() as sql:
            response = api.get_ok(path, limit=200, **params)
        return len(sql), len(response.json()["data"])

    count()  # the first request also records the key's last_used_at
    ContactFactory(org=org, company=company, owner=member)
    one, rows = count()
    assert rows == 1
    for i in range(199):
        ContactFactory(org=org, company=company, owner=UserFactory(org=org) if i % 50 == 0 else member)
    many, rows = count()
    assert rows == 200
    assert many == one
