"""The worker process: concurrent workers deliver each event to each webhook once and in order,
a worker killed with SIGKILL mid-batch loses nothing, jobs plug in, and old rows are pruned."""

import datetime
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from contacts.services import contact_create
from rexcrm.core import clock
from rexcrm.core.models import IdempotencyKey
from rexcrm.events import delivery, worker
from rexcrm.events.models import Delivery, Event
from rexcrm.events.services import webhook_create
from tests.events.conftest import deliver_all
from tests.factories import OrganizationFactory

ROOT = Path(__file__).resolve().parents[2]


def expected_ids(org) -> list[str]:
    return [
        e.typeid for e in Event.objects.for_org(org).filter(type="contact.created").order_by("txid", "id")
    ]


def wait_for(condition, seconds: float = 60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError("timed out")


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_deliver_each_event_to_each_webhook_once_in_order(receiver):
    org = OrganizationFactory()
    for n in range(3):
        webhook_create(
            org=org, actor=None, name=f"w{n}", url=f"{receiver.url}/{n}", event_types=["contact.*"]
        )
    for n in range(30):
        contact_create(org=org, actor=None, email=f"p{n}@acme.example")
    receiver.delay = 0.005
    deadline = time.monotonic() + 120

    def work():
        try:
            idle = 0
            while idle < 5 and time.monotonic() < deadline:
                idle = 0 if delivery.run(None) else idle + 1
                time.sleep(0.02 * idle)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=150)
    expected = expected_ids(org)
    with receiver.lock:
        for n in range(3):
            got = [r["json"]["id"] for r in receiver.requests if r["path"] == f"/hook/{n}"]
            assert got == expected, n  # each once, in order
    assert Delivery.objects.filter(org=org).count() == 90


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def start_worker(log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url(), "WEBHOOK_LEASE_SECONDS": "2"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "manage.py", "runworker", "--poll", "0.1"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing(receiver, tmp_path):
    org = OrganizationFactory()
    webhook_create(org=org, actor=None, name="Slow", url=receiver.url, event_types=["contact.*"])
    for n in range(20):
        contact_create(org=org, actor=None, email=f"p{n}@acme.example")
    receiver.delay = 0.2
    log = tmp_path / "worker.log"
    process = start_worker(log)
    try:
        wait_for(lambda: len(receiver.requests) >= 5)
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    received = len(receiver.event_ids)
    recorded = Delivery.objects.filter(org=org).count()  # sent and recorded before the kill
    assert received < 20, "killed too late to be mid-batch"
    process = start_worker(log)
    try:
        wait_for(lambda: set(receiver.event_ids) >= set(expected_ids(org)))
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, log.read_text()
    got = receiver.event_ids
    assert list(dict.fromkeys(got)) == expected_ids(org)  # in order
    # Sent again: only what had reached the receiver but was not recorded yet (successes are
    # recorded every second or 50 events), the event in flight at the kill included.
    assert len(got) - len(set(got)) <= received - recorded
    assert Delivery.objects.filter(org=org).count() == 20


def test_jobs_plug_into_the_worker_loop(monkeypatch, caplog):
    calls = []

    def import_chunk(w):
        calls.append(w.id)
        return len(calls) < 3  # busy twice, then idle

    def broken(w):
        raise RuntimeError("a bad job does not stop the others")

    monkeypatch.setattr(worker, "JOBS", {})
    worker.register("imports", import_chunk)
    worker.register("broken", broken)
    loop = worker.Worker(poll_seconds=0)
    assert loop.run_once() is True and loop.run_once() is True and loop.run_once() is False
    assert calls == [loop.id] * 3 and "broken" in caplog.text


def test_the_products_jobs_are_registered():
    assert {"deliveries", "retention"} <= set(worker.JOBS)


def test_pruning_keeps_30_days(org, receiver):
    webhook_create(org=org, actor=None, name="x", url=receiver.url)
    old = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    with clock.frozen(old):
        contact_create(org=org, actor=None, email="old@acme.example")
        deliver_all()
        IdempotencyKey.objects.create(org=org, key="old", fingerprint="f")
    recent = old + datetime.timedelta(days=20)
    with clock.frozen(recent):
        contact_create(org=org, actor=None, email="recent@acme.example")
        deliver_all()
    with clock.frozen(old + datetime.timedelta(days=31)):
        with pytest.raises(CommandError):
            call_command("prune_events", "--days", "7")
        call_command("prune_events")
    assert list(Event.objects.for_org(org).values_list("occurred_at", flat=True)) == [recent]
    assert Delivery.objects.filter(org=org).count() == 1
    assert not IdempotencyKey.objects.exists()
