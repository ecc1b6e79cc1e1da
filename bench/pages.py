"""Server time of the web UI's main pages on the 1,000,000-activity data set, in process (the
whole Django stack, middleware included; no network, no browser).

    DATABASE_URL=postgres://root@127.0.0.1:5432/rexbench .venv/bin/python bench/pages.py

Signs in as an existing member of the organization loaded by bench/seed.py ("Bench Co")
without writing anything: sessions live in a signed cookie and ``last_login`` is not updated,
so the shared database stays read-only. Prints the median and p95 of BENCH_REQUESTS requests
(default 40, after 3 warm-ups) for Today, the contact with the most activities, each list and
the board. Target: p95 under 150 ms for each.
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

import django
from django.conf import settings

settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"  # no session rows
# Static URLs without collectstatic's manifest (production serves the same pages hashed).
settings.STORAGES = {
    **settings.STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
django.setup()

from django.contrib.auth import user_logged_in  # noqa: E402
from django.contrib.auth.models import update_last_login  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402

from activities.models import Activity  # noqa: E402
from rexcrm.accounts.models import Organization, User  # noqa: E402

REQUESTS = int(os.environ.get("BENCH_REQUESTS", "40"))
ORG = os.environ.get("BENCH_ORG", "Bench Co")


def measure(client: Client, path: str) -> list[float]:
    for _ in range(3):
        assert client.get(path).status_code == 200, path
    times = []
    for _ in range(REQUESTS):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, path
    return times


def main() -> None:
    org = Organization.objects.get(name=ORG)
    member = User.objects.for_org(org).order_by("email").first()
    busiest = (
        Activity.objects.for_org(org)
        .exclude(contact=None)
        .values("contact_id")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    from contacts.models import Contact

    contact = Contact.objects.get(pk=busiest["contact_id"])
    user_logged_in.disconnect(update_last_login, dispatch_uid="update_last_login")
    client = Client()
    client.force_login(member)
    pages = [
        ("Today", "/"),
        (f"Contact page ({busiest['n']} activities)", f"/contacts/{contact.typeid}/"),
        ("Contacts list", "/contacts/"),
        ("Companies list", "/companies/"),
        ("Deals list", "/deals/"),
        ("Activities list", "/activities/"),
        ("Tasks list", "/tasks/"),
        ("Board", "/pipelines/"),
    ]
    print(f"{REQUESTS} requests each, signed in as {member.email}\n")
    print(f"| {'Page':<38} | median ms | p95 ms |")
    print(f"|{'-' * 40}|-----------|--------|")
    for label, path in pages:
        times = sorted(measure(client, path))
        p95 = times[max(0, round(len(times) * 0.95) - 1)]
        print(f"| {label:<38} | {statistics.median(times):9.1f} | {p95:6.1f} |", flush=True)


if __name__ == "__main__":
    main()
