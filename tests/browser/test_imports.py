"""Import a CSV file in the browser: upload, map a column, start, and watch the progress bar
(htmx polling) reach 100 % while the worker's import job runs beside the live server."""

import threading
import time

import pytest
from django.db import connections
from playwright.sync_api import expect

from contacts.models import Contact
from imports import jobs
from tests.browser.conftest import screenshot

ROWS = 2000


@pytest.fixture
def import_worker(settings, tmp_path):
    """The worker's import job, in a thread of this process, in small chunks (so the bar moves)."""
    settings.REX_IMPORTS = {**settings.REX_IMPORTS, "CHUNK_ROWS": 100}
    settings.MEDIA_ROOT = str(tmp_path / "media")
    stop = threading.Event()

    def loop():
        try:
            while not stop.is_set():
                if not jobs.run(None):
                    time.sleep(0.2)
        finally:
            connections.close_all()

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=60)


@pytest.mark.django_db(transaction=True)
def test_upload_map_a_column_and_watch_the_progress_bar_reach_100(
    signed_in, live_server, demo, console_errors, import_worker, tmp_path
):
    page = signed_in
    path = tmp_path / "leads.csv"
    lines = ["E-mail;Given;Surname"] + [
        f"lead{n}@prospect{n % 40}.example;Lead{n};Person" for n in range(ROWS)
    ]
    path.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")

    page.goto(f"{live_server.url}/contacts/")
    page.get_by_role("link", name="Import CSV").click()
    page.get_by_label("CSV file").set_input_files(str(path))
    expect(page.get_by_label("Import into")).to_have_value("contacts")
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/imports/imp_*/")

    expect(page.get_by_label("E-mail")).to_have_value("email")  # guessed
    expect(page.get_by_label("Surname")).to_have_value("last_name")
    expect(page.get_by_label("Given")).to_have_value("")  # not guessed: Skip
    page.get_by_label("Given").select_option("first_name")
    page.get_by_role("button", name="Update preview").click()
    expect(page.get_by_role("cell", name="Lead0", exact=True)).to_be_visible()
    screenshot(page, "import-mapping")

    page.get_by_role("button", name="Start import").click()
    bar = page.locator("progress")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("value", "100", timeout=120_000)
    expect(page.get_by_text(f"{ROWS} created")).to_be_visible()
    expect(page.get_by_text("0 failed")).to_be_visible()
    screenshot(page, "import-done")
    assert (
        Contact.objects.filter(org=demo.org, email__startswith="lead", first_name__startswith="Lead").count()
        == ROWS
    )
    assert console_errors == []
