"""Security settings and sign-in throttling."""

import io
import logging
import secrets

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import ProgrammingError, transaction
from django.test import Client

from imports import jobs as import_jobs
from imports import services as import_services
from rexcrm.core.logs import RedactDatabaseErrors
from tests.factories import UserFactory

PASSWORD = "correct horse battery staple"


def browser() -> Client:
    """A client from an address of its own: the buckets (in Redis on PostgreSQL runs) outlive
    a test, and the suite's other sign-ins come from 127.0.0.1."""
    return Client(
        REMOTE_ADDR=f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(256)}"
    )


@pytest.fixture
def owner(org):
    user = UserFactory(
        org=org, email=f"boss-{secrets.token_hex(4)}@acme.example", is_staff=True, is_superuser=True
    )
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.mark.parametrize(("url", "field"), [("/login/", "username"), ("/admin/login/", "username")])
def test_password_guessing_is_throttled_then_even_the_right_password_waits(owner, url, field):
    client = browser()
    for attempt in range(10):
        response = client.post(url, {field: owner.email, "password": f"guess {attempt}"})
        assert response.status_code == 200  # the form again, with its error
    response = client.post(url, {field: owner.email, "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    # Another account from another address is not held up by the first one's guesses.
    other = UserFactory(org=owner.org, email=f"rep-{secrets.token_hex(4)}@acme.example", is_staff=True)
    other.set_password(PASSWORD)
    other.save()
    response = browser().post(url, {field: other.email, "password": PASSWORD})
    assert response.status_code == 302


def test_the_ui_and_admin_logins_share_one_bucket_per_account(owner):
    for attempt in range(5):
        browser().post("/login/", {"username": owner.email, "password": f"guess {attempt}"})
        browser().post("/admin/login/", {"username": owner.email, "password": f"guess {attempt}"})
    client = browser()
    client.post("/admin/login/", {"username": owner.email, "password": PASSWORD})
    assert "_auth_user_id" not in client.session


def test_security_headers_on_pages_and_api(client, api):
    for response in (client.get("/login/"), api.get("/contacts")):
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"
        assert response["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in client.get("/login/")["Content-Security-Policy"]


def test_cookies_are_secure_and_https_answers_carry_hsts(owner):
    client = browser()
    page = client.get("/login/", secure=True)
    assert page["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
    signed_in = client.post("/login/", {"username": owner.email, "password": PASSWORD}, secure=True)
    assert signed_in.status_code == 302
    session = signed_in.cookies["sessionid"]
    assert session["secure"] and session["httponly"] and session["samesite"] == "Lax"
    # Plain HTTP gets no HSTS (browsers ignore it there; production redirects to HTTPS first).
    assert "Strict-Transport-Security" not in client.get("/login/")


@pytest.fixture
def console():
    """What the console handler (the only log output of settings.LOGGING, with its filters)
    writes during the test."""
    handler = next(
        h for h in logging.getLogger().handlers if any(isinstance(f, RedactDatabaseErrors) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


SQL_ERROR = 'syntax error at or near "FROM"\nLINE 1: SELECT key_hash FROM accounts_apikey WHERE '


def test_no_key_password_or_sql_in_error_bodies_or_logs(
    api, org, owner, member, caplog, console, monkeypatch, settings, tmp_path
):
    """Every failing path, every logger at DEBUG: neither the answers nor the log output hold a
    raw key, a password, a webhook secret or token, SECRET_KEY, a key's hash, or SQL."""
    from rexcrm.accounts.api.views import UserViewSet
    from rexcrm.accounts.models import ApiKey
    from rexcrm.events import delivery
    from rexcrm.events.services import webhook_create
    from rexcrm.workspace.views import TodayView
    from tests.events.conftest import Receiver

    caplog.set_level(logging.DEBUG)
    for name in ("django.request", "django.db.backends", "django.security", "rexcrm"):
        caplog.set_level(logging.DEBUG, logger=name)
    bad_key = "rex_live_" + "S" * 40
    webhook_secret = "whsec_" + secrets.token_hex(16)
    url_token = "tok" + secrets.token_hex(12)
    bodies = [
        # A key that does not exist, a hostile query, a NUL in metadata, an invalid webhook.
        Client().get("/api/contacts", HTTP_X_API_KEY=bad_key).content,
        api.get("/contacts", search="x' OR 1=1 --", limit="abc").content,
        api.post("/contacts", {"email": "a@b.co", "metadata": {"k\u0000": 1}}).content,
        api.post(
            "/webhooks", {"name": "x", "url": f"ftp://h.example/?t={url_token}", "secret": "short"}
        ).content,
        # Wrong passwords at both sign-in forms.
        browser().post("/login/", {"username": owner.email, "password": "hunter2-secret"}).content,
        browser().post("/admin/login/", {"username": owner.email, "password": "hunter2-secret"}).content,
    ]

    # A database error quoting its SQL, in an API view and in a page (500s).
    def broken(*args, **kwargs):
        raise ProgrammingError(SQL_ERROR + bad_key)

    monkeypatch.setattr(UserViewSet, "list", broken)
    response = api.get("/users")
    assert response.status_code == 500
    bodies.append(response.content)
    monkeypatch.setattr(TodayView, "get", broken)
    page = Client(raise_request_exception=False)
    page.force_login(member)
    response = page.get("/")
    assert response.status_code == 500
    bodies.append(response.content)

    # A real IntegrityError (a duplicate key hash) in an API view: a 409.
    def clash(*args, **kwargs):
        with transaction.atomic():  # a savepoint: the test's transaction goes on
            ApiKey.objects.create(org=org, name="dup", key_hash=api.key.key_hash, last4="dupe", scope="read")

    monkeypatch.setattr(UserViewSet, "list", clash)
    response = api.get("/users")
    assert response.status_code == 409
    bodies.append(response.content)

    # Webhook deliveries that fail: a refused connection (the URL in its error), then a 410
    # that disables the webhook.
    receiver = Receiver()
    receiver.default = 410
    try:
        webhook_create(
            org=org,
            actor=None,
            name="closed",
            url=f"http://127.0.0.1:1/hook?t={url_token}",
            secret=webhook_secret,
        )
        webhook_create(
            org=org, actor=None, name="gone", url=f"{receiver.url}?t={url_token}", secret=webhook_secret
        )
        api.post("/contacts", {"email": "event@b.co"})
        while delivery.run(None):
            pass
        assert receiver.requests
    finally:
        receiver.close()

    # An import stopped by a database error: what its page says, and the log.
    settings.MEDIA_ROOT = str(tmp_path)
    job = import_services.import_create(
        org=org,
        actor=member,
        upload=SimpleUploadedFile("p.csv", b"email\np@acme.com\n", content_type="text/csv"),
        resource="contacts",
    )
    import_services.import_start(org=org, actor=member, job=job, mapping=job.mapping)

    def chunk_fails(*args, **kwargs):
        raise ProgrammingError(SQL_ERROR + bad_key)

    monkeypatch.setattr(import_services.Chunk, "run", chunk_fails)
    while import_jobs.run(None):
        pass
    ui = Client()
    ui.force_login(member)
    bodies.append(ui.get(f"/imports/{job.typeid}/").content)

    logged = console.getvalue()
    text = "\n".join([b"\n".join(bodies).decode(), logged, *(r.getMessage() for r in caplog.records)])
    # The failures were logged (so the grep saw them), without what they were about.
    assert "Unhandled error in API view" in logged and "ProgrammingError (SQLSTATE" in logged
    assert "Internal Server Error: /" in logged
    assert "disabled" in logged and "stopped at row" in logged
    for secret in (
        bad_key,
        "S" * 40,
        api.raw_key,
        api.key.key_hash,
        "hunter2-secret",
        PASSWORD,
        webhook_secret,
        url_token,
        settings.SECRET_KEY,
    ):
        assert secret not in text, secret
    for sql in ("SELECT ", "INSERT INTO", "LINE 1"):
        assert sql not in text, sql


@pytest.mark.parametrize(
    "name", ["../../../etc/passwd.csv", "/etc/cron.d/x.csv", "..\\..\\win.csv", "a\x00b.csv"]
)
def test_an_uploads_name_never_chooses_where_it_is_stored(org, member, settings, tmp_path, name):
    """The file goes under MEDIA_ROOT/imports/, named by the storage; the name the browser sent
    is only shown (trimmed to 255 characters)."""
    from pathlib import Path

    settings.MEDIA_ROOT = str(tmp_path / "media")
    job = import_services.import_create(
        org=org,
        actor=member,
        upload=SimpleUploadedFile(name, b"email\np@acme.com\n", content_type="text/csv"),
        resource="contacts",
    )
    stored = Path(job.file.path).resolve()
    assert stored.is_relative_to((tmp_path / "media" / "imports").resolve())
    assert ".." not in job.file.name and "\x00" not in job.file.name
    assert stored.read_bytes() == b"email\np@acme.com\n"
    assert "\x00" not in job.filename and job.filename.endswith(".csv")
