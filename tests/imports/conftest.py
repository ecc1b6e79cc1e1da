import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from imports import jobs, services
from imports.models import ImportJob


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def upload(content: str | bytes, name: str = "people.csv") -> SimpleUploadedFile:
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")


def run_import(org, member, content, resource="contacts", mapping=None) -> ImportJob:
    """Upload, start with the guessed (or given) mapping, and let the worker's job finish it."""
    job = services.import_create(org=org, actor=member, upload=upload(content), resource=resource)
    services.import_start(org=org, actor=member, job=job, mapping=mapping or job.mapping)
    while jobs.run(None):
        pass
    job.refresh_from_db()
    return job
