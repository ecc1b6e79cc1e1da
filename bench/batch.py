"""Cost of ``POST /activities/batch`` with 500 items, in process (the whole Django stack, no network).

    DATABASE_URL=postgres://root@127.0.0.1:5432/rexbench .venv/bin/python bench/batch.py

Creates (once) the organization "Batch Bench" with 50 contacts, then sends BENCH_BATCHES
batches (default 30) of 500 new activities each, every fifth with an external_id and all linked
to a contact, and prints the median and p95 time of a batch and the SQL statements it ran;
then BENCH_SINGLES (default 300) single ``POST /activities`` (the same item, one at a time) and
their median and p95 time and statements.
"""

import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rexcrm.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("RATE_LIMIT_PER_MINUTE", "1000000000")

import django

django.setup()

from rexcrm.core.warmup import warm  # noqa: E402

warm()  # the process as a server's worker runs (rexcrm.wsgi)

import orjson  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from contacts.models import Contact  # noqa: E402
from contacts.services import contact_create  # noqa: E402
from rexcrm.accounts.models import Organization  # noqa: E402
from rexcrm.accounts.services import apikey_create  # noqa: E402
from rexcrm.workspace.services import organization_provision  # noqa: E402

BATCHES = int(os.environ.get("BENCH_BATCHES", "30"))
SINGLES = int(os.environ.get("BENCH_SINGLES", "300"))
ITEMS = 500


def organization() -> Organization:
    org = Organization.objects.filter(name="Batch Bench").first()
    if org is None:
        org = organization_provision(name="Batch Bench")
        for n in range(50):
            contact_create(org=org, actor=None, email=f"person{n}@batch-bench.example", first_name=f"P{n}")
    return org


def body(contacts: list[str]) -> bytes:
    run = uuid.uuid4().hex[:12]
    items = []
    for n in range(ITEMS):
        item = {
            "type": "email",
            "subject": f"Re: proposal {n}",
            "body": "Thanks for the call. " * 20,
            "contact_id": contacts[n % len(contacts)],
            "occurred_at": "2026-03-16T14:00:00Z",
            "direction": "inbound",
        }
        if n % 5 == 0:
            item.update(source="gmail", external_id=f"<{run}-{n}@mail.example>")
        items.append(item)
    return orjson.dumps({"activities": items})


def main():
    org = organization()
    _, raw = apikey_create(org=org, actor=None, name="batch bench")
    client = Client(headers={"X-Api-Key": raw})
    contacts = [contact.typeid for contact in Contact.objects.for_org(org).order_by("created_at")]

    def post():
        response = client.post("/api/activities/batch", body(contacts), content_type="application/json")
        assert response.status_code == 200, response.content[:300]
        assert all(item["status"] == 201 for item in response.json()["data"])

    for _ in range(3):  # warm up
        post()
    with CaptureQueriesContext(connection) as queries:
        post()
    statements = [q["sql"].lstrip().upper() for q in queries.captured_queries]
    samples = []
    for _ in range(BATCHES):
        began = time.perf_counter()
        post()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    inserts = sum(1 for sql in statements if sql.startswith("INSERT"))
    print(f"{connection.vendor}; {BATCHES} batches of {ITEMS} activities")
    print(f"median {statistics.median(samples):.1f} ms, p95 {samples[int(len(samples) * 0.95) - 1]:.1f} ms")
    print(f"{len(statements)} SQL statements per batch, {inserts} INSERT")
    single(client, contacts)


def single(client: Client, contacts: list[str]) -> None:
    item = orjson.dumps(
        {
            "type": "call",
            "subject": "Discovery call",
            "body": "Talked budget and timeline.",
            "contact_id": contacts[0],
            "occurred_at": "2026-03-16T14:00:00Z",
            "duration": 1800,
        }
    )

    def post():
        response = client.post("/api/activities", item, content_type="application/json")
        assert response.status_code == 201, response.content[:300]

    for _ in range(10):
        post()
    with CaptureQueriesContext(connection) as queries:
        post()
    statements = len(queries.captured_queries)  # now: the next request clears the log it reads
    samples = []
    for _ in range(SINGLES):
        began = time.perf_counter()
        post()
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    print(
        f"single create: median {statistics.median(samples):.2f} ms, p95 {samples[int(len(samples) * 0.95) - 1]:.2f} ms, "
        f"{statements} SQL statements"
    )


if __name__ == "__main__":
    main()
