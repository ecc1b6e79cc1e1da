"""The admin as the demo organization's owner (organization staff) sees it: every main page
under the CSP without a console error, lists that fit 1440 px without scrolling sideways, an
autocomplete that answers, a screenshot of each in var/screenshots/admin-*.png."""

import pytest
from playwright.sync_api import expect

from contacts.models import Contact
from deals.models import Deal
from rexcrm.accounts.models import User
from rexcrm.workspace.management.commands.seed_demo import DEMO_EMAIL
from tests.browser.conftest import screenshot


def signed_in_user_pk():
    return User.objects.get(email=DEMO_EMAIL).pk


@pytest.mark.django_db(transaction=True)
def test_the_admin_pages_as_an_organizations_owner(signed_in, live_server, console_errors):
    page = signed_in
    contact = Contact.objects.order_by("-last_activity_at").first()
    deal = Deal.objects.exclude(stage_changes=None).first()
    pages = {
        "admin-index": "/admin/",
        "admin-contacts": "/admin/contacts/contact/",
        "admin-contact": f"/admin/contacts/contact/{contact.pk}/change/",
        "admin-activities": "/admin/activities/activity/",
        "admin-deals": "/admin/deals/deal/",
        "admin-deal": f"/admin/deals/deal/{deal.pk}/change/",
        "admin-events": "/admin/events/event/",
        "admin-companies": "/admin/contacts/company/",
        "admin-tasks": "/admin/activities/task/",
        "admin-users": "/admin/accounts/user/",
        "admin-user": f"/admin/accounts/user/{signed_in_user_pk()}/change/",
    }
    for name, path in pages.items():
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("#site-name")).to_contain_text("Rex CRM")
        if page.locator("#changelist .results").count():  # every column shown, rows on one line
            fits = "e => e.scrollWidth <= e.clientWidth"
            assert page.locator("#changelist .results").evaluate(fits), f"{path}: scrolls sideways"
            heights = page.locator("#result_list tbody tr").evaluate_all(
                "rows => rows.map(r => r.offsetHeight)"
            )
            assert max(heights) < 1.5 * min(heights), f"{path}: a row wraps"
        screenshot(page, name)
    page.goto(f"{live_server.url}/admin/contacts/contact/?q={contact.typeid}")
    expect(page.locator("#result_list tbody tr")).to_have_count(1)
    page.goto(f"{live_server.url}/admin/activities/activity/add/")
    page.locator("#id_contact + .select2").click()
    page.locator(".select2-search__field").fill(contact.last_name)
    expect(page.locator(".select2-results__option").first).to_contain_text(contact.last_name)
    screenshot(page, "admin-activity-add")
    assert console_errors == []
