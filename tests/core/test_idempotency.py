"""Idempotency-Key on every POST: a repeat replays the first response without doing the work
again, another body with the same key is a 409, and two concurrent requests run once."""

import datetime
import threading

import pytest
from django.db import connections

from contacts.models import Contact
from rexcrm.core import clock
from rexcrm.core.models import IdempotencyKey
from rexcrm.events.models import Event
from tests.conftest import Api, error_of
from tests.factories import OrganizationFactory


def key(value: str) -> dict:
    return {"Idempotency-Key": value}


def test_a_repeat_returns_the_first_response_without_doing_it_again(org, api):
    first = api.post("/contacts", {"email": "ada@acme.example"}, headers=key("k-1"))
    events = Event.objects.count()
    again = api.post("/contacts", {"email": "ada@acme.example"}, headers=key("k-1"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Contact.objects.for_org(org).count() == 1 and Event.objects.count() == events


def test_the_same_body_in_another_key_order_is_the_same_request(api):
    first = api.post("/companies", {"name": "Acme", "domain": "acme.example"}, headers=key("k-2"))
    again = api.post("/companies", raw='{"domain":"acme.example",  "name":"Acme"}', headers=key("k-2"))
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"


def test_another_body_or_path_with_the_same_key_is_a_conflict(api):
    api.post("/contacts", {"email": "ada@acme.example"}, headers=key("k-3"))
    for path, body in [("/contacts", {"email": "bob@acme.example"}), ("/companies", {"name": "Acme"})]:
        response = api.post(path, body, headers=key("k-3"))
        assert response.status_code == 409
        error = error_of(response)
        assert error["code"] == "conflict" and "Idempotency-Key" in error["fields"]


def test_keys_belong_to_one_organization(api, other_api):
    api.post("/contacts", {"email": "ada@acme.example"}, headers=key("shared"))
    response = other_api.post("/contacts", {"email": "ada@acme.example"}, headers=key("shared"))
    assert response.status_code == 201 and "Idempotent-Replayed" not in response


def test_errors_are_not_remembered(org, api):
    bad = api.post("/contacts", {"email": "not an email"}, headers=key("k-4"))
    assert bad.status_code == 400
    good = api.post("/contacts", {"email": "ada@acme.example"}, headers=key("k-4"))
    assert good.status_code == 201
    assert IdempotencyKey.objects.filter(org=org, key="k-4", status_code=201).exists()


def test_keys_expire_after_24_hours(org, api):
    at = datetime.datetime(2026, 3, 16, 9, 0, tzinfo=datetime.UTC)
    with clock.frozen(at):
        api.post("/companies", {"name": "Acme"}, headers=key("k-5"))
    with clock.frozen(at + datetime.timedelta(hours=23)):
        assert api.post("/companies", {"name": "Other"}, headers=key("k-5")).status_code == 409
    with clock.frozen(at + datetime.timedelta(hours=25)):
        response = api.post("/companies", {"name": "Other"}, headers=key("k-5"))
        assert response.status_code == 201 and "Idempotent-Replayed" not in response


def test_every_post_takes_a_key(org, api):
    """Action endpoints too (batch, upsert, merge, stage moves, webhooks…): a sample."""
    batch = {"activities": [{"type": "note", "subject": "once"}]}
    first = api.post("/activities/batch", batch, headers=key("k-6"))
    again = api.post("/activities/batch", batch, headers=key("k-6"))
    assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
    upsert = {"email": "up@acme.example", "title": "CTO"}
    assert api.post("/contacts/upsert", upsert, headers=key("k-7")).status_code == 201
    assert api.post("/contacts/upsert", upsert, headers=key("k-7")).status_code == 201  # replayed


def test_a_new_api_key_is_not_kept_for_replays(api):
    first = api.post("/apikeys", {"name": "Zapier", "scope": "read"}, headers=key("k-8"))
    again = api.post("/apikeys", {"name": "Zapier", "scope": "read"}, headers=key("k-8"))
    assert first.json()["data"]["key"].startswith("rex_")
    assert again.json()["data"]["key"] is None and again.json()["data"]["id"] == first.json()["data"]["id"]
    assert not IdempotencyKey.objects.filter(body__contains=first.json()["data"]["key"].encode()).exists()


@pytest.mark.parametrize("value", ["", "x" * 256, "naïve"])
def test_bad_keys_are_400(api, value):
    response = api.post("/contacts", {"email": "ada@acme.example"}, headers=key(value))
    assert response.status_code == 400 and "Idempotency-Key" in error_of(response)["fields"]


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_requests_with_one_key_run_once(make_api):
    org = OrganizationFactory()
    raw = make_api(org).raw_key
    barrier = threading.Barrier(4)
    results = []

    def post():
        try:
            barrier.wait(timeout=10)
            response = Api(raw).post("/companies", {"name": "Once"}, headers=key("race"))
            results.append(
                (
                    response.status_code,
                    response.json()["data"]["id"],
                    response.has_header("Idempotent-Replayed"),
                )
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(results) == 4
    assert {status for status, _, _ in results} == {201} and len({pk for _, pk, _ in results}) == 1
    assert sorted(replayed for _, _, replayed in results) == [False, True, True, True]
    assert org.pk and Event.objects.filter(org=org, type="company.created").count() == 1
