"""Load a benchmark organization: contacts, companies, deals and N activities (PostgreSQL, COPY).

    DATABASE_URL=postgres://root@127.0.0.1:5432/rexbench \\
        .venv/bin/python bench/seed.py --activities 1000000

Creates (or reuses, by name) the organization "Bench Co", migrates first if needed, adds the
activities with ``COPY … FROM STDIN`` in batches, and prints the load rate and a read-write
API key for it (the key is also written to var/bench-api-key). Rows are realistic in shape:
activity types, sources, external ids for synced email, links to contacts, companies and
deals, subjects and short bodies, spread over two years.
"""

import argparse
import datetime
import multiprocessing
import os
import random
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rexcrm.settings")
os.environ.setdefault("DEBUG", "1")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, connections  # noqa: E402

from activities.models import Activity  # noqa: E402
from contacts.models import Company, Contact  # noqa: E402
from deals.models import Deal, Pipeline, Stage  # noqa: E402
from rexcrm.accounts.models import Organization, User  # noqa: E402
from rexcrm.accounts.services import apikey_create  # noqa: E402

ORG_NAME = "Bench Co"
TYPES = ["email"] * 50 + ["call"] * 20 + ["meeting"] * 10 + ["note"] * 15 + ["task"] * 3 + ["other"] * 2
SOURCES = {"email": ["gmail", "outlook"], "call": ["aircall", "manual"], "meeting": ["gcal", "zoom"]}
SUBJECTS = [
    "Intro call",
    "Follow-up on pricing",
    "Re: proposal",
    "Demo scheduled",
    "Contract questions",
    "Quarterly business review",
    "Onboarding kickoff",
    "Renewal discussion",
    "Security review",
    "Check-in",
]
WORDS = [
    "pricing",
    "contract",
    "renewal",
    "demo",
    "timeline",
    "budget",
    "security",
    "integration",
    "onboarding",
    "roadmap",
    "seats",
    "discount",
    "procurement",
    "legal",
    "champion",
    "stakeholder",
    "pilot",
    "expansion",
]
T_END = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
SPAN_SECONDS = 2 * 365 * 24 * 3600
NULL = "\\N"


def uuid7_hex(ms: int, rng: random.Random) -> str:
    """A UUIDv7 for the given Unix milliseconds, as 32 hex digits (PostgreSQL reads them as uuid)."""
    value = (ms << 80) | rng.getrandbits(80)
    value = value & ~(0xF << 76) | 0x7 << 76
    value = value & ~(0x3 << 62) | 0x2 << 62
    return f"{value:032x}"


def ensure_org(rng: random.Random, contacts: int, deals: int):
    org = Organization.objects.filter(name=ORG_NAME).first()
    if org is None:
        org = Organization.objects.create(name=ORG_NAME)
    owners = list(User.objects.filter(org=org))
    if not owners:
        owners = [
            User.objects.create_user(
                email=f"rep{i}@bench.example", password=None, org=org, first_name=f"Rep{i}"
            )
            for i in range(10)
        ]
    if not Company.objects.filter(org=org).exists():
        Company.objects.bulk_create(
            Company(org=org, name=f"Company {i}", domain=f"company{i}.example", owner=rng.choice(owners))
            for i in range(max(1, contacts // 10))
        )
    companies = list(Company.objects.filter(org=org).values_list("id", flat=True))
    if not Contact.objects.filter(org=org).exists():
        Contact.objects.bulk_create(
            (
                Contact(
                    org=org,
                    email=f"person{i}@company{i % len(companies)}.example",
                    first_name=f"First{i}",
                    last_name=f"Last{i}",
                    company_id=companies[i % len(companies)],
                    owner=rng.choice(owners),
                )
                for i in range(contacts)
            ),
            batch_size=5000,
        )
    pipeline = Pipeline.objects.filter(org=org).first() or Pipeline.objects.create(
        org=org, name="Sales Pipeline", is_default=True
    )
    stages = list(Stage.objects.filter(pipeline=pipeline)) or Stage.objects.bulk_create(
        Stage(org=org, pipeline=pipeline, name=name, position=i)
        for i, name in enumerate(["Discovery", "Proposal"])
    )
    contact_ids = list(Contact.objects.filter(org=org).values_list("id", "company_id"))
    if not Deal.objects.filter(org=org).exists():
        Deal.objects.bulk_create(
            Deal(
                org=org,
                name=f"Deal {i}",
                pipeline=pipeline,
                stage=rng.choice(stages),
                contact_id=contact_ids[i % len(contact_ids)][0],
                company_id=contact_ids[i % len(contact_ids)][1],
                value=rng.randrange(1_000_00, 100_000_00),
            )
            for i in range(deals)
        )
    deal_ids = list(Deal.objects.filter(org=org).values_list("id", flat=True))
    return org, [o.pk for o in owners], contact_ids, deal_ids


def activity_lines(count, *, org_id, owners, contacts, deals, rng: random.Random, start_index: int):
    """COPY text-format lines, in the column order of ``Activity._meta.concrete_fields``."""
    assert [f.column for f in Activity._meta.concrete_fields] == [
        "id",
        "created_at",
        "updated_at",
        "org_id",
        "type",
        "subtype",
        "status",
        "subject",
        "body",
        "contact_id",
        "company_id",
        "deal_id",
        "owner_id",
        "occurred_at",
        "duration",
        "direction",
        "source",
        "external_id",
        "metadata",
        "generated_by",
        "confidence_score",
        "model",
    ], "the Activity model changed: update bench/seed.py"
    org, owners = org_id.hex, [o.hex for o in owners]
    contacts = [(c.hex, co.hex if co else NULL) for c, co in contacts]
    deals = [d.hex for d in deals]
    end_ms = int(T_END.timestamp() * 1000)
    random_, choice, randrange = rng.random, rng.choice, rng.randrange
    bodies = [f"Hi, notes about {' '.join(rng.choices(WORDS, k=rng.randrange(8, 40)))}." for _ in range(4096)]
    for i in range(start_index, start_index + count):
        kind = choice(TYPES)
        ms = end_ms - randrange(SPAN_SECONDS * 1000)
        when = datetime.datetime.fromtimestamp(ms / 1000, datetime.UTC).isoformat()
        contact, company = choice(contacts) if random_() < 0.85 else (NULL, NULL)
        talk = kind in ("call", "meeting")
        yield (
            "\t".join(
                (
                    uuid7_hex(ms, rng),
                    when,
                    when,
                    org,
                    kind,
                    "reply" if kind == "email" and random_() < 0.4 else "",
                    "completed" if random_() < 0.9 else "scheduled",
                    choice(SUBJECTS),
                    choice(bodies),
                    contact,
                    company,
                    choice(deals) if random_() < 0.3 else NULL,
                    choice(owners),
                    when,
                    str(randrange(60, 3600)) if talk else NULL,
                    choice(("inbound", "outbound")) if kind in ("email", "call") else NULL,
                    choice(SOURCES.get(kind, ("api",))),
                    f"bench-{i}" if kind == "email" else NULL,
                    f'{{"seq": {i}}}',
                    "",
                    NULL,
                    "",
                )
            )
            + "\n"
        )


def copy_chunk(job: tuple[int, int, int, dict]) -> int:
    """Worker: COPY activities ``start``..``start + count`` over its own connection."""
    start, count, seed, row_kwargs = job
    columns = ", ".join(f'"{f.column}"' for f in Activity._meta.concrete_fields)
    sql = f"COPY {Activity._meta.db_table} ({columns}) FROM STDIN"
    connection.ensure_connection()
    with connection.connection.cursor() as cursor, cursor.copy(sql) as copy:
        for line in activity_lines(count, start_index=start, rng=random.Random(seed), **row_kwargs):
            copy.write(line)
    connection.close()
    return count


def copy_activities(*, start: int, target: int, batch: int, workers: int, seed: int, **row_kwargs) -> float:
    """COPY activities ``start``..``target`` in batches spread over worker processes; returns seconds."""
    jobs = [(at, min(batch, target - at), seed + at, row_kwargs) for at in range(start, target, batch)]
    connections.close_all()  # children open their own
    began, done = time.perf_counter(), 0
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for count in pool.imap_unordered(copy_chunk, jobs):
            done += count
            print(
                f"  {start + done:>9,} activities  ({done / (time.perf_counter() - began):,.0f} rows/s)",
                flush=True,
            )
    return time.perf_counter() - began


def detach(table: str) -> list[tuple[str, str]]:
    """Drop the table's foreign keys and secondary indexes; returns the statements that restore them.

    Bulk loading without them and rebuilding afterwards is several times faster than maintaining
    15 indexes and checking 5 foreign keys row by row; re-adding a foreign key validates every row.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
            "AND contype = 'f'",
            [table],
        )
        foreign_keys = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        for name, _ in foreign_keys:
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    return [
        f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for name, definition in foreign_keys
    ] + [definition for _, definition in indexes]


def restore(table: str, statements: list[str]) -> float:
    """Re-add the foreign keys (each validates every row), then rebuild the indexes two at a time."""
    began = time.perf_counter()
    foreign_keys = [s for s in statements if s.startswith("ALTER TABLE")]
    indexes = sorted(
        (s for s in statements if not s.startswith("ALTER TABLE")), key=lambda s: " gin " not in s
    )

    def run(statement: str) -> None:
        step = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute(statement)
        connection.close()
        print(f"  {time.perf_counter() - step:5.1f} s  {statement[:100]}", flush=True)

    for statement in foreign_keys:
        run(statement)
    with ThreadPoolExecutor(2) as pool:  # the GIN build is single-threaded: overlap it with the B-trees
        list(pool.map(run, indexes))
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {table}")
    return time.perf_counter() - began


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--activities", type=int, default=1_000_000, help="total activities wanted in the org"
    )
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--deals", type=int, default=2_000)
    parser.add_argument("--batch", type=int, default=50_000, help="rows per COPY (one transaction)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="parallel COPY streams")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--keep-indexes",
        action="store_true",
        help="load with every index in place (default: drop secondary indexes, load, rebuild them)",
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/seed.py loads PostgreSQL (set DATABASE_URL=postgres://…)")
    call_command("migrate", verbosity=0)
    rng = random.Random(args.seed)
    org, owners, contacts, deals = ensure_org(rng, args.contacts, args.deals)
    already = Activity.objects.filter(org=org).count()
    print(f"org {org.typeid}: {already:,} activities present, loading {max(0, args.activities - already):,}")
    if already < args.activities:
        table = Activity._meta.db_table
        statements = [] if args.keep_indexes else detach(table)
        loaded = args.activities - already
        copy_seconds = copy_activities(
            start=already,
            target=args.activities,
            batch=args.batch,
            workers=args.workers,
            seed=args.seed,
            org_id=org.pk,
            owners=owners,
            contacts=contacts,
            deals=deals,
        )
        print(f"COPY: {loaded:,} activities in {copy_seconds:.1f} s = {loaded / copy_seconds:,.0f} rows/s")
        restore_seconds = restore(table, statements)
        print(
            f"foreign keys validated, {len(statements)} constraints/indexes rebuilt: {restore_seconds:.1f} s"
        )
        print(f"overall: {loaded / (copy_seconds + restore_seconds):,.0f} rows/s")
    _, raw_key = apikey_create(org=org, actor=None, name="bench")
    key_file = settings.VAR_DIR / "bench-api-key"
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key_file.write_text(raw_key + "\n")
    print(f"API key (read-write, also in {key_file}): {raw_key}")


if __name__ == "__main__":
    main()
