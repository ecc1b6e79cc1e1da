"""activities.services: the denormalised last_activity_at of contacts, companies and deals."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from activities import services
from tests.factories import CompanyFactory, ContactFactory, DealFactory
from tests.helpers.queries import assert_same_queries

T0 = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)


def at(days):
    return T0 + datetime.timedelta(days=days)


@pytest.fixture
def linked(org):
    company = CompanyFactory(org=org)
    return {
        "company": company,
        "contact": ContactFactory(org=org, company=company),
        "deal": DealFactory(org=org),
        "solo_company": CompanyFactory(org=org),
    }


def latest(obj):
    obj.refresh_from_db()
    return obj.last_activity_at


def test_create_raises_last_activity_of_every_timeline_it_is_on(org, linked):
    services.activity_create(
        actor=None, org=org, type="call", contact=linked["contact"], deal=linked["deal"], occurred_at=at(2)
    )
    assert latest(linked["contact"]) == at(2)
    assert latest(linked["deal"]) == at(2)
    assert latest(linked["company"]) == at(2)  # through the contact
    services.activity_create(
        actor=None, org=org, type="note", company=linked["solo_company"], occurred_at=at(1)
    )
    assert latest(linked["solo_company"]) == at(1)


def test_older_or_unfinished_activities_do_not_move_it(org, linked):
    contact = linked["contact"]
    services.activity_create(actor=None, org=org, type="call", contact=contact, occurred_at=at(5))
    services.activity_create(actor=None, org=org, type="call", contact=contact, occurred_at=at(3))
    services.activity_create(
        actor=None, org=org, type="meeting", status="scheduled", contact=contact, occurred_at=at(9)
    )
    services.activity_create(
        actor=None, org=org, type="email", status="draft", contact=contact, occurred_at=at(8)
    )
    assert latest(contact) == at(5)


def test_update_and_delete_recompute(org, linked):
    contact, deal = linked["contact"], linked["deal"]
    newest, _ = services.activity_create(actor=None, org=org, type="call", contact=contact, occurred_at=at(5))
    older, _ = services.activity_create(actor=None, org=org, type="call", contact=contact, occurred_at=at(3))
    services.activity_update(org=newest.org, actor=None, activity=newest, occurred_at=at(1))
    assert latest(contact) == at(3)
    services.activity_update(
        org=older.org, actor=None, activity=older, contact=None, company=None, deal=deal
    )  # moved to the deal (and off the company that came with the contact)
    assert latest(contact) == at(1)
    assert latest(deal) == at(3)
    assert latest(linked["company"]) == at(1)
    services.activity_delete(org=newest.org, actor=None, activity=newest)
    assert latest(contact) is None
    services.activity_update(org=older.org, actor=None, activity=older, status="draft")
    assert latest(deal) is None


def test_batch_raises_each_target_once_to_its_latest(org, linked):
    contact = linked["contact"]
    items = [{"type": "call", "contact": contact, "occurred_at": at(d)} for d in (4, 7, 2)]
    services.activity_create_many(actor=None, org=org, items=items)
    assert latest(contact) == at(7)
    assert latest(linked["company"]) == at(7)


def test_services_refuse_another_organizations_links(org, other_org):
    foreign = ContactFactory(org=other_org)
    with pytest.raises(ValidationError) as info:
        services.activity_create(actor=None, org=org, type="note", contact=foreign)
    assert info.value.error_dict["contact_id"][0].code == "invalid_reference"


def test_batch_raises_many_targets_without_lowering_any(org, linked):
    contacts = [ContactFactory(org=org, company=linked["company"]) for _ in range(3)]
    services.activity_create(actor=None, org=org, type="call", contact=contacts[0], occurred_at=at(9))
    items = [
        {"type": "call", "contact": contacts[0], "occurred_at": at(5)},  # older than its at(9)
        {"type": "call", "contact": contacts[1], "occurred_at": at(6)},
        {"type": "call", "contact": contacts[1], "occurred_at": at(8)},
        {"type": "note", "status": "draft", "contact": contacts[2], "occurred_at": at(10)},
        {"type": "note", "company": linked["solo_company"], "deal": linked["deal"], "occurred_at": at(4)},
    ]
    services.activity_create_many(actor=None, org=org, items=items)
    assert [latest(c) for c in contacts] == [at(9), at(8), None]
    assert latest(linked["company"]) == at(9)  # through its contacts; the batch's at(8) is older
    assert latest(linked["solo_company"]) == at(4)
    assert latest(linked["deal"]) == at(4)


def test_batch_raises_last_activity_with_as_many_queries_for_one_target_as_for_many(org):
    if connection.vendor != "postgresql":
        pytest.skip("one UPDATE per table on PostgreSQL; SQLite updates target by target")
    companies = CompanyFactory.create_batch(20, org=org)
    contacts = [ContactFactory(org=org, company=company) for company in companies]

    def batch(n):
        items = [{"type": "call", "contact": contacts[i], "occurred_at": at(i)} for i in range(n)]
        services.activity_create_many(actor=None, org=org, items=items)

    assert_same_queries(lambda: batch(1), lambda: batch(20))
    assert [latest(c) for c in contacts] == [at(i) for i in range(20)]
    assert [latest(c) for c in companies] == [at(i) for i in range(20)]
