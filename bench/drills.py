"""Fault drills: faults under load, and what the API answers and keeps.

    .venv/bin/python bench/drills.py [postgres] [worker-kill] [redis] [delivery] (default: all)

Runs on throwaway services only (``bench/throwaway.py``: its own PostgreSQL cluster on 5440,
Redis on 6390, gunicorn with two workers on 8250), never the shared PostgreSQL or Redis. Each
drill runs a load of writers (``POST /api/activities``, each with a unique ``external_id``), a
batcher (``POST /api/activities/batch``) and readers (lists), injects its fault, and checks:

1. ``postgres``: PostgreSQL stopped for 4 s under load, then started again. During the outage
   every answer is a 503 in the error envelope (``service_unavailable``; never a 500 or HTML);
   the app recovers without a restart (the last seconds all 2xx); every write answered 2xx is
   in the database (looked up by external_id).
2. ``worker-kill``: each gunicorn worker SIGKILLed in turn under load. Requests the killed
   worker held get no answer (the connection drops): never acknowledged. Every write answered
   2xx is in the database; no 5xx; the master restarts the workers.
3. ``redis``: Redis killed for 8 s under load, then started again (empty). The API keeps
   serving: no answer but 2xx (the rate limiter uses the database's buckets, keys are read from
   the database); every write answered 2xx is in the database; after Redis is back the rate
   limiter uses it again.
4. ``delivery``: a webhook to a local receiver (which counts deliveries by event id), events
   written through the API, the delivery worker (``manage.py runworker``) SIGKILLed while it
   delivers, another started: every event of the organization reaches the receiver (at least
   once; redeliveries are counted).

Exits non-zero when a check fails. Prints the answers per phase.
"""

import itertools
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# throwaway sets the environment (DATABASE_URL…) before Django is set up.
import django

from bench import loadgen, throwaway

FAILURES: list[str] = []


def check(ok: bool, what: str) -> None:
    print(f"  [{'ok' if ok else 'FAIL'}] {what}")
    if not ok:
        FAILURES.append(what)


def load(rec: loadgen.Recorder, raw_key: str, prefix: str) -> list:
    return [
        loadgen.start(loadgen.writer, rec, "k", raw_key, f"{prefix}-w1"),
        loadgen.start(loadgen.writer, rec, "k", raw_key, f"{prefix}-w2"),
        loadgen.start(loadgen.batcher, rec, "k", raw_key, f"{prefix}-b", size=20),
        loadgen.start(loadgen.reader, rec, "k", raw_key),
        loadgen.start(loadgen.reader, rec, "k", raw_key),
    ]


def finish(rec: loadgen.Recorder, threads: list) -> None:
    rec.stop.set()
    for thread in threads:
        thread.join(60)


def stored(org, external_ids: set[str]) -> set[str]:
    from django.db import connection

    from activities.models import Activity

    connection.close()  # the drill's own connection may have died with the server
    found: set[str] = set()
    ids = sorted(external_ids)
    for start in range(0, len(ids), 5000):
        found.update(
            Activity.objects.for_org(org)
            .filter(source="drill", external_id__in=ids[start : start + 5000])
            .values_list("external_id", flat=True)
        )
    return found


def check_acknowledged(org, rec: loadgen.Recorder) -> None:
    missing = rec.acked - stored(org, rec.acked)
    check(
        not missing,
        f"every write answered 2xx is stored: {len(rec.acked)} acknowledged, {len(missing)} missing",
    )


def check_envelopes(rec: loadgen.Recorder) -> None:
    bad = rec.bad()
    sample = [(a.status, a.body[:200]) for a in bad[:3]]
    check(
        not bad,
        f"every failure is a 4xx or 503 in the error envelope ({len(bad)} not) {sample if bad else ''}",
    )


def phases(rec: loadgen.Recorder, marks: list[tuple[str, float]]) -> None:
    bounds = [*marks, ("end", float("inf"))]
    for (name, since), (_, until) in itertools.pairwise(bounds):
        print(f"  {name:<28} {rec.summary(since, until)}")


def drill_postgres(stack, org, raw_key) -> None:
    print("\n1. PostgreSQL stopped for 4 s under load, then started")
    rec = loadgen.Recorder()
    began = time.monotonic()
    threads = load(rec, raw_key, "pg")
    time.sleep(5)
    down = time.monotonic()
    stack.stop_postgres()
    time.sleep(4)
    stack.pg_ctl("start")
    up = time.monotonic()
    time.sleep(6)
    settled = time.monotonic() - 3
    finish(rec, threads)
    phases(rec, [("before", began), ("outage (stop to started)", down), ("after", up)])
    outage = [a for a in rec.answers if down <= a.at < up and a.status != 200 and a.status != 201]
    check(
        any(a.status == 503 and a.envelope == "service_unavailable" for a in outage),
        "the outage answered 503 service_unavailable",
    )
    check_envelopes(rec)
    check(not [a for a in rec.answers if a.status == 0], "every request got an HTTP answer")
    last = [a for a in rec.answers if a.at >= settled]
    check(
        bool(last) and all(200 <= a.status < 300 for a in last),
        f"recovered without a restart: last 3 s all 2xx ({len(last)} answers)",
    )
    check_acknowledged(org, rec)


def drill_worker_kill(stack, org, raw_key) -> None:
    print("\n2. Each gunicorn worker SIGKILLed in turn under load")
    rec = loadgen.Recorder()
    began = time.monotonic()
    threads = load(rec, raw_key, "kill")
    marks = [("before", began)]
    time.sleep(4)
    for n, pid in enumerate(stack.web_workers()):
        marks.append((f"worker {n + 1} ({pid}) killed", time.monotonic()))
        os.kill(pid, signal.SIGKILL)
        time.sleep(6)  # the master starts a new worker, which loads Django
    marks.append(("after", time.monotonic()))
    time.sleep(6)
    settled = time.monotonic() - 3
    finish(rec, threads)
    phases(rec, marks)
    dropped = [a for a in rec.answers if a.status == 0]
    print(f"  {len(dropped)} requests got no answer (held by a killed worker): not acknowledged")
    check(not [a for a in rec.answers if a.status >= 500], "no 5xx")
    check_envelopes(rec)
    check(len(stack.web_workers()) == 2, "the master runs two workers again")
    last = [a for a in rec.answers if a.at >= settled]
    check(bool(last) and all(200 <= a.status < 300 for a in last), f"last 3 s all 2xx ({len(last)} answers)")
    check_acknowledged(org, rec)


def redis_keys(pattern: str) -> int:
    out = subprocess.run(
        ["redis-cli", "-p", str(throwaway.REDIS_PORT), "--scan", "--pattern", pattern],
        capture_output=True,
        text=True,
    )
    return len(out.stdout.split())


def drill_redis(stack, org, raw_key) -> None:
    print("\n3. Redis killed for 8 s under load, then started (empty)")
    rec = loadgen.Recorder()
    began = time.monotonic()
    threads = load(rec, raw_key, "redis")
    time.sleep(4)
    check(redis_keys("rexcrm:rl:*") > 0, "before: the rate limiter's buckets are in Redis")
    down = time.monotonic()
    stack.stop_redis()
    time.sleep(8)
    stack.start_redis()
    up = time.monotonic()
    time.sleep(8)  # the processes try Redis again 5 s after their last failure
    finish(rec, threads)
    phases(rec, [("before", began), ("Redis down", down), ("Redis back", up)])
    check(all(200 <= a.status < 300 for a in rec.answers), "every answer 2xx (the API kept serving)")
    check(sum(1 for a in rec.answers if down <= a.at < up) > 0, "requests were served while Redis was down")
    check(redis_keys("rexcrm:rl:*") > 0, "after: the rate limiter uses Redis again")
    check_acknowledged(org, rec)


RECEIVER = """
import sys, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

out = open(sys.argv[2], "a", buffering=1)

class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        time.sleep(0.01)  # a receiver that takes a moment, so that the kill lands mid-delivery
        out.write(self.headers["webhook-id"] + "\\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass

ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
"""


def drill_delivery(stack) -> None:
    from django.conf import settings
    from django.db import connection

    from rexcrm.accounts.services import apikey_create
    from rexcrm.events.models import Event
    from rexcrm.events.services import webhook_create
    from rexcrm.workspace.services import organization_provision

    print("\n4. The delivery worker SIGKILLed mid-delivery, another started")
    connection.close()
    org = organization_provision(name=f"Delivery drill {time.time():.0f}")
    _, raw_key = apikey_create(org=org, actor=None, name="drill", scope="read-write")
    settings.REX_WEBHOOKS["ALLOW_LOOPBACK"] = True  # the receiver is on this machine
    webhook = webhook_create(
        org=org, actor=None, name="drill", url=f"http://127.0.0.1:{throwaway.RECEIVER_PORT}/hook"
    )
    # The events the webhook is owed: those committed after it was created (not the new
    # organization's own, before it).
    owed = Event.objects.filter(org=org).after(webhook.cursor_txid, webhook.cursor_id)
    log = Path("/tmp/drill-receiver.log")
    log.unlink(missing_ok=True)
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(throwaway.RECEIVER_PORT), str(log)])
    worker_env = {"DEBUG": "1", "WEBHOOK_LEASE_SECONDS": "3"}  # DEBUG: webhooks may reach 127.0.0.1
    workers = []
    try:
        rec = loadgen.Recorder()
        threads = [
            loadgen.start(loadgen.writer, rec, "k", raw_key, "dlv-w1"),
            loadgen.start(loadgen.batcher, rec, "k", raw_key, "dlv-b", size=50),
        ]
        time.sleep(4)
        workers.append(stack.start_worker(**worker_env))

        def received() -> list[str]:
            return log.read_text().split() if log.exists() else []

        deadline = time.monotonic() + 60
        while len(received()) < 50 and time.monotonic() < deadline:
            time.sleep(0.2)
        finish(rec, threads)
        connection.close()
        total = owed.count()
        at_kill = len(received())
        workers[0].send_signal(signal.SIGKILL)
        workers[0].wait()
        print(f"  worker killed after {at_kill} deliveries of {total} events")
        check(0 < at_kill < total, "the kill landed mid-delivery")
        workers.append(stack.start_worker(**worker_env))
        expected = {event.typeid for event in owed}
        deadline = time.monotonic() + 300
        while not expected <= set(received()) and time.monotonic() < deadline:
            time.sleep(0.5)
        got = received()
        missing = expected - set(got)
        print(
            f"  {len(expected)} events, {len(got)} deliveries, {len(got) - len(set(got))} redelivered (at least once)"
        )
        check(
            not missing,
            f"every event delivered after the kill ({len(missing)} missing: {sorted(missing)[:5]})",
        )
        check(set(got) <= expected, "nothing delivered that is not an event of the organization")
    finally:
        for worker in workers:
            worker.kill()
            worker.wait()
        receiver.kill()
        receiver.wait()


def main(argv: list[str]) -> int:
    chosen = argv or ["postgres", "worker-kill", "redis", "delivery"]
    with throwaway.Stack(web_env={"RATE_LIMIT_PER_MINUTE": "1000000"}) as stack:
        django.setup()
        from rexcrm.accounts.services import apikey_create
        from rexcrm.workspace.services import organization_provision

        org = organization_provision(name="Drill Co")
        _, raw_key = apikey_create(org=org, actor=None, name="drill", scope="read-write")
        print(
            f"throwaway PostgreSQL :{throwaway.PG_PORT}, Redis :{throwaway.REDIS_PORT}, gunicorn (2 workers) :{throwaway.WEB_PORT}"
        )
        drills = {
            "postgres": lambda: drill_postgres(stack, org, raw_key),
            "worker-kill": lambda: drill_worker_kill(stack, org, raw_key),
            "redis": lambda: drill_redis(stack, org, raw_key),
            "delivery": lambda: drill_delivery(stack),
        }
        for name in chosen:
            drills[name]()
    print(f"\n{'all checks passed' if not FAILURES else f'{len(FAILURES)} check(s) FAILED'}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
