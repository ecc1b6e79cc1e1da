"""Sign in, open every main page (a screenshot of each in var/screenshots/), and drive the
keyboard: ``/`` to search, arrows and Enter to open a result, the board's "Show more"."""

import re

import pytest
from playwright.sync_api import expect

from activities.models import Activity
from contacts.models import Company, Contact
from deals.models import Deal
from tests.browser.conftest import screenshot

MAIN_PAGES = [
    ("today", "/", "Today"),
    ("contacts", "/contacts/", "Contacts"),
    ("companies", "/companies/", "Companies"),
    ("deals", "/deals/", "Deals"),
    ("pipeline", "/pipelines/", "Sales Pipeline"),
    ("activities", "/activities/", "Activities"),
    ("tasks", "/tasks/", "Tasks"),
    ("search", "/search/?q=ada", "Results for"),
    ("contacts-filtered", "/contacts/?stage=customer&sort=-icp_score", "Contacts"),
]


@pytest.mark.django_db(transaction=True)
def test_every_main_page(signed_in, live_server, demo, console_errors):
    page = signed_in
    org = demo.org
    records = [
        (
            "contact",
            f"/contacts/{Contact.objects.for_org(org).filter(activities__isnull=False).first().typeid}/",
        ),
        (
            "company",
            f"/companies/{Company.objects.for_org(org).filter(contacts__activities__isnull=False).first().typeid}/",
        ),
        ("deal", f"/deals/{Deal.objects.for_org(org).filter(stage_changes__isnull=False).first().typeid}/"),
    ]
    for name, path, heading in [*MAIN_PAGES, *((name, path, None) for name, path in records)]:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("h1")).to_contain_text(heading or re.compile(".+"))
        page.wait_for_load_state("networkidle")  # htmx's first timeline page on scroll, etc.
        screenshot(page, name)
    assert console_errors == [], "console errors (CSP violations are among them)"


@pytest.mark.django_db(transaction=True)
def test_slash_focuses_search_and_the_keyboard_opens_a_result(signed_in, live_server, demo):
    page = signed_in
    page.goto(f"{live_server.url}/deals/")
    page.locator("body").press("/")
    expect(page.locator("#global-search")).to_be_focused()
    contact = Contact.objects.for_org(demo.org).order_by("created_at").first()
    page.keyboard.type(contact.last_name)
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    page.keyboard.press("ArrowDown")
    first = page.locator("[data-result]").first
    expect(first).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.locator("[data-result]").nth(1)).to_be_focused()
    page.keyboard.press("ArrowUp")
    expect(first).to_be_focused()
    href = first.get_attribute("href")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}{href}")
    expect(page.locator("h1")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_timeline_loads_older_entries_when_scrolled_to(signed_in, live_server, demo):
    page = signed_in
    contact = Contact.objects.create(
        org=demo.org, email="tim@example.com", first_name="Tim", last_name="Line"
    )
    Activity.objects.bulk_create(
        [Activity(org=demo.org, type="note", subject=f"Old note {i}", contact=contact) for i in range(60)]
    )
    page.goto(f"{live_server.url}/contacts/{contact.typeid}/")
    entries = page.locator("#timeline article")
    expect(entries).to_have_count(25)
    page.get_by_role("button", name="Older entries").scroll_into_view_if_needed()
    expect(entries).to_have_count(50)
    page.get_by_role("button", name="Older entries").scroll_into_view_if_needed()
    expect(entries).to_have_count(60)
    expect(page.get_by_role("button", name="Older entries")).to_have_count(0)


@pytest.mark.django_db(transaction=True)
def test_admin_and_api_docs_work_under_the_csp(signed_in, live_server, console_errors):
    page = signed_in
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator("#site-name")).to_be_visible()
    page.goto(f"{live_server.url}/api/docs/")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Rex CRM API")
    assert console_errors == []
