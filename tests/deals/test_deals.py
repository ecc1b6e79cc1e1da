"""/deals: fields and validation, stage rules, history, won/lost, computed fields, filters."""

import datetime
import itertools

import pytest

from deals import services
from deals.models import Deal, DealStageChange
from rexcrm.core import ids
from tests.conftest import error_of
from tests.deals.conftest import T0, stage_ids, tid
from tests.factories import CompanyFactory, ContactFactory, UserFactory
from tests.helpers.queries import count_queries


def create(api, **body):
    response = api.post("/deals", {"name": "Deal", **body})
    assert response.status_code == 201, response.content
    return response.json()["data"]


def history(api, deal_id):
    return [(h["from_stage_id"], h["to_stage_id"]) for h in api.get_all(f"/deals/{deal_id}/history")]


# -- create and read --------------------------------------------------------------------------


def test_create_with_defaults(api, pipeline, stages, frozen):
    with frozen(T0):
        data = create(api, name="Acme Enterprise Plan")
    assert data == {
        "id": data["id"],
        "name": "Acme Enterprise Plan",
        "pipeline_id": tid(pipeline),
        "stage_id": tid(stages[0]),
        "contact_id": None,
        "company_id": None,
        "owner_id": None,
        "value": 0,
        "currency": "USD",
        "status": "open",
        "expected_close": None,
        "source": "",
        "lost_reason": "",
        "product_ids": [],
        "metadata": {},
        "days_in_stage": data["days_in_stage"],
        "deal_age_days": data["deal_age_days"],
        "stage_entered_at": "2026-03-02T09:00:00Z",
        "closed_at": None,
        "last_activity_at": None,
        "created_at": "2026-03-02T09:00:00Z",
        "updated_at": data["updated_at"],
        "relationships": {
            "contact": None,
            "company": None,
            "owner": None,
            "pipeline": {"type": "pipeline", "id": tid(pipeline), "name": "Sales Pipeline"},
        },
    }
    assert data["id"].startswith("deal_")
    with frozen(T0):
        full = api.get(f"/deals/{data['id']}").json()
    assert full["data"] == data and full["included"] == []


def test_create_with_every_field(org, api, stages):
    contact, company, owner = ContactFactory(org=org), CompanyFactory(org=org), UserFactory(org=org)
    products = [services.product_create(actor=None, org=org, name=f"P{n}", slug=f"p{n}") for n in range(3)]
    data = create(
        api,
        name="Big one",
        stage_id=tid(stages[2]),
        contact_id=tid(contact),
        company_id=tid(company),
        owner_id=tid(owner),
        value=1_250_000,
        currency="eur",
        status="stalled",
        expected_close="2026-06-30",
        source="referral",
        lost_reason="",
        product_ids=[tid(products[2]), tid(products[0]), tid(products[2]).lower()],
        metadata={"crm": {"legacy_id": 7}},
    )
    assert data["stage_id"] == tid(stages[2]) and data["pipeline_id"] == tid(stages[2].pipeline)
    assert (data["contact_id"], data["company_id"], data["owner_id"]) == (
        tid(contact),
        tid(company),
        tid(owner),
    )
    assert (data["value"], data["currency"], data["status"]) == (1_250_000, "EUR", "stalled")
    assert data["expected_close"] == "2026-06-30" and data["source"] == "referral"
    assert data["product_ids"] == sorted([tid(products[0]), tid(products[2])])  # in id order, once each
    assert data["metadata"] == {"crm": {"legacy_id": 7}}
    assert data["relationships"]["owner"] == {"type": "user", "id": tid(owner), "name": owner.name}
    included = api.get(f"/deals/{data['id']}", include="contact,company").json()["included"]
    assert [(i["type"], i["id"]) for i in included] == [("contact", tid(contact)), ("company", tid(company))]


def test_expected_close_accepts_a_datetime_and_keeps_its_date(api, pipeline):
    assert create(api, expected_close="2026-06-30T23:30:00-05:00")["expected_close"] == "2026-06-30"
    assert create(api, expected_close="2026-07-01T00:10:00Z")["expected_close"] == "2026-07-01"
    assert create(api, expected_close=None)["expected_close"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": 42}, "name"),
        ({"name": "x" * 256}, "name"),
        ({"value": -1}, "value"),
        ({"value": 10.5}, "value"),
        ({"value": 10.0}, "value"),
        ({"value": "1000"}, "value"),
        ({"value": True}, "value"),
        ({"value": None}, "value"),
        ({"value": 2**53}, "value"),
        ({"currency": "usd1"}, "currency"),
        ({"currency": "ABC"}, "currency"),
        ({"currency": "XAU"}, "currency"),
        ({"currency": 840}, "currency"),
        ({"currency": ""}, "currency"),
        ({"status": "closed"}, "status"),
        ({"status": "OPEN"}, "status"),
        ({"expected_close": "next week"}, "expected_close"),
        ({"expected_close": "2026-02-30"}, "expected_close"),
        ({"expected_close": 20260630}, "expected_close"),
        ({"source": 1}, "source"),
        ({"source": "s" * 256}, "source"),
        ({"lost_reason": ["a"]}, "lost_reason"),
        ({"metadata": "x"}, "metadata"),
        ({"metadata": {"k": "v" * 17000}}, "metadata"),
        ({"pipeline_id": "pipe_nope"}, "pipeline_id"),
        ({"pipeline_id": None}, "pipeline_id"),
        ({"stage_id": "deal_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "stage_id"),
        ({"contact_id": "comp_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "contact_id"),
        ({"owner_id": 7}, "owner_id"),
        ({"product_ids": "prod_01ARZ3NDEKTSV4RRFFQ69G5FAV"}, "product_ids"),
        ({"product_ids": ["stg_01ARZ3NDEKTSV4RRFFQ69G5FAV"]}, "product_ids"),
        ({"product_ids": ["prod_01ARZ3NDEKTSV4RRFFQ69G5FAV"] * 101}, "product_ids"),
    ],
)
def test_field_validation(api, pipeline, body, field):
    response = api.post("/deals", {"name": "Deal", **body})
    error = error_of(response)
    assert response.status_code == 400 and error["code"] == "validation_error", error
    assert set(error["fields"]) == {field}, error
    assert not Deal.objects.exists()


def test_references_of_another_organization_are_invalid_references(other_org, api, pipeline):
    other_pipeline = services.pipeline_default(org=other_org)
    foreign = {
        "pipeline_id": tid(other_pipeline),
        "stage_id": tid(other_pipeline.stages.first()),
        "contact_id": tid(ContactFactory(org=other_org)),
        "company_id": tid(CompanyFactory(org=other_org)),
        "owner_id": tid(UserFactory(org=other_org)),
        "product_ids": [tid(services.product_create(actor=None, org=other_org, name="P", slug="p"))],
    }
    for field, value in foreign.items():
        error = error_of(api.post("/deals", {"name": "Deal", field: value}))
        assert error["code"] == "invalid_reference" and set(error["fields"]) == {field}, (field, error)
        assert "in this organization" in error["message"]
    unknown = "cont_01ARZ3NDEKTSV4RRFFQ69G5FAV"
    error = error_of(api.post("/deals", {"name": "Deal", "contact_id": unknown}))
    assert error["code"] == "invalid_reference"  # the same answer as for another organization's id
    assert not Deal.objects.exists()
    deal = create(api)
    for field, value in foreign.items():
        error = error_of(api.patch(f"/deals/{deal['id']}", {field: value}))
        assert error["code"] == "invalid_reference" and set(error["fields"]) == {field}, (field, error)
    assert api.get(f"/deals/{deal['id']}").json()["data"]["updated_at"] == deal["updated_at"]
    assert DealStageChange.objects.count() == 0


def test_unknown_field_and_read_only_fields(api, pipeline):
    assert error_of(api.post("/deals", {"name": "D", "stage": "x"}))["code"] == "unknown_field"
    data = create(api, closed_at="2020-01-01T00:00:00Z", days_in_stage=99, last_activity_at="2020-01-01")
    assert data["closed_at"] is None and data["days_in_stage"] == 0 and data["last_activity_at"] is None


# -- pipelines and stages on create -----------------------------------------------------------


def test_stage_rules_on_create(org, api, pipeline, stages):
    other = services.pipeline_create(
        actor=None, org=org, name="Renewals", stages=[{"name": "Due"}, {"name": "Done"}]
    )
    other_stages = list(other.stages.order_by("position"))
    # pipeline alone: its first stage
    data = create(api, pipeline_id=tid(other))
    assert (data["pipeline_id"], data["stage_id"]) == (tid(other), tid(other_stages[0]))
    # stage alone: its pipeline
    data = create(api, stage_id=tid(other_stages[1]))
    assert (data["pipeline_id"], data["stage_id"]) == (tid(other), tid(other_stages[1]))
    # both must agree
    error = error_of(
        api.post("/deals", {"name": "D", "pipeline_id": tid(pipeline), "stage_id": tid(other_stages[0])})
    )
    assert error["code"] == "invalid_reference" and set(error["fields"]) == {"stage_id"}
    # a pipeline without stages cannot hold deals
    empty = services.pipeline_create(actor=None, org=org, name="Empty")
    response = api.post("/deals", {"name": "D", "pipeline_id": tid(empty)})
    error = error_of(response)  # the stored state refuses it: 409
    assert response.status_code == 409 and error["code"] == "conflict" and "pipeline_id" in error["fields"]


def test_created_on_a_closed_stage_is_closed(api, stages, frozen):
    with frozen(T0):
        won = create(api, stage_id=tid(stages[4]))
        lost = create(api, stage_id=tid(stages[5]), status="lost", lost_reason="Budget")
    assert (won["status"], won["closed_at"]) == ("won", "2026-03-02T09:00:00Z")
    assert (lost["status"], lost["lost_reason"]) == ("lost", "Budget")
    response = api.post("/deals", {"name": "D", "stage_id": tid(stages[4]), "status": "open"})
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"
    assert list(error_of(response)["fields"]) == ["status"]
    with frozen(T0):
        born_won = create(api, status="won")  # an open stage with a won status (kept as sent)
    assert (born_won["status"], born_won["closed_at"]) == ("won", "2026-03-02T09:00:00Z")
    assert history(api, won["id"]) == []  # creation is not a stage change


# -- moving: the stage endpoint ---------------------------------------------------------------


def test_stage_endpoint_moves_and_writes_one_history_row(api, stages, frozen):
    deal = create(api)
    with frozen(T0):
        response = api.post(f"/deals/{deal['id']}/stage", {"stage_id": tid(stages[2])})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["stage_id"] == tid(stages[2]) and data["stage_entered_at"] == "2026-03-02T09:00:00Z"
    assert data["status"] == "open" and data["closed_at"] is None
    rows = api.get_all(f"/deals/{deal['id']}/history")
    assert rows == [
        {
            "id": rows[0]["id"],
            "from_stage_id": tid(stages[0]),
            "to_stage_id": tid(stages[2]),
            "changed_at": "2026-03-02T09:00:00Z",
            "changed_by": None,  # an API key is not a person
        }
    ]
    assert rows[0]["id"].startswith("dsc_")
    # The same stage again is a no-op: no row, stage_entered_at kept.
    with frozen(T0 + datetime.timedelta(days=3)):
        again = api.post(f"/deals/{deal['id']}/stage", {"stage_id": tid(stages[2])}).json()["data"]
    assert again["stage_entered_at"] == "2026-03-02T09:00:00Z"
    assert len(api.get_all(f"/deals/{deal['id']}/history")) == 1


def test_stage_endpoint_refuses_another_pipelines_stage(org, other_org, api, stages):
    deal = create(api)
    other = services.pipeline_create(actor=None, org=org, name="Other", stages=[{"name": "X"}])
    stranger = services.pipeline_default(org=other_org).stages.first()
    cases = [
        ({"stage_id": tid(other.stages.get())}, "invalid_reference"),
        ({"stage_id": tid(stranger)}, "invalid_reference"),
        ({"stage_id": "stg_x"}, "validation_error"),
        ({"stage_id": None}, "validation_error"),
        ({}, "validation_error"),
        ({"stage_id": tid(stages[1]), "note": "x"}, "unknown_field"),
    ]
    for body, code in cases:
        response = api.post(f"/deals/{deal['id']}/stage", body)
        assert response.status_code == 400 and error_of(response)["code"] == code, body
    assert api.get(f"/deals/{deal['id']}").json()["data"]["stage_id"] == tid(stages[0])
    assert not DealStageChange.objects.exists()
    assert (
        api.post("/deals/deal_01ARZ3NDEKTSV4RRFFQ69G5FAV/stage", {"stage_id": tid(stages[1])}).status_code
        == 404
    )


def test_won_lost_and_reopen_effects(api, stages, frozen):
    deal = create(api, stage_id=tid(stages[3]))
    move = lambda stage: api.post(f"/deals/{deal['id']}/stage", {"stage_id": tid(stage)}).json()["data"]  # noqa: E731
    with frozen(T0):
        won = move(stages[4])
    assert (won["status"], won["closed_at"]) == ("won", "2026-03-02T09:00:00Z")
    with frozen(T0 + datetime.timedelta(days=1)):
        lost = move(stages[5])
    assert (lost["status"], lost["closed_at"]) == ("lost", "2026-03-03T09:00:00Z")
    with frozen(T0 + datetime.timedelta(days=2)):
        reopened = move(stages[1])
    assert (reopened["status"], reopened["closed_at"]) == ("open", None)
    assert history(api, deal["id"]) == [
        (tid(stages[3]), tid(stages[4])),
        (tid(stages[4]), tid(stages[5])),
        (tid(stages[5]), tid(stages[1])),
    ]


def test_moving_between_open_stages_keeps_a_stalled_status(api, stages):
    deal = create(api, status="stalled")
    data = api.post(f"/deals/{deal['id']}/stage", {"stage_id": tid(stages[1])}).json()["data"]
    assert data["status"] == "stalled"


# -- moving: PATCH ----------------------------------------------------------------------------


def test_patch_stage_goes_through_the_move(api, stages, frozen):
    deal = create(api)
    with frozen(T0):
        data = api.patch(f"/deals/{deal['id']}", {"stage_id": tid(stages[4]), "value": 500}).json()["data"]
    assert (data["stage_id"], data["status"], data["closed_at"], data["value"]) == (
        tid(stages[4]),
        "won",
        "2026-03-02T09:00:00Z",
        500,
    )
    assert history(api, deal["id"]) == [(tid(stages[0]), tid(stages[4]))]
    api.patch(f"/deals/{deal['id']}", {"stage_id": tid(stages[4]), "name": "Renamed"})  # no-op move
    api.patch(f"/deals/{deal['id']}", {"name": "Renamed again"})
    assert len(history(api, deal["id"])) == 1
    response = api.patch(f"/deals/{deal['id']}", {"stage_id": tid(stages[5]), "status": "won"})
    assert response.status_code == 409 and list(error_of(response)["fields"]) == ["status"]
    assert (
        api.patch(f"/deals/{deal['id']}", {"stage_id": tid(stages[5]), "status": "lost"}).status_code == 200
    )
    assert len(history(api, deal["id"])) == 2


def test_patch_pipeline_rules(org, api, pipeline, stages):
    other = services.pipeline_create(actor=None, org=org, name="Other", stages=[{"name": "A"}, {"name": "B"}])
    other_stages = list(other.stages.order_by("position"))
    deal = create(api, stage_id=tid(stages[1]))
    # a stage of another pipeline alone is refused: say pipeline_id too
    error = error_of(api.patch(f"/deals/{deal['id']}", {"stage_id": tid(other_stages[1])}))
    assert error["code"] == "invalid_reference" and "pipeline_id" in error["message"]
    # pipeline and a stage of another one
    error = error_of(
        api.patch(f"/deals/{deal['id']}", {"pipeline_id": tid(other), "stage_id": tid(stages[2])})
    )
    assert error["code"] == "invalid_reference" and "stage_id" in error["fields"]
    for field in ("pipeline_id", "stage_id"):
        assert error_of(api.patch(f"/deals/{deal['id']}", {field: None}))["code"] == "validation_error"
    assert history(api, deal["id"]) == []
    # pipeline alone: its first stage
    data = api.patch(f"/deals/{deal['id']}", {"pipeline_id": tid(other)}).json()["data"]
    assert (data["pipeline_id"], data["stage_id"]) == (tid(other), tid(other_stages[0]))
    # both, agreeing
    data = api.patch(
        f"/deals/{deal['id']}", {"pipeline_id": tid(pipeline), "stage_id": tid(stages[3])}
    ).json()["data"]
    assert (data["pipeline_id"], data["stage_id"]) == (tid(pipeline), tid(stages[3]))
    # the current pipeline again, no stage: nothing moves
    api.patch(f"/deals/{deal['id']}", {"pipeline_id": tid(pipeline)})
    assert history(api, deal["id"]) == [
        (tid(stages[1]), tid(other_stages[0])),
        (tid(other_stages[0]), tid(stages[3])),
    ]


def test_patch_status_records_and_clears_closed_at(api, stages, frozen):
    deal = create(api)
    with frozen(T0):
        won = api.patch(f"/deals/{deal['id']}", {"status": "won"}).json()["data"]
    assert (won["status"], won["closed_at"], won["stage_id"]) == (
        "won",
        "2026-03-02T09:00:00Z",
        tid(stages[0]),
    )
    with frozen(T0 + datetime.timedelta(days=1)):
        lost = api.patch(f"/deals/{deal['id']}", {"status": "lost", "lost_reason": "Price"}).json()["data"]
    assert lost["closed_at"] == "2026-03-02T09:00:00Z"  # still closed since then
    reopened = api.patch(f"/deals/{deal['id']}", {"status": "open"}).json()["data"]
    assert reopened["closed_at"] is None
    assert history(api, deal["id"]) == []  # status alone is not a stage change


def test_patch_changes_only_sent_fields(org, api, stages):
    products = [services.product_create(actor=None, org=org, name=f"P{n}", slug=f"p{n}") for n in range(2)]
    contact = ContactFactory(org=org)
    deal = create(
        api,
        value=100,
        currency="GBP",
        contact_id=tid(contact),
        product_ids=[tid(p) for p in products],
        metadata={"a": 1},
        expected_close="2026-05-01",
    )
    data = api.patch(f"/deals/{deal['id']}", {"name": "Renamed"}).json()["data"]
    unchanged = {k: v for k, v in deal.items() if k not in {"name", "updated_at"}}
    assert {k: v for k, v in data.items() if k in unchanged} == unchanged
    data = api.patch(f"/deals/{deal['id']}", {"product_ids": [tid(products[1])], "contact_id": None}).json()[
        "data"
    ]
    assert data["product_ids"] == [tid(products[1])] and data["contact_id"] is None and data["value"] == 100
    data = api.patch(f"/deals/{deal['id']}", {"product_ids": [], "expected_close": None}).json()["data"]
    assert data["product_ids"] == [] and data["expected_close"] is None
    assert data["updated_at"] > deal["updated_at"]
    error = error_of(api.patch(f"/deals/{deal['id']}", {"value": -5}))
    assert error["code"] == "validation_error" and "value" in error["fields"]


# -- computed fields --------------------------------------------------------------------------


def test_days_in_stage_and_deal_age_against_a_fixed_clock(api, stages, frozen):
    with frozen(T0):
        deal = create(api)
    with frozen(T0 + datetime.timedelta(days=10, hours=5)):
        api.post(f"/deals/{deal['id']}/stage", {"stage_id": tid(stages[1])})
    with frozen(T0 + datetime.timedelta(days=12, hours=23)):
        data = api.get(f"/deals/{deal['id']}").json()["data"]
        listed = api.get("/deals").json()["data"][0]
    assert (data["days_in_stage"], data["deal_age_days"]) == (2, 12)
    assert data["stage_entered_at"] == "2026-03-12T14:00:00Z"
    assert listed == {k: v for k, v in data.items() if k != "relationships"}
    # Closed: the age stops at closed_at; days in stage keep counting.
    with frozen(T0 + datetime.timedelta(days=20)):
        api.post(f"/deals/{deal['id']}/stage", {"stage_id": tid(stages[4])})
    with frozen(T0 + datetime.timedelta(days=50)):
        data = api.get(f"/deals/{deal['id']}").json()["data"]
    assert (data["deal_age_days"], data["days_in_stage"]) == (20, 30)


def test_last_activity_at_is_exposed(org, api, pipeline):
    deal = create(api)
    Deal.objects.filter(pk=ids.decode("deal", deal["id"])).update(last_activity_at=T0)
    assert api.get(f"/deals/{deal['id']}").json()["data"]["last_activity_at"] == "2026-03-02T09:00:00Z"


# -- history ----------------------------------------------------------------------------------


def test_history_is_oldest_first_paginated_and_names_the_member(org, api, stages, frozen):
    member = UserFactory(org=org)
    deal = create(api)
    deal_obj = Deal.objects.get(pk=ids.decode("deal", deal["id"]))
    for n in range(7):
        with frozen(T0 + datetime.timedelta(hours=n)):
            deal_obj = services.deal_move_stage(
                org=deal_obj.org, deal=deal_obj, stage=stages[(n + 1) % 4], actor=member
            )
    rows = api.get_all(f"/deals/{deal['id']}/history", limit=3)
    assert [r["changed_at"] for r in rows] == sorted(r["changed_at"] for r in rows) and len(rows) == 7
    assert {r["changed_by"] for r in rows} == {tid(member)}
    assert [r["to_stage_id"] for r in rows] == [tid(stages[(n + 1) % 4]) for n in range(7)]
    assert all(a["to_stage_id"] == b["from_stage_id"] for a, b in itertools.pairwise(rows))
    newest = api.get(f"/deals/{deal['id']}/history", sort="-changed_at", limit=1).json()["data"][0]
    assert newest == rows[-1]
    assert error_of(api.get(f"/deals/{deal['id']}/history", sort="name"))["code"] == "validation_error"


def test_history_of_unknown_or_foreign_deals_is_404(other_org, api, pipeline):
    stranger = services.deal_create(actor=None, org=other_org, name="Theirs")
    for deal_id in [tid(stranger), "deal_nope", "cont_01ARZ3NDEKTSV4RRFFQ69G5FAV"]:
        response = api.get(f"/deals/{deal_id}/history")
        assert response.status_code == 404 and error_of(response)["message"] == "Deal not found."


def test_deleting_a_deal_removes_its_history_and_product_links(org, api, stages):
    product = services.product_create(actor=None, org=org, name="P", slug="p")
    deal = create(api, product_ids=[tid(product)])
    api.post(f"/deals/{deal['id']}/stage", {"stage_id": tid(stages[1])})
    assert api.delete(f"/deals/{deal['id']}").status_code == 204
    assert api.get(f"/deals/{deal['id']}").status_code == 404
    assert not DealStageChange.objects.exists()
    assert api.get(f"/products/{tid(product)}").status_code == 200


# -- filters and sorts ------------------------------------------------------------------------


@pytest.fixture
def spread(org, api, pipeline, stages):
    """Six deals with varied fields: name -> data."""
    contact, company, owner = ContactFactory(org=org), CompanyFactory(org=org), UserFactory(org=org)
    other = services.pipeline_create(actor=None, org=org, name="Other", stages=[{"name": "X"}])
    made = [
        create(api, name="Alpha", value=100, expected_close="2026-01-10", contact_id=tid(contact)),
        create(api, name="Bravo", value=5000, expected_close="2026-01-20", company_id=tid(company)),
        create(api, name="Charlie", value=900, stage_id=tid(stages[4]), owner_id=tid(owner)),
        create(api, name="Delta", value=0, stage_id=tid(stages[5]), expected_close="2026-02-01"),
        create(api, name="Echo alpha", value=2500, status="stalled", pipeline_id=tid(other)),
        create(api, name="Foxtrot", value=100, expected_close="2026-01-20", stage_id=tid(stages[1])),
    ]
    return {
        d["name"]: d | {"_contact": tid(contact), "_company": tid(company), "_owner": tid(owner)}
        for d in made
    }


def names(api, path="/deals", **params):
    return sorted(d["name"] for d in api.get_all(path, **params))


def test_filters(api, spread, stages):
    any_ = next(iter(spread.values()))
    assert names(api, status="won,lost") == ["Charlie", "Delta"]
    assert names(api, status="stalled") == ["Echo alpha"]
    assert names(api, pipeline_id=spread["Echo alpha"]["pipeline_id"]) == ["Echo alpha"]
    assert names(api, stage_id=f"{tid(stages[1])},{tid(stages[4])}") == ["Charlie", "Foxtrot"]
    assert names(api, contact_id=any_["_contact"]) == ["Alpha"]
    assert names(api, company_id=any_["_company"]) == ["Bravo"]
    assert names(api, owner_id=any_["_owner"]) == ["Charlie"]
    assert names(api, value_min=900) == ["Bravo", "Charlie", "Echo alpha"]
    assert names(api, value_min=100, value_max=900) == ["Alpha", "Charlie", "Foxtrot"]
    assert names(api, expected_close_after="2026-01-20") == ["Bravo", "Delta", "Foxtrot"]
    assert names(api, expected_close_before="2026-01-20") == ["Alpha"]  # exclusive
    assert names(api, expected_close_after="2026-01-10", expected_close_before="2026-02-01") == [
        "Alpha",
        "Bravo",
        "Foxtrot",
    ]
    assert names(api, search="ALPHA") == ["Alpha", "Echo alpha"]
    assert names(api, q="echo") == ["Echo alpha"]  # q is an alias of search


@pytest.mark.parametrize(
    "params",
    [
        {"status": "closed"},
        {"status": "open,nope"},
        {"pipeline_id": "stg_01ARZ3NDEKTSV4RRFFQ69G5FAV"},
        {"stage_id": "garbage"},
        {"contact_id": "cont_x"},
        {"value_min": "1e3"},
        {"value_max": "ten"},
        {"expected_close_after": "soon"},
        {"expected_close_before": "2026-13-01"},
        {"updated_after": "yesterday"},
        {"colour": "red"},
    ],
)
def test_bad_filter_values_are_400(api, pipeline, params):
    response = api.get("/deals", **params)
    error = error_of(response)
    assert response.status_code == 400 and error["code"] in {"validation_error", "unknown_field"}
    assert set(params) <= set(error["fields"])


def test_sorts(api, spread):
    by_value = [d["name"] for d in api.get_all("/deals", sort="value", limit=2)]
    assert by_value[:2] == ["Delta", "Alpha"] and by_value[-1] == "Bravo" and len(by_value) == 6
    assert [d["name"] for d in api.get_all("/deals", sort="-value", limit=4)] == by_value[::-1]
    by_close = [d["expected_close"] for d in api.get_all("/deals", sort="expected_close", limit=2)]
    assert by_close == ["2026-01-10", "2026-01-20", "2026-01-20", "2026-02-01", None, None]  # no date last
    assert [d["name"] for d in api.get_all("/deals", sort="name", limit=5)] == sorted(spread)
    newest_first = [d["name"] for d in api.get_all("/deals", limit=4)]
    assert newest_first == list(spread)[::-1]
    assert api.get_all("/deals", sort="updated_at")


def test_sub_lists(org, other_org, api, spread, pipeline):
    any_ = next(iter(spread.values()))
    assert names(api, f"/pipelines/{tid(pipeline)}/deals") == [
        "Alpha",
        "Bravo",
        "Charlie",
        "Delta",
        "Foxtrot",
    ]
    assert names(api, f"/pipelines/{tid(pipeline)}/deals", status="open", limit=1) == [
        "Alpha",
        "Bravo",
        "Foxtrot",
    ]
    assert names(api, f"/contacts/{any_['_contact']}/deals") == ["Alpha"]
    assert names(api, f"/companies/{any_['_company']}/deals") == ["Bravo"]
    page = api.get(f"/pipelines/{tid(pipeline)}/deals", limit=2, fields="name").json()
    assert set(page["data"][0]) == {"id", "name"} and page["has_more"] is True
    stranger = services.pipeline_default(org=other_org)
    for path, message in [
        (f"/pipelines/{tid(stranger)}/deals", "Pipeline not found."),
        ("/pipelines/pipe_x/deals", "Pipeline not found."),
        (f"/contacts/{tid(ContactFactory(org=other_org))}/deals", "Contact not found."),
        (f"/companies/{tid(CompanyFactory(org=other_org))}/deals", "Company not found."),
        (f"/companies/{any_['_contact']}/deals", "Company not found."),
    ]:
        response = api.get(path)
        assert response.status_code == 404 and error_of(response)["message"] == message, path


def test_include_on_lists(org, api, spread):
    rows = api.get_all("/deals", include="contact,owner", sort="name")
    assert rows[0]["relationships"]["contact"]["id"] == spread["Alpha"]["_contact"]
    assert rows[2]["relationships"]["owner"]["id"] == spread["Charlie"]["_owner"]
    assert error_of(api.get("/deals", include="stage"))["code"] == "validation_error"


def test_list_query_counts_are_constant(org, api, pipeline, stages):
    contact, company, owner = ContactFactory(org=org), CompanyFactory(org=org), UserFactory(org=org)
    products = [services.product_create(actor=None, org=org, name=f"P{n}", slug=f"p{n}") for n in range(3)]

    def make(n):
        for i in range(n):
            deal = services.deal_create(
                actor=None,
                org=org,
                name=f"D{i}",
                contact=contact,
                company=company,
                owner=owner,
                products=products[: i % 3],
            )
            services.deal_move_stage(org=deal.org, actor=None, deal=deal, stage=stages[1 + i % 4])

    make(1)
    deal_id = tid(Deal.objects.first())
    paths = [
        ("/deals", {}),
        ("/deals", {"include": "contact,company,owner,pipeline"}),
        ("/deals", {"sort": "expected_close", "status": "open,won"}),
        (f"/pipelines/{tid(pipeline)}/deals", {}),
        (f"/contacts/{tid(contact)}/deals", {}),
        (f"/companies/{tid(company)}/deals", {}),
        (f"/deals/{deal_id}/history", {}),
    ]

    def query_count(path, **params):
        return count_queries(lambda: api.get_ok(path, limit=200, **params))

    api.get_ok("/deals")  # the key's first use writes last_used_at
    one = {path + str(params): query_count(path, **params) for path, params in paths}
    make(199)
    for n in range(199):  # a long history for the first deal
        services.deal_move_stage(
            org=org, actor=None, deal=Deal.objects.get(pk=ids.decode("deal", deal_id)), stage=stages[n % 4]
        )
    many = {path + str(params): query_count(path, **params) for path, params in paths}
    assert many == one, (one, many)
    assert len(api.get("/deals", limit=200).json()["data"]) == 200


def test_stage_ids_helper_matches_api(api, pipeline):
    assert [s["id"] for s in api.get(f"/pipelines/{tid(pipeline)}").json()["data"]["stages"]] == stage_ids(
        pipeline
    )
