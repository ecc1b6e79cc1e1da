"""PostgreSQL-only behaviour: concurrent upserts leave one row, and search uses the trigram index."""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from contacts import services
from contacts.filtersets import CompanyFilterSet, ContactFilterSet
from contacts.models import Company, Contact
from tests.conftest import Api
from tests.factories import OrganizationFactory

pytestmark = pytest.mark.postgres


def run_threads(count, target):
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = target(index)
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    return results


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "body", "model"),
    [
        ("/contacts/upsert", lambda i: {"email": "Race@Example.com", "first_name": f"T{i}"}, Contact),
        ("/companies/upsert", lambda i: {"domain": "www.race.example", "name": f"Race {i}"}, Company),
    ],
)
def test_concurrent_upserts_through_the_api_leave_one_row(make_api, path, body, model):
    org = OrganizationFactory()
    raw = make_api(org).raw_key
    statuses = run_threads(8, lambda i: Api(raw).post(path, body(i)).status_code)
    assert sorted(statuses) == [200] * 7 + [201]
    assert model.objects.filter(org=org).count() == 1


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("kind", ["contact", "company"])
def test_an_upsert_that_loses_the_insert_race_updates_the_winner(kind):
    """Deterministic: B's insert waits on A's uncommitted row, then fails, and B updates it."""
    org = OrganizationFactory()
    inserted, release = threading.Event(), threading.Event()

    def upsert(**fields):
        if kind == "contact":
            return services.contact_upsert(actor=None, org=org, email="Ada@Example.com", **fields)
        return services.company_upsert(actor=None, org=org, domain="acme.com", **fields)

    def first():
        with transaction.atomic():
            result = upsert(**({"first_name": "A"} if kind == "contact" else {"name": "A"}))
            inserted.set()
            release.wait(timeout=10)
        return result

    def second():
        inserted.wait(timeout=10)
        return upsert(**({"last_name": "B"} if kind == "contact" else {"name": "B", "industry": "B"}))

    def releaser():
        deadline = time.monotonic() + 10
        while not waiting_for_a_lock() and time.monotonic() < deadline:
            time.sleep(0.02)
        release.set()

    targets = [first, second]
    results = run_threads(3, lambda i: targets[i]() if i < 2 else releaser())
    (a, a_created), (b, b_created) = results[0], results[1]
    assert a_created and not b_created and a.pk == b.pk
    if kind == "contact":
        stored = Contact.objects.get(org=org)
        assert (stored.first_name, stored.last_name) == ("A", "B")
    else:
        stored = Company.objects.get(org=org)
        assert (stored.name, stored.industry) == ("B", "B")


@pytest.mark.django_db
def test_search_can_use_the_trigram_indexes(org):
    """The search expression matches the index expression of migration 0003 (they must not drift).

    With only a few thousand rows of one organization the planner may rightly prefer the org
    index, so this checks that the trigram index *can* serve the search condition: without
    the org condition and with sequential scans off, it is the only index left.
    """
    Contact.objects.bulk_create(
        Contact(org=org, email=f"user{i}@example.com", first_name=f"First{i}", last_name=f"Last{i}")
        for i in range(2000)
    )
    Company.objects.bulk_create(
        Company(org=org, name=f"Company {i}", domain=f"c{i}.example") for i in range(2000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE contacts_contact")
        cursor.execute("ANALYZE contacts_company")
        cursor.execute("SET LOCAL enable_seqscan = off")
    contacts = ContactFilterSet({"search": "user1234@"}, queryset=Contact.objects.all()).qs
    assert "contact_search_trgm" in contacts.explain()
    assert [c.email for c in contacts] == ["user1234@example.com"]
    companies = CompanyFilterSet({"search": "c1345.ex"}, queryset=Company.objects.all()).qs
    assert "company_search_trgm" in companies.explain()
    assert companies.count() == 1
    in_org = ContactFilterSet({"q": "LAST1999"}, queryset=Contact.objects.for_org(org)).qs
    assert [c.email for c in in_org] == ["user1999@example.com"]
