"""Settings of webhooks in the web UI (administrators): create (secret shown once), pause and
resume, deliveries."""

import re

from rexcrm.events.models import Delivery, Event, Webhook
from rexcrm.events.services import webhook_create
from tests.conftest import page_queries


def make_webhook(org, name="Sync"):
    return webhook_create(org=org, actor=None, name=name, url="http://127.0.0.1:9/hook")


def add_deliveries(webhook, count):
    events = Event.objects.bulk_create(
        [Event(org=webhook.org, type="deal.created", data="{}") for _ in range(count)]
    )
    Delivery.objects.bulk_create(
        [
            Delivery(org=webhook.org, webhook=webhook, event=event, attempt=1, status="failed", status_code=500,
                     duration_ms=12, error="HTTP 500")
            for event in events
        ]
    )  # fmt: skip


def test_create_a_webhook_shows_the_secret_once(admin_ui, org):
    bad = admin_ui.post(
        "/settings/webhooks/", {"name": "CRM", "url": "ftp://example.com", "event_types": "deal.*, nope"}
    )
    page = bad.content.decode()
    assert bad.status_code == 400 and "Unknown event type(s): nope" in page and 'value="CRM"' in page
    assert "https://" in page
    created = admin_ui.post(
        "/settings/webhooks/",
        {"name": "CRM", "url": "http://127.0.0.1:9/x", "event_types": "deal.*, contact.created"},
    )
    assert created.status_code == 201 and created["Cache-Control"].startswith("max-age=0")
    secret = re.search(r'value="(whsec_[^"]+)"', created.content.decode()).group(1)
    webhook = Webhook.objects.get(org=org, name="CRM")
    assert webhook.secret == secret and webhook.event_types == ["deal.*", "contact.created"]
    assert secret not in admin_ui.get("/settings/webhooks/").content.decode()
    assert secret not in admin_ui.get(f"/settings/webhooks/{webhook.typeid}/").content.decode()


def test_pause_and_resume(admin_ui, org):
    webhook = make_webhook(org)
    admin_ui.post(f"/settings/webhooks/{webhook.typeid}/status/", {"status": "paused"})
    webhook.refresh_from_db()
    assert webhook.status == "paused"
    response = admin_ui.post(
        f"/settings/webhooks/{webhook.typeid}/status/", {"status": "active", "next": "detail"}
    )
    assert response["Location"] == f"/settings/webhooks/{webhook.typeid}/"
    webhook.refresh_from_db()
    assert webhook.status == "active"
    bad = admin_ui.post(f"/settings/webhooks/{webhook.typeid}/status/", {"status": "disabled"}, follow=True)
    assert "pause or to resume" in bad.content.decode()
    webhook.refresh_from_db()
    assert webhook.status == "active"


def test_deliveries_newest_first_with_filters(admin_ui, org):
    webhook = make_webhook(org)
    add_deliveries(webhook, 3)
    page = admin_ui.get(f"/settings/webhooks/{webhook.typeid}/").content.decode()
    assert page.count("HTTP 500") == 3 and "deal.created" in page
    assert (
        "HTTP 500"
        not in admin_ui.get(f"/settings/webhooks/{webhook.typeid}/?status=succeeded").content.decode()
    )
    bad = admin_ui.get(f"/settings/webhooks/{webhook.typeid}/?status=maybe")
    assert bad.status_code == 200 and "valid choice" in bad.content.decode()


def test_other_organizations_webhooks_are_404_and_members_get_403(admin_ui, ui, org, other_org):
    foreign = make_webhook(other_org)
    assert admin_ui.get(f"/settings/webhooks/{foreign.typeid}/").status_code == 404
    assert (
        admin_ui.post(f"/settings/webhooks/{foreign.typeid}/status/", {"status": "paused"}).status_code == 404
    )
    assert admin_ui.get("/settings/webhooks/whk_nonsense/").status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == "active"
    own = make_webhook(org)
    assert ui.post(f"/settings/webhooks/{own.typeid}/status/", {"status": "paused"}).status_code == 403
    assert ui.get(f"/settings/webhooks/{own.typeid}/").status_code == 403


def test_pages_cost_the_same_queries_for_1_row_as_for_20(admin_ui, org):
    webhook = make_webhook(org)
    add_deliveries(webhook, 1)
    list_one = page_queries(admin_ui, "/settings/webhooks/")
    detail_one = page_queries(admin_ui, f"/settings/webhooks/{webhook.typeid}/")
    add_deliveries(webhook, 19)
    for n in range(19):
        make_webhook(org, name=f"W{n}")
    assert page_queries(admin_ui, "/settings/webhooks/") == list_one
    assert page_queries(admin_ui, f"/settings/webhooks/{webhook.typeid}/") == detail_one
