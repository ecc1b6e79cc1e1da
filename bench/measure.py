"""Latency of the activities list, in process (the whole Django stack, no network).

    DATABASE_URL=postgres://root@127.0.0.1:5432/rexbench .venv/bin/python bench/measure.py

Runs against the organization loaded by bench/seed.py and prints, for each scenario, the median
and p95 of BENCH_REQUESTS requests (default 200): the first page, a page by contact_id, a page
10,000 pages deep (cursor at row 500,000), a choice filter, a full-text search, and includes.
The deep page must cost about what the first does (keyset pagination).
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rexcrm.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("RATE_LIMIT_PER_MINUTE", "1000000000")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")

import django

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from activities.models import Activity  # noqa: E402
from rexcrm.accounts.models import Organization  # noqa: E402
from rexcrm.accounts.services import apikey_create  # noqa: E402
from rexcrm.core.api.pagination import Sort, encode_cursor  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))


def timed(client: Client, path: str, params: dict) -> tuple[float, float]:
    for _ in range(10):  # warm caches and connections
        response = client.get(path, params)
        assert response.status_code == 200, response.content[:300]
    samples = []
    for _ in range(REQUESTS):
        began = time.perf_counter()
        client.get(path, params)
        samples.append((time.perf_counter() - began) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main():
    org = Organization.objects.get(name="Bench Co")
    _, raw = apikey_create(org=org, actor=None, name="measure")
    client = Client(headers={"X-Api-Key": raw})
    activities = Activity.objects.for_org(org)
    total = activities.count()
    busiest = (
        activities.exclude(contact=None)
        .values("contact")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()["contact"]
    )
    deep_row = activities.order_by("-occurred_at", "-id").values_list("occurred_at", "id")[500_000 - 1]
    deep_cursor = encode_cursor("activities.activity", Sort("occurred_at", True), *deep_row)
    from rexcrm.core.ids import encode

    scenarios = [
        ("first page, no filter", {"limit": 50}),
        ("by contact_id", {"limit": 50, "contact_id": encode("cont", busiest)}),
        ("10,000 pages deep", {"limit": 50, "cursor": deep_cursor}),
        ("type=call,meeting", {"limit": 50, "type": "call,meeting"}),
        ("search=renewal", {"limit": 50, "search": "renewal"}),
        ("include=contact,deal", {"limit": 50, "include": "contact,deal"}),
    ]
    print(f"{total:,} activities in the org; {REQUESTS} requests per scenario; {connection.vendor}")
    print(f"{'scenario':<24} {'median ms':>10} {'p95 ms':>8}")
    for name, params in scenarios:
        median, p95 = timed(client, "/api/activities", params)
        print(f"{name:<24} {median:>10.2f} {p95:>8.2f}")


if __name__ == "__main__":
    main()
