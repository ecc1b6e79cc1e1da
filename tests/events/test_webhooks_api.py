"""/api/webhooks: CRUD, the secret shown once, event types and their alias, URL rules, deliveries,
ping and replay."""

import pytest
from django.test import override_settings

from contacts.services import contact_create
from rexcrm.events.models import Event, Webhook
from tests.conftest import error_of
from tests.events.conftest import deliver_all

URL = "https://hooks.example.com/rex"


def test_create_returns_the_secret_once(api):
    response = api.post("/webhooks", {"name": "Sync", "url": URL})
    assert response.status_code == 201
    body = response.json()
    secret = body["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40 and body["data"]["secret"] == secret
    webhook = body["data"]
    assert webhook["event_types"] == ["*"] and webhook["status"] == "active" and webhook["failure_count"] == 0
    shown = api.get(f"/webhooks/{webhook['id']}").json()["data"]
    assert "secret" not in shown and "secret" not in api.get("/webhooks").json()["data"][0]
    assert Webhook.objects.get().secret == secret


def test_a_given_secret_and_the_events_alias(api):
    body = api.post(
        "/webhooks",
        {"name": "Deals", "url": URL, "events": ["deal.*", "task.completed"], "secret": "s3cret-" * 4},
    ).json()
    assert body["secret"] == "s3cret-" * 4
    assert body["data"]["event_types"] == ["deal.*", "task.completed"]
    both = api.post("/webhooks", {"name": "x", "url": URL, "events": ["*"], "event_types": ["*"]})
    assert both.status_code == 400 and "events" in error_of(both)["fields"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": URL}, "name"),
        ({"name": "x"}, "url"),
        ({"name": "x", "url": "ftp://hooks.example.com"}, "url"),
        ({"name": "x", "url": "https://user:pw@hooks.example.com"}, "url"),
        ({"name": "x", "url": "https://10.0.0.8/hook"}, "url"),
        ({"name": "x", "url": "https://169.254.169.254/latest"}, "url"),
        ({"name": "x", "url": URL, "event_types": ["contact.creatd"]}, "event_types"),
        ({"name": "x", "url": URL, "event_types": []}, "event_types"),
        ({"name": "x", "url": URL, "event_types": "contact.created"}, "event_types"),
        ({"name": "x", "url": URL, "secret": "short"}, "secret"),
        ({"name": "x", "url": URL, "status": "asleep"}, "status"),
        ({"name": "x", "url": URL, "failure_count": 3, "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_400(api, body, field):
    response = api.post("/webhooks", body)
    assert response.status_code == 400 and field in error_of(response)["fields"], response.json()


@override_settings(REX_WEBHOOKS={"ALLOW_LOOPBACK": False, "TIMEOUT": 10, "LEASE_SECONDS": 60})
@pytest.mark.parametrize("url", ["http://hooks.example.com/x", "https://127.0.0.1/x", "https://localhost/x"])
def test_outside_debug_only_https_to_public_hosts(api, url):
    response = api.post("/webhooks", {"name": "x", "url": url})
    assert response.status_code == 400 and "url" in error_of(response)["fields"]


def test_in_debug_and_tests_loopback_over_http_is_allowed(api):
    for url in ("http://127.0.0.1:9000/hook", "http://localhost:9000/hook", "http://[::1]:9000/"):
        assert api.post("/webhooks", {"name": "dev", "url": url}).status_code == 201
    assert api.post("/webhooks", {"name": "x", "url": "http://hooks.example.com/"}).status_code == 400


def test_patch_pause_resume_and_delete(api):
    webhook = api.post("/webhooks", {"name": "Sync", "url": URL}).json()["data"]
    paused = api.patch(f"/webhooks/{webhook['id']}", {"status": "paused", "events": ["contact.*"]})
    assert paused.status_code == 200
    assert paused.json()["data"]["status"] == "paused" and paused.json()["data"]["event_types"] == [
        "contact.*"
    ]
    assert "secret" not in paused.json()["data"]
    assert [w["id"] for w in api.get_all("/webhooks", status="paused")] == [webhook["id"]]
    assert api.delete(f"/webhooks/{webhook['id']}").status_code == 204
    assert api.get(f"/webhooks/{webhook['id']}").status_code == 404


def test_tenancy_and_scopes(org, api, other_api, make_api):
    webhook = api.post("/webhooks", {"name": "Sync", "url": URL}).json()["data"]
    assert other_api.get(f"/webhooks/{webhook['id']}").status_code == 404
    assert other_api.post(f"/webhooks/{webhook['id']}/ping").status_code == 404
    assert other_api.get(f"/webhooks/{webhook['id']}/deliveries").status_code == 404
    reader = make_api(org, scope="read")
    assert reader.get("/webhooks").status_code == 200
    assert reader.post("/webhooks", {"name": "x", "url": URL}).status_code == 403


def test_ping_deliveries_and_replay(org, api, receiver):
    webhook = api.post(
        "/webhooks", {"name": "Local", "url": receiver.url, "event_types": ["contact.*"]}
    ).json()
    hook_id = webhook["data"]["id"]
    ping = api.post(f"/webhooks/{hook_id}/ping")
    assert ping.status_code == 202 and ping.json()["data"]["type"] == "ping"
    contact_create(org=org, actor=None, email="a@acme.example")
    receiver.responses = [500]
    deliver_all()  # the ping fails (500) and holds the contact event behind it
    assert [r["json"]["type"] for r in receiver.requests] == ["ping"]
    api.post(f"/webhooks/{hook_id}/ping")  # retries the head now: both pings, then the contact
    deliver_all()
    assert [r["json"]["type"] for r in receiver.requests] == ["ping", "ping", "contact.created", "ping"]
    rows = api.get_all(f"/webhooks/{hook_id}/deliveries")
    assert [(r["event_type"], r["attempt"], r["status"], r["status_code"]) for r in rows] == [
        ("ping", 1, "succeeded", 200),
        ("contact.created", 1, "succeeded", 200),
        ("ping", 2, "succeeded", 200),
        ("ping", 1, "failed", 500),
    ]
    assert rows[-1]["event_id"] == ping.json()["data"]["id"] and rows[-1]["next_retry_at"] is not None
    assert rows[-1]["error"] == "HTTP 500" and isinstance(rows[-1]["duration_ms"], int)
    failed = api.get_all(f"/webhooks/{hook_id}/deliveries", status="failed")
    assert [r["id"] for r in failed] == [rows[-1]["id"]]
    # Replay: from the first event since then, the log again in order (with the ping after it).
    replay = api.post(f"/webhooks/{hook_id}/replay", {"since": "2000-01-01T00:00:00Z"})
    assert replay.status_code == 202 and replay.json()["data"]["id"] == hook_id
    deliver_all()
    assert [r["json"]["type"] for r in receiver.requests][4:] == ["contact.created", "ping"]


def test_ping_needs_an_active_webhook_and_replay_a_since(api):
    hook_id = api.post("/webhooks", {"name": "x", "url": URL, "status": "paused"}).json()["data"]["id"]
    response = api.post(f"/webhooks/{hook_id}/ping")
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"
    for body in ({}, {"since": "yesterday"}, {"since": 5}):
        response = api.post(f"/webhooks/{hook_id}/replay", body)
        assert response.status_code == 400 and "since" in error_of(response)["fields"]


def test_deleting_a_webhook_takes_its_history_and_pings(org, api, receiver):
    hook_id = api.post("/webhooks", {"name": "x", "url": receiver.url}).json()["data"]["id"]
    api.post(f"/webhooks/{hook_id}/ping")
    deliver_all()
    assert api.delete(f"/webhooks/{hook_id}").status_code == 204
    assert not Event.objects.filter(type="ping").exists()
