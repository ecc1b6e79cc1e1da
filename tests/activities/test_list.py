"""GET /activities and the sub-lists: filters, sort, fields, include, query counts."""

import datetime

import pytest

from activities.models import Activity
from tests.conftest import error_of
from tests.factories import ActivityFactory, ContactFactory, DealFactory, UserFactory
from tests.helpers.queries import count_queries, queries

T0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)


def at(days=0, hours=0):
    return T0 + datetime.timedelta(days=days, hours=hours)


def ids_of(rows):
    return [row["id"] for row in rows]


def test_the_seed_list_example(api, world, org):
    contact = world["contact"]
    email = ActivityFactory(org=org, type="email", contact=contact)
    ActivityFactory(org=org, type="call", contact=contact)
    ActivityFactory(org=org, type="email", contact=ContactFactory(org=org))
    body = api.get("/activities", type="email", contact_id=contact.typeid).json()
    assert ids_of(body["data"]) == [email.typeid]
    assert body["has_more"] is False and body["meta"] == {"cursor": None, "has_more": False}


def test_default_sort_is_newest_first(api, org):
    rows = [ActivityFactory(org=org, occurred_at=at(days=i)) for i in range(5)]
    assert ids_of(api.get_all("/activities")) == [a.typeid for a in reversed(rows)]


@pytest.fixture
def spread(org, world):
    other_contact = ContactFactory(org=org)
    other_deal = DealFactory(org=org)
    other_owner = UserFactory(org=org)
    make = ActivityFactory
    return {
        "a": make(
            org=org,
            type="call",
            status="completed",
            subtype="demo",
            source="gmail",
            external_id="x-1",
            contact=world["contact"],
            company=world["company"],
            deal=world["deal"],
            owner=world["owner"],
            direction="outbound",
            occurred_at=at(1),
            generated_by="agent-1",
            subject="Pricing call",
            body="We talked about the enterprise plan",
            duration=600,
        ),
        "b": make(
            org=org,
            type="email",
            status="draft",
            subtype="reply",
            source="outlook",
            contact=other_contact,
            deal=other_deal,
            owner=other_owner,
            direction="inbound",
            occurred_at=at(2),
            subject="Re: invoice",
            body="Invoice attached",
            duration=None,
        ),
        "c": make(
            org=org,
            type="meeting",
            status="scheduled",
            source="api",
            occurred_at=at(3),
            direction="na",
            subject="Quarterly review",
            body="Agenda: pricing and roadmap",
            duration=3600,
        ),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"type": "call"}, ["a"]),
        ({"type": "call,email"}, ["b", "a"]),
        ({"status": "draft,scheduled"}, ["c", "b"]),
        ({"subtype": "demo"}, ["a"]),
        ({"source": "gmail,outlook"}, ["b", "a"]),
        ({"external_id": "x-1"}, ["a"]),
        ({"direction": "inbound"}, ["b"]),
        ({"direction": "na,outbound"}, ["c", "a"]),
        ({"generated_by": "agent-1"}, ["a"]),
        ({"after": "2026-03-02T00:00:00Z"}, ["c", "b", "a"]),  # inclusive
        ({"after": "2026-03-02T00:00:01Z"}, ["c", "b"]),
        ({"before": "2026-03-03T00:00:00Z"}, ["a"]),  # exclusive
        ({"after": "2026-03-02", "before": "2026-03-04"}, ["b", "a"]),
        ({"search": "pricing"}, ["c", "a"]),
        ({"q": "invoice"}, ["b"]),
        ({"search": "nothing-matches-this"}, []),
    ],
)
def test_filters(api, spread, params, expected):
    assert ids_of(api.get_all("/activities", **params)) == [spread[key].typeid for key in expected]


def test_id_filters_take_several_ids(api, spread, world):
    both = api.get_all("/activities", contact_id=f"{world['contact'].typeid},{spread['b'].contact.typeid}")
    assert ids_of(both) == [spread["b"].typeid, spread["a"].typeid]
    assert ids_of(api.get_all("/activities", company_id=world["company"].typeid)) == [spread["a"].typeid]
    assert ids_of(api.get_all("/activities", deal_id=world["deal"].typeid)) == [spread["a"].typeid]
    assert ids_of(api.get_all("/activities", owner_id=world["owner"].typeid)) == [spread["a"].typeid]


@pytest.mark.parametrize(
    "params",
    [
        {"type": "calls"},
        {"type": "call,bogus"},
        {"status": "done"},
        {"direction": "up"},
        {"contact_id": "cont_x"},
        {"contact_id": "deal_01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        {"deal_id": "nope"},
        {"after": "last week"},
        {"before": "2026-13-01"},
        {"updated_after": "soon"},
        {"sort": "subject"},
        {"limit": "500"},
        {"include": "contact,secrets"},
        {"fields": "id,password"},
        {"cursor": "abc"},
    ],
)
def test_bad_list_parameters_are_400(api, params):
    response = api.get("/activities", **params)
    assert response.status_code == 400
    assert error_of(response)["code"] in {"validation_error", "invalid_cursor"}


def test_unknown_filter_is_400(api):
    assert error_of(api.get("/activities", contactid="cont_x"))["code"] == "unknown_field"


@pytest.mark.parametrize(
    "sort",
    [
        "occurred_at",
        "-occurred_at",
        "created_at",
        "-created_at",
        "updated_at",
        "-updated_at",
        "duration",
        "-duration",
    ],
)
def test_every_sort_with_ties_pages_through_every_row_once(api, org, sort):
    for i in range(23):
        ActivityFactory(org=org, occurred_at=at(i % 3), duration=None if i % 4 == 0 else i % 5)
    Activity.objects.filter(org=org).update(created_at=at(1), updated_at=at(2))  # all tied
    rows = api.get_all("/activities", sort=sort, limit=4)
    assert len(rows) == 23
    assert len(set(ids_of(rows))) == 23
    field, descending = sort.lstrip("-"), sort.startswith("-")
    stored = {a.typeid: a for a in Activity.objects.filter(org=org)}
    largest = 2**40  # NULL sorts as the largest value
    keys = [
        (
            getattr(stored[r["id"]], field) if getattr(stored[r["id"]], field) is not None else largest,
            stored[r["id"]].id,
        )
        for r in rows
    ]
    assert keys == sorted(keys, reverse=descending)


def test_sparse_fields(api, spread):
    rows = api.get_all("/activities", fields="type,subject")
    assert all(set(r) == {"id", "type", "subject"} for r in rows)
    one = api.get(f"/activities/{spread['a'].typeid}", fields="subject").json()["data"]
    assert set(one) == {"id", "subject", "relationships"}


def test_include_embeds_summaries_on_each_row(api, spread, world):
    rows = api.get_all("/activities", include="contact,deal")
    by_id = {r["id"]: r for r in rows}
    assert by_id[spread["a"].typeid]["relationships"] == {
        "contact": {"type": "contact", "id": world["contact"].typeid, "name": "Ada Lovelace"},
        "deal": {"type": "deal", "id": world["deal"].typeid, "name": "Acme Enterprise Plan"},
    }
    assert by_id[spread["c"].typeid]["relationships"] == {"contact": None, "deal": None}
    assert "relationships" not in api.get_all("/activities")[0]


def test_list_with_include_costs_the_same_queries_for_1_and_200_rows(api, org, world):
    def count():
        with queries() as sql:
            response = api.get_ok("/activities", include="contact,deal,company,owner", limit=200)
        return len(sql), len(response.json()["data"])

    ActivityFactory(
        org=org, contact=world["contact"], deal=world["deal"], company=world["company"], owner=world["owner"]
    )
    api.get("/activities")  # the key's last_used_at is written once
    one = count()
    contacts = ContactFactory.create_batch(20, org=org)
    deals = DealFactory.create_batch(5, org=org)
    for i in range(199):
        ActivityFactory(
            org=org,
            contact=contacts[i % 20],
            deal=deals[i % 5],
            company=world["company"],
            owner=world["owner"],
        )
    many = count()
    assert one[1] == 1 and many[1] == 200
    assert one[0] == many[0]


def test_detail_query_count_is_bounded(api, org, world):
    activity = ActivityFactory(
        org=org, contact=world["contact"], deal=world["deal"], company=world["company"], owner=world["owner"]
    )
    api.get("/activities")
    detail = count_queries(lambda: api.get_ok(f"/activities/{activity.typeid}"))
    assert detail <= 7  # key, rate limit, row, four links


# -- sub-lists ------------------------------------------------------------------------------


def test_contact_company_and_deal_timelines(api, org, world):
    contact, company, deal = world["contact"], world["company"], world["deal"]
    on_contact = ActivityFactory(org=org, contact=contact, occurred_at=at(1))
    on_company = ActivityFactory(org=org, company=company, occurred_at=at(2))
    on_deal = ActivityFactory(org=org, deal=deal, occurred_at=at(3))
    ActivityFactory(org=org, contact=ContactFactory(org=org), occurred_at=at(4))
    assert ids_of(api.get_all(f"/contacts/{contact.typeid}/activities")) == [on_contact.typeid]
    # The company's timeline rolls up its contacts' activities.
    assert ids_of(api.get_all(f"/companies/{company.typeid}/activities")) == [
        on_company.typeid,
        on_contact.typeid,
    ]
    assert ids_of(api.get_all(f"/deals/{deal.typeid}/activities")) == [on_deal.typeid]
    sub = api.get_all(
        f"/companies/{company.typeid}/activities", sort="occurred_at", limit=1, fields="subject"
    )
    assert ids_of(sub) == [on_contact.typeid, on_company.typeid]
    assert ids_of(api.get_all(f"/contacts/{contact.typeid}/activities", type="call")) == []


def test_sub_lists_404_for_unknown_or_foreign_parents(api, foreign):
    for kind, path in [("contact", "contacts"), ("company", "companies"), ("deal", "deals")]:
        for parent_id in [
            foreign[kind].typeid,
            f"{foreign[kind].type_prefix}_01ARZ3NDEKTSV4RRFFQ69G5FAV",
            "x",
        ]:
            response = api.get(f"/{path}/{parent_id}/activities")
            assert response.status_code == 404
            assert error_of(response)["message"] == f"{kind.capitalize()} not found."


def test_deleting_a_contact_keeps_its_activities(api, org, world):
    activity = ActivityFactory(org=org, contact=world["contact"], deal=world["deal"])
    world["contact"].delete()
    world["deal"].delete()
    data = api.get(f"/activities/{activity.typeid}").json()["data"]
    assert data["contact_id"] is None and data["deal_id"] is None
