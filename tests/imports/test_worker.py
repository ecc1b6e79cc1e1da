"""The kill-and-resume drill: a real ``manage.py runworker`` SIGKILLed in the middle of a file;
a second worker resumes from the last committed chunk, and nothing is lost or doubled."""

import signal

import pytest

from contacts.models import Contact
from imports import jobs, services
from imports.models import ImportJob, ImportStatus
from rexcrm.events import worker
from rexcrm.events.models import Event
from tests.events.test_worker import start_worker, wait_for
from tests.imports.conftest import upload

ROWS, CHUNK = 20_000, 500


def test_the_import_job_is_registered_with_the_one_worker():
    assert worker.JOBS["imports"] is jobs.run


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_file_resumes_from_its_last_committed_chunk(
    org, member, ui, tmp_path, monkeypatch, settings
):
    lines = ["Email,First name"] + [f"p{n}@example.org,P{n}" for n in range(ROWS)]
    job = services.import_create(org=org, actor=member, upload=upload("\n".join(lines)), resource="contacts")
    services.import_start(org=org, actor=member, job=job, mapping=job.mapping)
    monkeypatch.setenv("MEDIA_ROOT", settings.MEDIA_ROOT)
    monkeypatch.setenv("IMPORT_CHUNK_ROWS", str(CHUNK))
    monkeypatch.setenv("IMPORT_LEASE_SECONDS", "2")
    log = tmp_path / "worker.log"

    def position():
        return ImportJob.objects.get(pk=job.pk).position

    process = start_worker(log)
    try:
        wait_for(lambda: position() >= 3 * CHUNK, seconds=120)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    job.refresh_from_db()
    assert job.status == ImportStatus.RUNNING and 0 < job.position < ROWS, "killed too late to be mid-file"
    assert job.position % CHUNK == 0  # whole chunks only
    assert Contact.objects.for_org(org).count() == job.position == job.created  # rows and position together
    wait_for(lambda: ImportJob.objects.get(pk=job.pk).stalled, seconds=30)
    page = ui.get(f"/imports/{job.typeid}/").content.decode()
    assert f"Stopped after row {job.position + 1}: no worker is running it." in page
    assert f"it resumes from row {job.position + 2}" in page

    process = start_worker(log)
    try:
        wait_for(lambda: ImportJob.objects.get(pk=job.pk).status == ImportStatus.DONE, seconds=180)
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()
    job.refresh_from_db()
    assert (job.position, job.created, job.updated, job.unchanged, job.failed) == (ROWS, ROWS, 0, 0, 0)
    emails = list(Contact.objects.for_org(org).values_list("email", flat=True))
    assert len(emails) == len(set(emails)) == ROWS
    assert Event.objects.for_org(org).filter(type="contact.created").count() == ROWS  # no event twice
    page = ui.get(f"/imports/{job.typeid}/").content.decode()
    assert f"{ROWS} created" in page and 'value="100"' in page
