"""Render times of the admin's heaviest pages on the benchmark data, in process (the admin
views with their templates rendered; no network, no middleware), as organization staff of
"Bench Co" and as a superuser.

    DATABASE_URL=postgres://root@127.0.0.1:5432/rexbench .venv/bin/python bench/admin.py

Read-only: every page renders inside a READ ONLY transaction that is rolled back, as an unsaved
user (no login, no session row). BENCH_ROUNDS (default 30) rounds, each page once per round in
turn, so the shared machine's noise spreads over all of them; prints median and p95 and the
SQL queries of one rendering.
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

import django

django.setup()

from django.contrib import admin  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings  # noqa: E402

from activities.models import Activity  # noqa: E402
from contacts.models import Contact  # noqa: E402
from rexcrm.accounts.models import Organization, User  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "30"))


def page(user, model, path, **params):
    """A function rendering ``path`` (a changelist, or ``<pk>/change/``) of ``model``'s admin."""
    model_admin = admin.site._registry[model]
    factory = RequestFactory()

    def render():
        request = factory.get(f"/admin/{model._meta.app_label}/{model._meta.model_name}/{path}", params)
        request.user = user
        if path:
            response = model_admin.change_view(request, path.split("/")[0])
        else:
            response = model_admin.changelist_view(request)
        response.render()
        assert response.status_code == 200, (path, params, response.status_code)
        return response

    return render


def main():
    org = Organization.objects.get(name="Bench Co")
    staff = User(email="bench-staff@example.com", org=org, is_staff=True, is_active=True)
    root = User(email="bench-root@example.com", is_staff=True, is_superuser=True, is_active=True)
    activity = Activity.objects.for_org(org).exclude(contact=None).order_by("-occurred_at").first()
    contact = Contact.objects.for_org(org).get(pk=activity.contact_id)
    scenarios = {
        "activities changelist (staff)": page(staff, Activity, ""),
        "activities changelist, page 20 (staff)": page(staff, Activity, "", p=20),
        "activities changelist, type=call (staff)": page(staff, Activity, "", type__exact="call"),
        "activities search 'pricing' (staff)": page(staff, Activity, "", q="pricing"),
        "activities search by pasted cont_ id (staff)": page(staff, Activity, "", q=contact.typeid),
        "activities changelist, one organization (superuser)": page(
            root, Activity, "", org__id__exact=org.pk
        ),
        "activities changelist, every organization (superuser)": page(root, Activity, ""),
        "contacts changelist (staff)": page(staff, Contact, ""),
        "contacts search 'smith' (staff)": page(staff, Contact, "", q="smith"),
        "contact change page (staff)": page(staff, Contact, f"{contact.pk}/change/"),
    }
    times = {name: [] for name in scenarios}
    counts = {}
    for round_number in range(ROUNDS + 1):
        for name, render in scenarios.items():
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION READ ONLY")
                with CaptureQueriesContext(connection) as queries:
                    start = time.perf_counter()
                    render()
                    elapsed = time.perf_counter() - start
                transaction.set_rollback(True)
            if round_number:  # the first round warms caches and is not counted
                times[name].append(elapsed * 1000)
            counts[name] = len(queries) - 1  # not the SET TRANSACTION
    print(f"{Activity.objects.for_org(org).count():,} activities in Bench Co; {ROUNDS} rounds\n")
    print("| Page | median | p95 | queries |\n|---|---|---|---|")
    for name, values in times.items():
        values.sort()
        p95 = values[min(len(values) - 1, round(0.95 * len(values)) - 1)]
        print(f"| {name} | {statistics.median(values):.0f} ms | {p95:.0f} ms | {counts[name]} |")


if __name__ == "__main__":
    # Static URLs without collectstatic's manifest (production serves the same pages with it).
    plain = "django.contrib.staticfiles.storage.StaticFilesStorage"
    with override_settings(STORAGES={**django.conf.settings.STORAGES, "staticfiles": {"BACKEND": plain}}):
        main()
