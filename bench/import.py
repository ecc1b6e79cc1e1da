"""A 100,000-row contacts CSV imported by the worker's import job, timed, with its memory.

    DATABASE_URL=postgres://root@127.0.0.1:5432/<yours> .venv/bin/python bench/import.py [rows]

Writes to the database it is given (never run it on shared data): creates an organization
"Import bench <time>", writes a CSV of N contacts (default 100,000: email, first and last
name, phone, title, stage; every 50th email repeated, in another case, as a duplicate row;
every 100th invalid), uploads it through ``import_create``, starts it with the guessed mapping
and runs the worker's job (``imports.jobs.run``) in this process until it is done. Then it
imports the same file again (every row now updates nothing). Prints the time, rows per second,
the outcome counts and the process's resident memory sampled at every turn.
"""

import io
import os
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rexcrm.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

import django

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402

from imports import jobs, services  # noqa: E402
from imports.models import ImportJob  # noqa: E402
from rexcrm.workspace.services import organization_provision  # noqa: E402


def rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def contacts_csv(rows: int) -> bytes:
    out = io.StringIO()
    out.write("Email,First Name,Last Name,Phone,Job Title,Stage\n")
    for n in range(rows):
        if n % 100 == 99:
            out.write(f"broken-{n},Bad,Row,,,lead\n")
        elif n % 50 == 49:
            out.write(f"PERSON{n - 1}@Company{(n - 1) % 5000}.example,Again,Person {n - 1},,,prospect\n")
        else:
            out.write(f"person{n}@company{n % 5000}.example,First{n},Person {n},+1 555 {n:07},Buyer,lead\n")
    return out.getvalue().encode()


def run(org, data: bytes, label: str) -> None:
    upload = SimpleUploadedFile("contacts.csv", data, content_type="text/csv")
    began, cpu = time.perf_counter(), time.process_time()
    job = services.import_create(org=org, actor=None, upload=upload, resource="contacts")
    job = services.import_start(org=org, actor=None, job=job, mapping=job.mapping)
    uploaded = time.perf_counter() - began
    samples = [rss_mb()]
    while jobs.run(None):
        samples.append(rss_mb())
    total, cpu = time.perf_counter() - began, time.process_time() - cpu
    job = ImportJob.objects.get(pk=job.pk)
    print(
        f"{label}: {job.total_rows:,} rows in {total:.1f} s (upload and inspection {uploaded:.1f} s): "
        f"{job.total_rows / total:,.0f} rows/s; {job.created:,} created, {job.updated:,} updated, "
        f"{job.unchanged:,} unchanged, {job.failed:,} failed; status {job.status}"
    )
    print(
        f"  CPU time of this process {cpu:.1f} s (the rest of the wall time: PostgreSQL, and waiting for a core)"
    )
    print(f"  RSS at each turn (MB): {' '.join(f'{s:.0f}' for s in samples)}")


def main():
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    org = organization_provision(name=f"Import bench {time.time():.0f}")
    data = contacts_csv(rows)
    print(f"{rows:,} rows, {len(data) / 1e6:.1f} MB; RSS at start {rss_mb():.0f} MB")
    run(org, data, "first import")
    run(org, data, "same file again")
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"peak RSS of the process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1000:.0f} MB")


if __name__ == "__main__":
    main()
