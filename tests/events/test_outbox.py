"""Every mutation path appends its events in its own transaction: the object after the change in
its API shape, the previous values of what changed, the actor; none on rollback or no-op; bulk
paths with one INSERT."""

import datetime

import orjson
import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from activities import services as activities
from contacts import services as contacts
from deals import services as deals
from rexcrm.core.exceptions import ConflictError
from rexcrm.core.ids import decode
from rexcrm.events.models import Event
from tests.factories import UserFactory


def log(org, since: int = 0) -> list[tuple[str, dict, str]]:
    """``(type, data, actor_id)`` of the organization's events after ``since`` (an event pk)."""
    rows = Event.objects.for_org(org).filter(id__gt=since, webhook__isnull=True).order_by("txid", "id")
    return [(e.type, orjson.loads(e.data), e.actor_id) for e in rows]


def last_pk() -> int:
    return Event.objects.order_by("-id").values_list("id", flat=True).first() or 0


def shape(data: dict) -> dict:
    """An object as a list row shows it (GET one adds ``relationships``)."""
    return {key: value for key, value in data.items() if key != "relationships"}


def event_inserts(queries) -> int:
    return sum(1 for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "events_event"'))


@pytest.fixture
def member(org):
    return UserFactory(org=org)


def test_contact_create_update_noop_and_delete(org, api):
    created = api.post("/contacts", {"email": "ada@acme.example", "first_name": "Ada"}).json()["data"]
    start = last_pk()
    api.patch(f"/contacts/{created['id']}", {"title": "CTO", "first_name": "Ada"})
    api.patch(f"/contacts/{created['id']}", {"title": "CTO"})  # no change: no event
    got = shape(api.get(f"/contacts/{created['id']}").json()["data"])
    api.delete(f"/contacts/{created['id']}")
    (updated, data, actor), (deleted, gone, _) = log(org, start)
    assert (updated, deleted) == ("contact.updated", "contact.deleted")
    assert actor == api.key.typeid
    assert data["object"] == got  # exactly GET's shape, as of the change
    assert data["previous"] == {"title": "", "updated_at": created["updated_at"]}
    assert gone == {"object": got, "previous": {}}


def test_create_events_hold_the_api_shape(org, api):
    response = api.post("/contacts", {"email": "bo@acme.example", "metadata": {"tier": 1}})
    (kind, data, _), *_ = log(org)
    assert kind == "contact.created" and data == {"object": shape(response.json()["data"]), "previous": {}}


def test_actor_is_the_member_the_key_or_the_system(org, member, api):
    contacts.company_create(org=org, actor=member, name="By a member")
    contacts.company_create(org=org, actor=None, name="By the system")
    api.post("/companies", {"name": "By a key"})
    actors = [actor for kind, _, actor in log(org) if kind == "company.created"]
    assert actors == [member.typeid, "", api.key.typeid]


def test_a_rolled_back_change_leaves_no_event(org):
    contacts.contact_create(org=org, actor=None, email="taken@acme.example")
    other = contacts.contact_create(org=org, actor=None, email="free@acme.example")
    start = last_pk()
    with pytest.raises(ConflictError):
        contacts.contact_update(org=org, actor=None, contact=other, email="TAKEN@acme.example")

    def change_then_fail():
        with transaction.atomic():
            contacts.contact_update(org=org, actor=None, contact=other, title="Lost")
            raise RuntimeError("the caller's transaction rolls back")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert log(org, start) == []


def test_upserts_are_a_create_then_an_update(org):
    contacts.contact_upsert(org=org, actor=None, email="up@acme.example", title="A")
    contacts.contact_upsert(org=org, actor=None, email="UP@acme.example", title="B")
    contacts.contact_upsert(org=org, actor=None, email="up@acme.example", title="B")  # no change
    assert [kind for kind, _, _ in log(org)] == ["contact.created", "contact.updated"]


def test_merge_records_every_change_with_one_insert(org):
    primary = contacts.contact_create(org=org, actor=None, email="p@acme.example")
    dupes = [
        contacts.contact_create(org=org, actor=None, email=f"d{n}@acme.example", title="VP") for n in range(2)
    ]
    activity, _ = activities.activity_create(org=org, actor=None, type="note", contact=dupes[0])
    task = activities.task_create(org=org, actor=None, title="Call", contact=dupes[1])
    deal = deals.deal_create(org=org, actor=None, name="Big", contact=dupes[1])
    start = last_pk()
    with CaptureQueriesContext(connection) as queries:
        contacts.contact_merge(org=org, actor=None, primary=primary, duplicates=dupes)
    assert event_inserts(queries) == 1
    events = log(org, start)
    kinds = sorted(kind for kind, _, _ in events)
    assert kinds == sorted(
        [
            *("activity.updated", "task.updated", "deal.updated"),
            *("contact.deleted", "contact.deleted", "contact.updated", "contact.merged"),
        ]
    )
    merged = next(data for kind, data, _ in events if kind == "contact.merged")
    assert merged["duplicate_ids"] == [d.typeid for d in dupes]
    assert merged["object"]["title"] == "VP" and merged["previous"]["title"] == ""
    moved = {data["object"]["id"]: data["previous"] for kind, data, _ in events if kind.endswith(".updated")}
    assert moved[activity.typeid]["contact_id"] == dupes[0].typeid
    assert moved[task.typeid]["contact_id"] == dupes[1].typeid
    assert moved[deal.typeid]["contact_id"] == dupes[1].typeid


def test_companies(org):
    company = contacts.company_create(org=org, actor=None, name="Acme", domain="acme.example")
    contacts.company_update(org=org, actor=None, company=company, industry="Anvils")
    contacts.company_update(org=org, actor=None, company=company, domain="https://www.ACME.example/")  # same
    contacts.company_delete(org=org, actor=None, company=company)
    assert [kind for kind, _, _ in log(org)] == ["company.created", "company.updated", "company.deleted"]


# -- deals, pipelines, products ----------------------------------------------------------------


@pytest.fixture
def stages(org):
    return list(deals.pipeline_default(org=org).stages.order_by("position"))


def test_deal_stage_moves(org, stages):
    deal = deals.deal_create(org=org, actor=None, name="Deal")
    start = last_pk()
    deals.deal_move_stage(org=org, actor=None, deal=deal, stage=stages[0])  # the same stage: nothing
    deals.deal_move_stage(org=org, actor=None, deal=deal, stage=stages[1])
    deals.deal_move_stage(org=org, actor=None, deal=deal, stage=stages[4])  # Closed Won
    deals.deal_move_stage(org=org, actor=None, deal=deal, stage=stages[5])  # Closed Lost
    events = log(org, start)
    assert [kind for kind, _, _ in events] == [
        "deal.updated", "deal.stage_changed",
        "deal.updated", "deal.stage_changed", "deal.won",
        "deal.updated", "deal.stage_changed", "deal.lost",
    ]  # fmt: skip
    _, moved, _ = events[1]
    assert (
        moved["previous"]["stage_id"] == stages[0].typeid and moved["object"]["stage_id"] == stages[1].typeid
    )
    _, won, _ = events[4]
    assert won["object"]["status"] == "won" and won["previous"]["status"] == "open"


def test_deal_patch_with_a_move_and_more_is_one_insert(org, api, stages):
    deal = api.post("/deals", {"name": "Deal"}).json()["data"]
    start = last_pk()
    with CaptureQueriesContext(connection) as queries:
        api.patch(f"/deals/{deal['id']}", {"stage_id": stages[2].typeid, "name": "Renamed", "status": "lost"})
    assert event_inserts(queries) == 1
    events = log(org, start)
    assert [kind for kind, _, _ in events] == ["deal.updated", "deal.stage_changed", "deal.lost"]
    previous = events[0][1]["previous"]
    assert {"stage_id", "name", "status", "closed_at"} <= set(previous)
    api.patch(f"/deals/{deal['id']}", {"name": "Renamed", "product_ids": []})  # no change
    assert len(log(org, start)) == 3


def test_deal_created_on_a_won_stage(org, stages):
    deals.deal_create(org=org, actor=None, name="Signed", stage=stages[4])
    assert [kind for kind, _, _ in log(org) if kind.startswith("deal.")] == ["deal.created", "deal.won"]


def test_deal_products_and_delete(org, api):
    product = api.post("/products", {"name": "Plan", "slug": "plan"}).json()["data"]
    deal = api.post("/deals", {"name": "Deal"}).json()["data"]
    api.patch(f"/deals/{deal['id']}", {"product_ids": [product["id"]]})
    api.delete(f"/deals/{deal['id']}")
    api.patch(f"/products/{product['id']}", {"price": 100})
    api.delete(f"/products/{product['id']}")
    events = [(kind, data) for kind, data, _ in log(org) if kind.split(".")[0] in ("deal", "product")]
    assert [kind for kind, _ in events] == [
        "product.created", "deal.created", "deal.updated", "deal.deleted", "product.updated", "product.deleted",
    ]  # fmt: skip
    assert events[2][1]["previous"]["product_ids"] == [] and events[2][1]["object"]["product_ids"] == [
        product["id"]
    ]


def test_pipelines_and_their_stages(org, api):
    first = deals.pipeline_default(org=org)
    start = last_pk()
    created = api.post("/pipelines", {"name": "Partners", "stages": [{"name": "Intro"}]}).json()["data"]
    stage = api.post(f"/pipelines/{created['id']}/stages", {"name": "Signed", "type": "won"}).json()["data"]
    api.put(f"/pipelines/{created['id']}/stages", {"stage_ids": [stage["id"], created["stages"][0]["id"]]})
    api.put(f"/pipelines/{created['id']}/stages", {"stage_ids": [stage["id"], created["stages"][0]["id"]]})
    api.delete(f"/pipelines/{created['id']}/stages/{stage['id']}")
    api.patch(f"/pipelines/{created['id']}", {"is_default": True})
    events = log(org, start)
    assert [(kind, data["object"]["id"]) for kind, data, _ in events] == [
        ("pipeline.created", created["id"]),
        ("pipeline.updated", created["id"]),  # stage added
        ("pipeline.updated", created["id"]),  # reordered (the repeat changed nothing)
        ("pipeline.updated", created["id"]),  # stage deleted
        ("pipeline.updated", first.typeid),  # no longer the default
        ("pipeline.updated", created["id"]),  # the default now
    ]
    assert [s["name"] for s in events[1][1]["previous"]["stages"]] == ["Intro"]
    assert events[4][1]["previous"]["is_default"] is True
    api.patch(f"/pipelines/{first.typeid}", {"is_default": True})
    api.delete(f"/pipelines/{created['id']}")
    assert log(org, start)[-1][0] == "pipeline.deleted"


def test_deleting_a_stage_moves_its_deals_with_their_events(org, stages):
    deal = deals.deal_create(org=org, actor=None, name="Deal", stage=stages[1])
    start = last_pk()
    deals.stage_delete(org=org, actor=None, stage=stages[1], move_to=stages[2])
    kinds = [(kind, data["object"]["id"]) for kind, data, _ in log(org, start)]
    assert kinds[:2] == [("deal.updated", deal.typeid), ("deal.stage_changed", deal.typeid)]
    assert kinds[2][0] == "pipeline.updated"


# -- activities and tasks --------------------------------------------------------------------


def test_activities(org, api):
    created = api.post("/activities", {"type": "call", "external_id": "x-1"}).json()["data"]
    api.post("/activities", {"type": "call", "external_id": "x-1"})  # dedup: the stored one, no event
    api.patch(f"/activities/{created['id']}", {"subject": "Discovery"})
    api.patch(f"/activities/{created['id']}", {"subject": "Discovery"})
    api.delete(f"/activities/{created['id']}")
    events = log(org)
    assert [kind for kind, _, _ in events] == ["activity.created", "activity.updated", "activity.deleted"]
    assert events[1][1]["previous"]["subject"] == ""


def test_a_batch_writes_its_events_with_one_insert(org, api):
    items = [{"type": "note", "subject": f"n{n}", "external_id": f"e{n % 4}"} for n in range(10)]
    items.append({"type": "bad"})
    with CaptureQueriesContext(connection) as queries:
        results = api.post("/activities/batch", {"activities": items}).json()["data"]
    assert event_inserts(queries) == 1
    created = [r["id"] for r in results if r["status"] == 201]
    events = log(org)
    assert len(created) == 4 and [data["object"]["id"] for _, data, _ in events] == created
    assert {kind for kind, _, _ in events} == {"activity.created"}
    with CaptureQueriesContext(connection) as queries:
        api.post("/activities/batch", {"activities": items[:4]})  # every item exists: no event
    assert event_inserts(queries) == 0 and len(log(org)) == 4


def test_a_batchs_events_are_what_get_answers_read_back_only_where_needed(org, api):
    """The events of a batch's new activities are made from what was sent, while the database
    stores it (``outbox.rendered_new``); only an activity whose stored JSON PostgreSQL rewrites
    (a float) is read back, and SQLite reads them all back. Either way: GET's answer."""
    items = [
        {
            "type": "call",
            "subject": f"s{n}",
            "occurred_at": "2026-03-01T10:30:00.5+01:00",
            "metadata": {"b": n, "a": {"nested": ["x", None, True]}, "ü": "✓"},
            "confidence_score": 0.25,
            **({"external_id": f"k{n}", "source": "gmail"} if n % 3 == 0 else {}),
        }
        for n in range(25)
    ]
    items[7]["metadata"] = {"score": 0.5}
    with CaptureQueriesContext(connection) as queries:
        results = api.post("/activities/batch", {"activities": items}).json()["data"]
    (read,) = [q["sql"] for q in queries.captured_queries if 'WHERE "activities_activity"."id"' in q["sql"]]
    read_back = [r["id"] for r in results if decode("act", r["id"]).hex in read]
    assert read_back == (
        [results[7]["id"]] if connection.vendor == "postgresql" else [r["id"] for r in results]
    )
    events = log(org)
    assert [data["object"]["id"] for _, data, _ in events] == [r["id"] for r in results]
    for _, data, _ in events:
        assert data["object"] == shape(api.get(f"/activities/{data['object']['id']}").json()["data"])


def test_tasks(org):
    task = activities.task_create(org=org, actor=None, title="Call back")
    activities.task_update(org=org, actor=None, task=task, priority="high")
    activities.task_update(org=org, actor=None, task=task, status="completed")
    activities.task_update(org=org, actor=None, task=task, status="completed")  # no change
    activities.task_delete(org=org, actor=None, task=task)
    assert [kind for kind, _, _ in log(org)] == [
        "task.created", "task.updated", "task.updated", "task.completed", "task.deleted",
    ]  # fmt: skip
    done = activities.task_create(org=org, actor=None, title="Done", status="completed")
    assert [kind for kind, data, _ in log(org) if data["object"]["id"] == done.typeid] == [
        "task.created", "task.completed",
    ]  # fmt: skip


def test_lead_capture_records_what_it_changed(org, make_api):
    capture = make_api(org, scope="capture-only")
    capture.post("/capture", {"email": "lead@newco.example", "company": "NewCo"})
    kinds = [(kind, actor) for kind, _, actor in log(org)]
    assert kinds == [
        ("company.created", capture.key.typeid),
        ("contact.created", capture.key.typeid),
        ("activity.created", capture.key.typeid),
    ]


def test_events_time_is_the_domain_clock(org):
    from rexcrm.core import clock

    at = datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    with clock.frozen(at):
        contacts.company_create(org=org, actor=None, name="Then")
    assert Event.objects.for_org(org).get(type="company.created").occurred_at == at
