"""Security settings and sign-in throttling."""

import logging
import secrets

import pytest
from django.test import Client

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


def test_no_key_password_or_sql_in_error_bodies_or_logs(api, org, caplog, owner):
    """Failures log and answer without the secrets that caused them."""
    caplog.set_level(logging.DEBUG)
    bodies = [
        Client().get("/api/contacts", HTTP_X_API_KEY="rex_live_" + "S" * 40).content,
        api.get("/contacts", search="x' OR 1=1 --", limit="abc").content,
        api.post("/contacts", {"email": "a@b.co", "metadata": {"k\u0000": 1}}).content,
        browser().post("/login/", {"username": owner.email, "password": "hunter2-secret"}).content,
    ]
    text = b"\n".join(bodies).decode() + "\n".join(r.getMessage() for r in caplog.records)
    for secret in ("S" * 40, api.raw_key, "hunter2-secret", PASSWORD):
        assert secret not in text
    for sql in ("SELECT ", "INSERT INTO", "Traceback"):
        assert sql not in text
