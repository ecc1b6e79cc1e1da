import json

import factory.random
import pytest
import redis
from django.conf import settings
from django.test import Client

from rexcrm.accounts import selectors, services
from rexcrm.accounts.services import apikey_create
from tests.factories import OrganizationFactory
from tests.helpers.queries import queries


class Api:
    """A test client speaking to /api with one API key; ``.get("/users", limit=5)``."""

    def __init__(self, raw_key: str | None, key=None):
        self.raw_key = raw_key
        self.key = key
        self.client = Client()

    def _headers(self, headers):
        base = {"X-Api-Key": self.raw_key} if self.raw_key else {}
        return {**base, **(headers or {})}

    def get(self, path, headers=None, **params):
        return self.client.get(f"/api{path}", params, headers=self._headers(headers))

    def get_ok(self, path, **params):
        """A GET that must answer 200."""
        response = self.get(path, **params)
        assert response.status_code == 200, response.content
        return response

    def post(self, path, body=None, *, raw=None, content_type="application/json", headers=None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.post(
            f"/api{path}", data, content_type=content_type, headers=self._headers(headers)
        )

    def patch(self, path, body=None, *, raw=None, content_type="application/json", headers=None):
        data = raw if raw is not None else json.dumps(body if body is not None else {})
        return self.client.patch(
            f"/api{path}", data, content_type=content_type, headers=self._headers(headers)
        )

    def put(self, path, body=None, headers=None):
        return self.client.put(
            f"/api{path}",
            json.dumps(body or {}),
            content_type="application/json",
            headers=self._headers(headers),
        )

    def delete(self, path, headers=None):
        return self.client.delete(f"/api{path}", headers=self._headers(headers))

    def get_all(self, path, **params):
        """Follow next_cursor to the end; returns every row in order."""
        rows, cursor = [], None
        while True:
            body = self.get_ok(path, **params, **({"cursor": cursor} if cursor else {})).json()
            rows.extend(body["data"])
            cursor = body["next_cursor"]
            if not cursor:
                return rows


@pytest.fixture(autouse=True, scope="session")
def _no_sign_in_attempts_of_earlier_runs():
    """Sign-in throttle buckets live in Redis beyond a test run (the API keys' are new each
    run): a run starts without the attempts of the runs before it."""
    if settings.REDIS_URL:
        client = redis.Redis.from_url(settings.REDIS_URL)
        for key in client.scan_iter("rexcrm:rl:login:*"):
            client.delete(key)


@pytest.fixture(autouse=True)
def _fresh_process_caches(monkeypatch):
    """Each test starts like a new process, no API key kept from another test, and its clock
    stands still (a key is kept for the whole test unless the test moves ``selectors._clock``),
    so query counts do not depend on how fast the machine is."""
    selectors._local.clear()
    services._touched.clear()
    monkeypatch.setattr(selectors, "_clock", lambda: 0.0)


@pytest.fixture(autouse=True)
def _deterministic_factories(request):
    """Faker's names, companies… are the same on every run of a test, whatever ran before."""
    factory.random.reseed_random(request.node.nodeid)


@pytest.fixture
def org(db):
    return OrganizationFactory(name="Acme Sales")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(name="Globex")


@pytest.fixture
def make_api(db):
    def make(org, scope="read-write", environment="live"):
        key, raw = apikey_create(
            actor=None, org=org, name=f"{scope} key", scope=scope, environment=environment
        )
        return Api(raw, key)

    return make


@pytest.fixture
def api(org, make_api):
    return make_api(org)


@pytest.fixture
def other_api(other_org, make_api):
    return make_api(other_org)


@pytest.fixture
def anon():
    return Api(None)


def error_of(response) -> dict:
    """The ``error`` object of an error response, after checking the envelope's invariants."""
    assert response["Content-Type"] == "application/json", response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    error = body["error"]
    assert error["request_id"] == response["X-Request-Id"]
    assert isinstance(error["message"], str) and error["message"]
    assert "Traceback" not in response.content.decode()
    return error


def pytest_collection_modifyitems(config, items):
    """``@pytest.mark.postgres`` tests run on PostgreSQL only (CI runs the suite on both).
    Browser tests run last: Playwright's event loop stays up from the first one to the end."""
    from django.db import connection

    items.sort(key=lambda item: "tests/browser/" in str(item.fspath))

    if connection.vendor != "postgresql":
        skip = pytest.mark.skip(reason="needs PostgreSQL; CI runs the suite on PostgreSQL too")
        for item in items:
            if "postgres" in item.keywords:
                item.add_marker(skip)


# -- web UI ------------------------------------------------------------------------------------

MEMBER_PASSWORD = "pw-123456"


@pytest.fixture
def member(org):
    from tests.factories import UserFactory

    return UserFactory(org=org, email="rep@acme.example", first_name="Rita", last_name="Rep")


@pytest.fixture
def ui(member):
    """A browser-like client signed in as ``member`` (a team member of ``org``)."""
    client = Client()
    client.force_login(member)
    return client


def row_ids(response) -> list[str]:
    """The ids of a list page's rows, in order (their bulk-select checkboxes)."""
    import re

    assert response.status_code == 200, response.status_code
    return re.findall(r'value="([a-z]+_[0-9A-Z]{26})" data-row', response.content.decode())


def page_queries(client, path) -> int:
    """How many queries one page costs (it must answer 200)."""
    with queries() as sql:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(sql)


@pytest.fixture
def admin_member(org):
    """An administrator of ``org`` (``is_staff``): manages the team, keys, pipelines, webhooks."""
    from tests.factories import UserFactory

    return UserFactory(org=org, email="boss@acme.example", first_name="Ada", last_name="Admin", is_staff=True)


@pytest.fixture
def admin_ui(admin_member):
    client = Client()
    client.force_login(admin_member)
    return client
