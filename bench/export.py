"""A streamed CSV export of every activity of the benchmark organization, read-only.

    DATABASE_URL=postgres://root@127.0.0.1:5432/rexbench .venv/bin/python bench/export.py [path?query]

Runs ``/activities/export.csv`` (or the given export path and filters) in this process as the
web process would (the view, its list query and the streamed response; the request is built
directly with a member of "Bench Co" as its user, so nothing, not even a session, is written),
reads the whole body, and prints the time to the first byte and to the first data row, rows
per second, and the process's resident memory: before, sampled every 50,000 rows, and its peak.
"""

import os
import resource
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rexcrm.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "testserver")

import django

django.setup()

from django.test import RequestFactory  # noqa: E402
from django.urls import resolve  # noqa: E402

from rexcrm.accounts.models import Organization, User  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def main():
    target = sys.argv[1] if len(sys.argv) > 1 else "/activities/export.csv"
    org = Organization.objects.get(name="Bench Co")
    request = RequestFactory().get(target)
    request.user = User.objects.filter(org=org).first()
    split = urlsplit(target)
    match = resolve(split.path)
    print(f"{target}: RSS before {rss_mb():.0f} MB")
    began = time.perf_counter()
    response = match.func(request, *match.args, **match.kwargs)
    assert response.status_code == 200 and response.streaming, response.content[:300]
    rows = size = 0
    first_byte = first_row = None
    samples = []
    for chunk in response.streaming_content:
        now = time.perf_counter() - began
        first_byte = first_byte if first_byte is not None else now
        lines = chunk.count(b"\n")
        if lines and first_row is None and rows + lines > 1:
            first_row = now
        rows += lines
        size += len(chunk)
        if rows // 50_000 != (rows - lines) // 50_000:
            samples.append(rss_mb())
    total = time.perf_counter() - began
    rows -= 1  # the header
    print(f"time to first byte {first_byte * 1000:.1f} ms, to the first row {first_row * 1000:.0f} ms")
    print(f"{rows:,} rows, {size / 1e6:.0f} MB in {total:.1f} s: {rows / total:,.0f} rows/s")
    print(
        f"RSS every 50,000 rows (MB): min {min(samples):.0f}, max {max(samples):.0f}; "
        f"peak of the process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000:.0f} MB"
    )


if __name__ == "__main__":
    main()
