"""Settings in the browser: every page (screenshots in var/screenshots/settings-*.png), an API
key created and copied, and stages reordered by keyboard and by drag and drop."""

import re
import time

import pytest
import requests
from playwright.sync_api import expect

from deals.models import Deal, Pipeline, Stage
from deals.services import deal_update
from rexcrm.accounts.services import apikey_create, apikey_revoke, member_create, member_set_active
from rexcrm.events.services import webhook_create
from tests.browser.conftest import screenshot
from tests.events.conftest import Receiver, deliver_all


def stage_names(org) -> list[str]:
    pipeline = Pipeline.objects.for_org(org).get(is_default=True)
    return list(Stage.objects.filter(pipeline=pipeline).order_by("position").values_list("name", flat=True))


@pytest.mark.django_db(transaction=True)
def test_every_settings_page(signed_in, live_server, demo, console_errors):
    page = signed_in
    pipeline = Pipeline.objects.for_org(demo.org).get(is_default=True)
    colleague = member_create(
        org=demo.org, actor=demo, email="sam@demo.example", first_name="Sam", last_name="Seller"
    )
    member_create(org=demo.org, actor=demo, email="new@demo.example", first_name="Nora", last_name="New")
    member_set_active(org=demo.org, actor=demo, member=colleague, active=False)
    apikey_create(org=demo.org, actor=demo, name="Zapier", scope="read")
    old, _ = apikey_create(org=demo.org, actor=demo, name="Old import script")
    apikey_revoke(org=demo.org, actor=demo, key=old)
    receiver = Receiver()
    receiver.responses = [200, 500]  # one delivered, one failed (and retried later)
    webhook = webhook_create(org=demo.org, actor=demo, name="Data warehouse", url=receiver.url)
    for deal in Deal.objects.for_org(demo.org).order_by("created_at")[:2]:
        deal_update(org=demo.org, actor=demo, deal=deal, name=f"{deal.name} (renewal)")
    # Two attempts, shown on the webhook's page. On PostgreSQL events are delivered once no
    # older transaction of the cluster can still commit, so this may take a moment.
    deadline = time.monotonic() + 20
    while len(receiver.requests) < 2 and time.monotonic() < deadline:
        deliver_all()
        time.sleep(0.2)
    receiver.close()
    stage = Stage.objects.filter(pipeline=pipeline).order_by("position").first()
    pages = [
        ("profile", "/settings/profile/"),
        ("team", "/settings/team/"),
        ("api-keys", "/settings/api-keys/"),
        ("pipelines", "/settings/pipelines/"),
        ("pipeline", f"/settings/pipelines/{pipeline.typeid}/"),
        ("stage-remove", f"/settings/pipelines/{pipeline.typeid}/stages/{stage.typeid}/delete/"),
        ("webhooks", "/settings/webhooks/"),
        ("webhook", f"/settings/webhooks/{webhook.typeid}/"),
    ]
    page.goto(f"{live_server.url}/")
    page.get_by_role("button", name=re.compile("Account menu")).click()
    page.get_by_role("link", name="Settings").click()
    page.wait_for_url(f"{live_server.url}/settings/profile/")
    for name, path in pages:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("h1")).to_have_text("Settings")
        screenshot(page, f"settings-{name}")
    expect(page.locator("tbody .badge")).to_have_text(["Failed", "Succeeded"])  # newest first
    assert console_errors == [], "console errors (CSP violations are among them)"


@pytest.mark.django_db(transaction=True)
def test_create_an_api_key_copy_it_and_use_it(signed_in, live_server, console_errors):
    page = signed_in
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page.goto(f"{live_server.url}/settings/api-keys/")
    page.get_by_label("Name").fill("Zapier")
    page.get_by_label("Scope").select_option("read")
    page.get_by_role("button", name="Create key").click()
    raw = page.get_by_label("The new API key").input_value()
    assert re.fullmatch(r"rex_live_[A-Za-z0-9]{40}", raw)
    page.get_by_role("button", name="Copy").click()
    expect(page.get_by_text("Copied to the clipboard.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == raw
    screenshot(page, "settings-api-key-created")
    assert (
        requests.get(f"{live_server.url}/api/users", headers={"X-Api-Key": raw}, timeout=10).status_code
        == 200
    )
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("cell", name="Zapier", exact=True)).to_be_visible()
    assert raw not in page.content()  # shown once
    assert console_errors == []


@pytest.mark.django_db(transaction=True)
def test_reorder_stages_by_keyboard_and_by_drag(signed_in, live_server, demo, console_errors):
    page = signed_in
    pipeline = Pipeline.objects.for_org(demo.org).get(is_default=True)
    before = stage_names(demo.org)
    page.goto(f"{live_server.url}/settings/pipelines/{pipeline.typeid}/")
    down = page.get_by_role("button", name=f"Move {before[0]} down")
    down.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#stages-status")).to_have_text(f"{before[0]} is now stage 2 of {len(before)}.")
    expect(page.get_by_role("button", name=f"Move {before[0]} down")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#stages-status")).to_have_text(f"{before[0]} is now stage 3 of {len(before)}.")
    assert stage_names(demo.org)[:3] == [before[1], before[2], before[0]]
    expect(page.get_by_role("button", name=f"Move {before[0]} down")).to_be_focused()
    page.keyboard.press("Shift+Tab")  # to Move up
    expect(page.get_by_role("button", name=f"Move {before[0]} up")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#stages-status")).to_have_text(f"{before[0]} is now stage 2 of {len(before)}.")
    assert stage_names(demo.org)[:3] == [before[1], before[0], before[2]]

    # Drag the first stage's handle below the third row: the stored order is what the page shows.
    order = stage_names(demo.org)
    rows = page.locator(".stage-row")
    page.locator("#stages").scroll_into_view_if_needed()
    handle, target = rows.first.locator(".stage-handle").bounding_box(), rows.nth(2).bounding_box()
    page.mouse.move(handle["x"] + 4, handle["y"] + 4)
    page.mouse.down()
    page.mouse.move(target["x"] + 10, target["y"] + target["height"] / 2, steps=20)
    page.mouse.move(target["x"] + 10, target["y"] + target["height"] - 5, steps=5)
    page.mouse.up()
    expect(page.locator("#stages-status")).to_have_text("Stages reordered.")
    shown = [row.get_by_label("Name").input_value() for row in rows.all()]
    assert shown != order and sorted(shown) == sorted(order)
    assert stage_names(demo.org) == shown
    screenshot(page, "settings-pipeline-reordered")
    assert console_errors == []
