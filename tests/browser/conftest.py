"""Browser tests: Playwright (sync API, through pytest-playwright) driving Debian's Chromium
against ``live_server``, signed in to an organization filled with the demo data of ``make run``.

Each run saves a full-page screenshot of every main page into ``var/screenshots/``.
Chromium comes from the system (``apt-get install chromium``; ``playwright install`` cannot
download browsers here); without it these tests are skipped.
"""

import os
from pathlib import Path

import pytest

from rexcrm.accounts import backends
from rexcrm.accounts.models import User
from rexcrm.workspace.management.commands.seed_demo import DEMO_EMAIL, DEMO_ORG, DEMO_PASSWORD, seed_data
from rexcrm.workspace.services import organization_provision

# The sync Playwright API runs an event loop in the test's thread; Django's ORM calls from
# there (fixtures, the live server's setup) are still plain synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


def pytest_collection_modifyitems(config, items):
    if not CHROMIUM.exists():
        skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}: apt-get install chromium")
        for item in items:
            if "tests/browser/" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1440, "height": 900}}


@pytest.fixture(autouse=True)
def sign_in_unthrottled(monkeypatch):
    """Browser tests sign the demo member in dozens of times from one address within minutes;
    the sign-in throttle (tested in tests/hardening) would refuse them once its burst is spent.
    The live server runs in this process, so the patch reaches it."""
    monkeypatch.setattr(backends, "login_allowed", lambda request, username: True)


@pytest.fixture
def demo(transactional_db):
    """The demo organization and login of ``make run``, with all its data."""
    org = organization_provision(name=DEMO_ORG)
    user = User.objects.create_user(
        email=DEMO_EMAIL, password=DEMO_PASSWORD, org=org, first_name="Dana", last_name="Demo", is_staff=True
    )
    seed_data(org=org, owner=user)
    return user


@pytest.fixture
def console_errors(page):
    """Console errors (a Content-Security-Policy violation is one) seen while the test ran."""
    errors = []
    page.on(
        "console",
        lambda message: (
            errors.append(f"{message.text} at {message.location}") if message.type == "error" else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def signed_in(page, live_server, demo, console_errors):
    page.goto(f"{live_server.url}/contacts/")
    page.wait_for_url("**/login/?next=/contacts/")
    page.get_by_label("Email").fill(DEMO_EMAIL)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/contacts/")
    return page


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
