"""The delivery worker against a real HTTP receiver on 127.0.0.1: signatures, order, retries and
their schedule (on a controllable clock), Retry-After, auto-disable, ping and replay."""

import base64
import datetime
import hashlib
import hmac
import itertools

import pytest
from django.test import override_settings
from django.utils import timezone

from contacts.services import contact_create, contact_update
from rexcrm.core import clock
from rexcrm.events import delivery
from rexcrm.events.models import Delivery, Event, Webhook
from rexcrm.events.services import webhook_create, webhook_ping, webhook_replay, webhook_update
from tests.events.conftest import deliver_all

T0 = datetime.datetime(2026, 3, 16, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def hook(org, receiver):
    with clock.frozen(T0):
        return webhook_create(
            org=org, actor=None, name="Receiver", url=receiver.url, event_types=["contact.*"]
        )


def contacts(org, count: int, start: int = 0, at=T0) -> list:
    with clock.frozen(at):
        return [
            contact_create(org=org, actor=None, email=f"p{n}@acme.example")
            for n in range(start, start + count)
        ]


def test_delivers_every_event_once_in_order_signed(org, hook, receiver):
    contacts(org, 3)
    with clock.frozen(T0):
        deliver_all()
    expected = [
        e.typeid for e in Event.objects.for_org(org).filter(type__startswith="contact.").order_by("id")
    ]
    assert receiver.event_ids == expected
    first = receiver.requests[0]
    assert first["json"]["type"] == first["json"]["event"] == "contact.created"
    assert first["json"]["data"]["object"]["email"] == "p0@acme.example"
    assert first["json"]["data"]["previous"] == {}
    assert first["json"]["timestamp"] == "2026-03-16T09:00:00Z"
    # The signature, computed independently from the raw body and the secret string.
    header = first["headers"]["X-Rex-Signature"]
    parts = dict(part.split("=", 1) for part in header.split(","))
    signed = f"{parts['t']}.".encode() + first["body"]
    assert parts["v1"] == hmac.new(hook.secret.encode(), signed, hashlib.sha256).hexdigest()
    assert abs(int(parts["t"]) - timezone.now().timestamp()) < 60
    # Standard Webhooks: the event id, and its signature keyed by the base64 secret.
    assert first["headers"]["webhook-id"] == first["json"]["id"]
    key = base64.b64decode(hook.secret.removeprefix("whsec_"))
    signed = f"{first['json']['id']}.{parts['t']}.".encode() + first["body"]
    expected_sig = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert first["headers"]["webhook-signature"] == f"v1,{expected_sig}"
    assert first["headers"]["User-Agent"].startswith("RexCRM-Webhooks/")
    rows = Delivery.objects.filter(webhook=hook).order_by("created_at")
    assert [(d.status, d.status_code, d.attempt) for d in rows] == [("succeeded", 200, 1)] * 3
    hook.refresh_from_db()
    assert hook.failure_count == 0 and hook.lease_token is None


def test_the_readmes_receiver_example_verifies_a_delivery(org, hook, receiver):
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    example = next(block for block in readme.split("```python")[1:] if "def verify" in block).split("```")[0]
    namespace = {}
    exec(example, namespace)
    contacts(org, 1)
    with clock.frozen(T0):
        deliver_all()
    request = receiver.requests[0]
    event = namespace["verify"](hook.secret, request["headers"]["X-Rex-Signature"], request["body"])
    assert event["id"] == request["json"]["id"]
    with pytest.raises(ValueError, match="bad signature"):
        namespace["verify"](hook.secret, request["headers"]["X-Rex-Signature"], request["body"] + b" ")


def test_only_subscribed_types_reach_the_webhook(org, receiver):
    with clock.frozen(T0):
        webhook_create(org=org, actor=None, name="Updates", url=receiver.url, event_types=["contact.updated"])
        (contact,) = contacts(org, 1)
        contact_update(org=org, actor=None, contact=contact, title="CTO")
        deliver_all()
    assert [r["json"]["type"] for r in receiver.requests] == ["contact.updated"]
    assert receiver.requests[0]["json"]["data"]["previous"]["title"] == ""


def test_failures_retry_on_the_backoff_schedule_and_hold_later_events(org, hook, receiver):
    receiver.responses = [500, 500]
    contacts(org, 2)
    with clock.frozen(T0):
        deliver_all()
    assert len(receiver.requests) == 1  # the first failed; the second waits behind it
    failed = Delivery.objects.get(webhook=hook, attempt=1)
    assert failed.status == "failed" and failed.status_code == 500 and failed.error == "HTTP 500"
    wait = (failed.next_retry_at - T0).total_seconds()
    assert 24 <= wait <= 36  # 30 s ± 20 %
    with clock.frozen(T0 + datetime.timedelta(seconds=23)):
        deliver_all()
    assert len(receiver.requests) == 1  # not due yet
    with clock.frozen(failed.next_retry_at):
        deliver_all()
    second = Delivery.objects.get(webhook=hook, attempt=2)
    assert 72 <= (second.next_retry_at - failed.next_retry_at).total_seconds() <= 108  # 90 s ± 20 %
    with clock.frozen(second.next_retry_at):
        deliver_all()
    first_id, second_id = (e.typeid for e in Event.objects.for_org(org).order_by("id")[:2])
    assert receiver.event_ids == [first_id, first_id, first_id, second_id]
    assert list(Delivery.objects.filter(webhook=hook).order_by("created_at").values_list("attempt", "status")) == [
        (1, "failed"), (2, "failed"), (3, "succeeded"), (1, "succeeded"),
    ]  # fmt: skip


def test_the_schedule_spans_about_a_day():
    waits = [delivery.retry_delay(n).total_seconds() for n in range(1, delivery.MAX_ATTEMPTS)]
    assert all(later > earlier for earlier, later in itertools.pairwise(waits))
    assert 18 * 3600 < sum(waits) < 36 * 3600


def test_a_timeout_is_a_failed_attempt(org, hook, receiver, settings):
    settings.REX_WEBHOOKS = {**settings.REX_WEBHOOKS, "TIMEOUT": 0.3}
    receiver.responses = [(200, 1.0, {})]
    contacts(org, 1)
    with clock.frozen(T0):
        deliver_all()
    attempt = Delivery.objects.get(webhook=hook)
    assert attempt.status == "failed" and attempt.status_code is None
    assert attempt.error.startswith("Timed out") and attempt.next_retry_at is not None


def test_429_waits_at_least_retry_after(org, hook, receiver):
    receiver.responses = [(429, 0, {"Retry-After": "3600"})]
    contacts(org, 1)
    with clock.frozen(T0):
        deliver_all()
    attempt = Delivery.objects.get(webhook=hook)
    assert attempt.status_code == 429 and attempt.next_retry_at == T0 + datetime.timedelta(hours=1)


def test_redirects_are_not_followed(org, hook, receiver):
    receiver.responses = [(302, 0, {"Location": receiver.url + "/elsewhere"})]
    contacts(org, 1)
    with clock.frozen(T0):
        deliver_all()
    assert len(receiver.requests) == 1
    attempt = Delivery.objects.get(webhook=hook)
    assert attempt.status == "failed" and attempt.status_code == 302 and "Redirect" in attempt.error


def test_410_disables_the_webhook_and_keeps_the_event(org, hook, receiver):
    receiver.responses = [410]
    contacts(org, 1)
    with clock.frozen(T0):
        deliver_all()
    hook.refresh_from_db()
    assert hook.status == "disabled"
    with clock.frozen(T0):
        webhook_update(org=org, actor=None, webhook=hook, status="active")
        deliver_all()
    assert len(set(receiver.event_ids)) == 1 and len(receiver.requests) == 2  # the same event again


def advance_until_settled(hook, limit=200):
    """Run the worker at each next retry time until nothing is due."""
    at = T0
    for _ in range(limit):
        with clock.frozen(at):
            deliver_all()
        hook.refresh_from_db()
        if hook.status != "active" or hook.next_attempt_at is None:
            return
        at = hook.next_attempt_at
    raise AssertionError("never settled")


def test_twenty_failed_events_in_a_row_disable_the_webhook(org, hook, receiver):
    receiver.default = 500
    contacts(org, 25)
    advance_until_settled(hook)
    hook.refresh_from_db()
    assert hook.status == "disabled" and hook.failure_count == 20
    # The first event got every attempt (about a day); the next 19 one each (the endpoint was down).
    assert Delivery.objects.filter(webhook=hook).count() == delivery.MAX_ATTEMPTS + 19
    first = Event.objects.for_org(org).order_by("id").first()
    assert Delivery.objects.filter(webhook=hook, event=first).count() == delivery.MAX_ATTEMPTS
    span = Delivery.objects.filter(webhook=hook, event=first).order_by("created_at")
    assert 18 * 3600 < (span.last().created_at - span.first().created_at).total_seconds() < 40 * 3600
    # Nothing more is sent until a client reactivates it; then the rest follows.
    receiver.default = 200
    with clock.frozen(T0 + datetime.timedelta(days=3)):
        deliver_all()
        assert Delivery.objects.filter(webhook=hook).count() == delivery.MAX_ATTEMPTS + 19
        webhook_update(org=org, actor=None, webhook=hook, status="active")
        deliver_all()
    hook.refresh_from_db()
    assert hook.failure_count == 0
    assert receiver.event_ids[-5:] == [e.typeid for e in Event.objects.for_org(org).order_by("id")][-5:]


def test_a_success_resets_the_failure_count(org, hook, receiver):
    receiver.responses = [500] * delivery.MAX_ATTEMPTS
    contacts(org, 2)
    advance_until_settled(hook)
    hook.refresh_from_db()
    assert hook.status == "active" and hook.failure_count == 0
    assert Delivery.objects.filter(webhook=hook, status="succeeded").count() == 1


def test_paused_webhooks_wait_and_catch_up(org, hook, receiver):
    with clock.frozen(T0):
        webhook_update(org=org, actor=None, webhook=hook, status="paused")
    contacts(org, 2)
    with clock.frozen(T0):
        deliver_all()
        assert receiver.requests == []
        webhook_update(org=org, actor=None, webhook=hook, status="active")
        deliver_all()
    assert len(receiver.requests) == 2


def test_ping_is_delivered_to_its_webhook_only(org, hook, receiver):
    with clock.frozen(T0):
        other = webhook_create(org=org, actor=None, name="Other", url=receiver.url + "/other")
        event = webhook_ping(org=org, actor=None, webhook=hook)
        deliver_all()
    assert [(r["path"], r["json"]["type"]) for r in receiver.requests] == [("/hook", "ping")]
    assert receiver.requests[0]["json"]["data"] == {"webhook_id": hook.typeid}
    assert Delivery.objects.get(webhook=hook).event_id == event.pk
    assert not Delivery.objects.filter(webhook=other).exists()


def test_replay_delivers_again_in_order_from_since(org, hook, receiver):
    contacts(org, 2)
    contacts(org, 2, start=2, at=T0 + datetime.timedelta(hours=1))
    with clock.frozen(T0 + datetime.timedelta(hours=2)):
        deliver_all()
        assert len(receiver.requests) == 4
        webhook_replay(org=org, actor=None, webhook=hook, since=T0 + datetime.timedelta(minutes=30))
        deliver_all()
    ids = [e.typeid for e in Event.objects.for_org(org).filter(type="contact.created").order_by("id")]
    assert receiver.event_ids == ids + ids[2:]
    with clock.frozen(T0 + datetime.timedelta(hours=2)):  # a later since never skips ahead
        webhook_replay(org=org, actor=None, webhook=hook, since=T0 + datetime.timedelta(days=9))
        deliver_all()
    assert len(receiver.requests) == 6


def test_a_new_webhook_gets_the_events_from_its_creation_on(org, receiver):
    contacts(org, 1)
    with clock.frozen(T0):
        late = webhook_create(org=org, actor=None, name="Late", url=receiver.url)
        contacts(org, 1, start=1)
        deliver_all()
    emails = [r["json"]["data"]["object"]["email"] for r in receiver.requests]
    assert "p1@acme.example" in emails
    assert Webhook.objects.get(pk=late.pk).failure_count == 0


# -- the SSRF guard ---------------------------------------------------------------------------

FORBIDDEN = [
    ("127.0.0.1", "loopback"),
    ("::1", "loopback (IPv6)"),
    ("10.1.2.3", "private"),
    ("172.16.5.4", "private"),
    ("192.168.1.10", "private"),
    ("fd12:3456::1", "private (IPv6 unique local)"),
    ("169.254.169.254", "link-local: cloud metadata"),
    ("fe80::1", "link-local (IPv6)"),
    ("fd00:ec2::254", "cloud metadata (IPv6)"),
    ("100.64.0.7", "CGNAT"),
    ("100.100.100.200", "cloud metadata in CGNAT space"),
    ("224.0.0.251", "multicast"),
    ("0.0.0.0", "unspecified"),
]


@pytest.fixture
def no_connections(monkeypatch):
    """Fail loudly (and send nothing) if anything tries to open a connection."""
    import urllib3.util.connection

    def refuse(address, *args, **kwargs):
        raise AssertionError(f"a connection to {address} was attempted")

    monkeypatch.setattr(urllib3.util.connection, "create_connection", refuse)
    monkeypatch.setattr("urllib3.connection.connection.create_connection", refuse)


def resolve_to(monkeypatch, address: str):
    """Every host name resolves to ``address`` (a DNS answer pointing inside)."""
    import socket

    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    sockaddr = (address, 443, 0, 0) if ":" in address else (address, 443)
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *args, **kwargs: [(family, socket.SOCK_STREAM, 6, "", sockaddr)]
    )


@override_settings(REX_WEBHOOKS={"ALLOW_LOOPBACK": False, "TIMEOUT": 2, "LEASE_SECONDS": 60})
@pytest.mark.parametrize(("address", "kind"), FORBIDDEN, ids=[kind for _, kind in FORBIDDEN])
def test_the_guard_refuses_a_host_that_resolves_inside(org, monkeypatch, no_connections, address, kind):
    hook = Webhook.objects.create(org=org, name="x", url="https://hooks.example.com/x", secret="s" * 20)
    event = Event.objects.create(org=org, type="contact.created", data="{}")
    resolve_to(monkeypatch, address)
    with delivery.http_session() as session:
        outcome = delivery.send(session, hook, event)
    assert not outcome.ok and outcome.error.startswith("Refused"), (kind, outcome)


@override_settings(REX_WEBHOOKS={"ALLOW_LOOPBACK": False, "TIMEOUT": 2, "LEASE_SECONDS": 60})
def test_outside_debug_a_name_resolving_to_localhost_is_refused_at_send_time(
    org, monkeypatch, no_connections
):
    resolve_to(monkeypatch, "127.0.0.1")
    with clock.frozen(T0):
        hook = webhook_create(org=org, actor=None, name="x", url="https://rebind.example.com/hook")
        contacts(org, 1)
        deliver_all()
    attempt = Delivery.objects.get(webhook=hook)
    assert attempt.status == "failed" and "forbidden address (127.0.0.1)" in attempt.error


@override_settings(REX_WEBHOOKS={"ALLOW_LOOPBACK": False, "TIMEOUT": 2, "LEASE_SECONDS": 60})
def test_outside_debug_plain_http_is_refused_before_any_request(org, no_connections):
    hook = Webhook.objects.create(org=org, name="x", url="http://hooks.example.com/x", secret="s" * 20)
    event = Event.objects.create(org=org, type="contact.created", data="{}")
    with delivery.http_session() as session:
        outcome = delivery.send(session, hook, event)
    assert not outcome.ok and "https://" in outcome.error


def test_the_guard_checks_the_first_address_and_connects_to_it(org, monkeypatch, receiver):
    """DNS rebinding: the address checked is the address connected to (pinned), whatever a second
    lookup would say."""
    import socket

    real = socket.getaddrinfo
    answers = iter(["127.0.0.1", "127.0.0.2"])  # a second lookup would miss the receiver

    def rebinding(host, *args, **kwargs):
        if host == "rebind.localhost":
            return real(next(answers), *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = receiver.server.server_port
    hook = Webhook.objects.create(
        org=org, name="x", url=f"http://rebind.localhost:{port}/hook", secret="s" * 20
    )
    event = Event.objects.create(org=org, type="contact.created", data="{}")
    with delivery.http_session() as session:
        outcome = delivery.send(session, hook, event)
    assert outcome.ok and receiver.requests[0]["headers"]["Host"] == f"rebind.localhost:{port}"
