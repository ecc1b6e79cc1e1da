"""Writes in a real browser: log a call on a contact (the timeline shows it without a reload),
complete a task on Today, move a deal on the board by drag and by the keyboard control (and see
the history row), inline edit; screenshots of the forms in var/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from activities.models import Activity, Task
from contacts.models import Contact
from deals.models import Deal, DealStageChange
from rexcrm.core import clock
from tests.browser.conftest import screenshot


def mark_page(page):
    """A marker that a full page load would wipe: still there means no reload happened."""
    page.evaluate("document.body.dataset.noReload = 'yes'")


def not_reloaded(page):
    assert page.evaluate("document.body.dataset.noReload") == "yes"


@pytest.mark.django_db(transaction=True)
def test_log_a_call_on_a_contact_without_a_reload(signed_in, live_server, demo, console_errors):
    page = signed_in
    contact = Contact.objects.for_org(demo.org).filter(activities__isnull=False).first()
    page.goto(f"{live_server.url}/contacts/{contact.typeid}/")
    mark_page(page)
    form = page.locator("#log-activity")
    form.get_by_label("Type").select_option("call")
    form.get_by_label("Subject").fill("Called about <the renewal>")
    form.get_by_label("Body").fill("Budget approved; send the contract.")
    form.get_by_label("Occurred at").fill(clock.now().strftime("%Y-%m-%dT%H:%M"))
    form.get_by_label("Duration").fill("15")
    screenshot(page, "contact-log-activity")
    form.get_by_role("button", name="Log activity").click()
    first = page.locator("#timeline article").first
    expect(first).to_contain_text("Called about <the renewal>")
    expect(page.locator("#messages")).to_contain_text("created")
    expect(page.locator("#log-activity").get_by_label("Subject")).to_have_value("")
    not_reloaded(page)
    activity = Activity.objects.for_org(demo.org).get(subject="Called about <the renewal>")
    assert (activity.contact_id, activity.duration, activity.owner) == (contact.pk, 900, demo)
    # A mistake stays in the form, next to its field, with what was typed.
    form = page.locator("#log-activity")
    form.get_by_label("Subject").fill("Kept")
    form.get_by_label("Occurred at").fill("")
    form.get_by_label("Duration").fill("-3")
    form.get_by_role("button", name="Log activity").click()
    expect(page.locator("#log-activity .invalid-feedback")).to_be_visible()
    expect(page.locator("#log-activity").get_by_label("Subject")).to_have_value("Kept")
    not_reloaded(page)
    assert console_errors == []


@pytest.mark.django_db(transaction=True)
def test_complete_a_task_on_today(signed_in, live_server, demo, console_errors):
    page = signed_in
    task = Task.objects.create(org=demo.org, owner=demo, title="Call Ada back", due_at=clock.now())
    page.goto(f"{live_server.url}/")
    mark_page(page)
    page.get_by_role("button", name="Complete: Call Ada back").click()
    expect(page.get_by_role("status").filter(has_text="Call Ada back")).to_contain_text("Done")
    not_reloaded(page)
    task.refresh_from_db()
    assert task.status == "completed"
    assert console_errors == []


def _board_deal(org):
    return (
        Deal.objects.for_org(org)
        .filter(pipeline__is_default=True, stage__position=0)
        .order_by("expected_close", "id")
        .first()
    )


@pytest.mark.django_db(transaction=True)
def test_move_a_deal_on_the_board_by_keyboard_and_by_drag(signed_in, live_server, demo, console_errors):
    page = signed_in
    deal = _board_deal(demo.org)
    stages = list(deal.pipeline.stages.order_by("position"))
    page.goto(f"{live_server.url}/pipelines/")
    mark_page(page)
    # The keyboard: focus the card's "Move to stage" select, choose, Tab to "Move", Enter.
    select = page.locator(f"#move-{deal.typeid}")
    select.focus()
    select.select_option(label=stages[1].name)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    column = page.locator(f'section[data-stage="{stages[1].typeid}"]')
    expect(column.locator(f'[data-deal="{deal.typeid}"]')).to_be_visible()
    expect(page.locator(f"#move-{deal.typeid}")).to_be_focused()
    not_reloaded(page)
    deal.refresh_from_db()
    assert deal.stage == stages[1]
    # Drag: the card onto the next column.
    card = page.locator(f'[data-deal="{deal.typeid}"] .meta').first
    target = page.locator(f'section[data-stage="{stages[2].typeid}"] .board-cards')
    box, goal = card.bounding_box(), target.bounding_box()
    page.mouse.move(box["x"] + 10, box["y"] + 5)
    page.mouse.down()
    page.mouse.move(box["x"] + 30, box["y"] + 20, steps=5)
    page.mouse.move(goal["x"] + goal["width"] / 2, goal["y"] + 20, steps=20)
    page.mouse.up()
    column = page.locator(f'section[data-stage="{stages[2].typeid}"]')
    expect(column.locator(f'[data-deal="{deal.typeid}"]')).to_be_visible()
    expect(page.locator("#messages")).to_contain_text(f"is in {stages[2].name} now")
    not_reloaded(page)
    screenshot(page, "pipeline-after-moves")
    moves = list(DealStageChange.objects.filter(deal=deal).order_by("changed_at", "id"))
    assert [(m.to_stage_id, m.changed_by_id) for m in moves][-2:] == [
        (stages[1].pk, demo.pk),
        (stages[2].pk, demo.pk),
    ]
    # The history row on the deal's page.
    page.goto(f"{live_server.url}/deals/{deal.typeid}/")
    history = page.locator("section[aria-labelledby=history]")
    expect(history).to_contain_text(f"{stages[1].name} → {stages[2].name}")
    assert console_errors == []


@pytest.mark.django_db(transaction=True)
def test_move_a_deal_from_its_page_and_edit_it_inline(signed_in, live_server, demo, console_errors):
    page = signed_in
    deal = _board_deal(demo.org)
    stages = list(deal.pipeline.stages.order_by("position"))
    page.goto(f"{live_server.url}/deals/{deal.typeid}/")
    page.get_by_role("button", name=stages[2].name, exact=True).click()
    expect(page.locator(".stage-progress [aria-current=step]")).to_have_text(stages[2].name)
    mark_page(page)
    page.locator("#details-card").get_by_role("link", name="Edit").click()
    page.locator("#details-card").get_by_label("Value").fill("12345.67")
    screenshot(page, "deal-inline-edit")
    page.locator("#details-card").get_by_role("button", name="Save").click()
    expect(page.locator("#record-head")).to_contain_text("$12,345.67")
    expect(page.locator("#details-card")).to_contain_text("$12,345.67")
    not_reloaded(page)
    deal.refresh_from_db()
    assert deal.value == 1234567
    assert console_errors == []


FORMS = [
    ("contact-new", "/contacts/new/", "New contact"),
    ("company-new", "/companies/new/", "New company"),
    ("deal-new", "/deals/new/", "New deal"),
    ("task-new", "/tasks/new/", "New task"),
    ("activity-new", "/activities/new/", "New activity"),
]


@pytest.mark.django_db(transaction=True)
def test_create_forms_and_a_contact_with_a_suggested_company(signed_in, live_server, demo, console_errors):
    page = signed_in
    for name, path, heading in FORMS:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("h1")).to_contain_text(heading)
        screenshot(page, name)
    page.goto(f"{live_server.url}/contacts/new/")
    page.get_by_label("Email").fill("not-an-email")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Enter a valid email address.")
    screenshot(page, "contact-new-errors")
    company = demo.org and Contact.objects.for_org(demo.org).exclude(company=None).first().company
    page.get_by_label("First name").fill("Grace")
    page.get_by_label("Last name").fill("Hopper")
    page.get_by_label("Email").fill("grace@example.com")
    page.get_by_label("Company").press_sequentially(company.name[:5], delay=30)
    option = page.locator("#id_company-options option").first
    expect(option).to_have_attribute("value", re.compile(r"\(comp_"))
    page.get_by_label("Company").fill(option.get_attribute("value"))
    page.get_by_role("button", name="Save").click()
    expect(page.locator("h1")).to_have_text("Grace Hopper")
    expect(page.locator("#messages")).to_contain_text("created")
    assert Contact.objects.for_org(demo.org).get(email="grace@example.com").company is not None
    assert console_errors == []
