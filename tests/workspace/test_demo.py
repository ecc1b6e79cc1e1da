"""The demo data of ``make run``: realistic, valid, coherent, deterministic, once per organization."""

import io
import random

from django.core.management import call_command

from activities.choices import TaskStatus
from activities.models import Activity, Task
from contacts.domains import normalize_domain
from contacts.freemail import is_freemail
from contacts.models import Company, Contact
from deals.models import Deal, DealStageChange, Product
from rexcrm.accounts.models import User
from rexcrm.core import clock
from rexcrm.workspace.demo.activities import seed_tasks
from rexcrm.workspace.demo.contacts import _PLACES, COMPANY_COUNT, CONTACT_COUNT, seed_contacts
from rexcrm.workspace.demo.deals import DEAL_COUNT, PRODUCTS, seed_deals
from tests.factories import CompanyFactory, ContactFactory, OrganizationFactory, UserFactory


def test_seed_contacts(org, other_org):
    owner = UserFactory(org=org)
    companies, contacts = seed_contacts(org=org, owner=owner, rng=random.Random(42))
    assert len(companies) == COMPANY_COUNT and len(contacts) == CONTACT_COUNT
    assert Company.objects.for_org(org).count() == COMPANY_COUNT
    assert Contact.objects.for_org(org).count() == CONTACT_COUNT
    for company in companies:
        company.full_clean(validate_unique=False, validate_constraints=False)
        assert normalize_domain(company.domain) == company.domain and not is_freemail(company.domain)
    for contact in contacts:
        contact.full_clean(validate_unique=False, validate_constraints=False)
        domain = contact.email.rsplit("@", 1)[1]
        assert (contact.company_id is None) == is_freemail(domain)
        if contact.company_id is not None:
            assert domain == contact.company.domain
    assert {c.owner_id for c in contacts} == {owner.pk, None}
    assert len({c.stage for c in contacts}) == 4

    # deterministic for the same seed, once per organization
    again, _ = seed_contacts(org=other_org, owner=None, rng=random.Random(42))
    assert [(c.name, c.domain) for c in again] == [(c.name, c.domain) for c in companies]
    twice = seed_contacts(org=org, owner=owner, rng=random.Random(7))
    assert len(twice[1]) == CONTACT_COUNT and Contact.objects.for_org(org).count() == CONTACT_COUNT


# -- demo -------------------------------------------------------------------------------------


def seed(seed_value):
    org = OrganizationFactory()
    owner = User.objects.create_user(email=f"demo-{org.pk.hex}@example.com", org=org)
    companies = [CompanyFactory(org=org, name=f"Company {n}") for n in range(5)]
    contacts = [ContactFactory(org=org, company=companies[n % 5], first_name=f"C{n}") for n in range(12)]
    rng = random.Random(seed_value)
    deals = seed_deals(org=org, owner=owner, contacts=contacts, rng=rng)
    tasks = seed_tasks(org=org, owner=owner, contacts=contacts, deals=deals, rng=rng)
    return org, deals, tasks


def fingerprint(deals, tasks):
    return (
        [(d.name, d.value, d.stage.name, d.status, d.stage_changes.count()) for d in deals],
        [(t.title, t.priority, t.status, t.due_at is None) for t in tasks],
    )


def test_demo_deals_and_tasks(db):
    org, deals, tasks = seed(42)
    assert len(deals) == DEAL_COUNT and Product.objects.for_org(org).count() == len(PRODUCTS)
    statuses = {d.status for d in deals}
    assert {"open", "won", "lost"} <= statuses
    assert len({d.stage_id for d in deals}) >= 5  # spread over the stages
    assert DealStageChange.objects.for_org(org).count() >= DEAL_COUNT // 2
    assert all(d.lost_reason for d in deals if d.status == "lost")
    assert any(d.products.exists() for d in deals)
    assert all(d.created_at < clock.now() for d in deals) and max(d.created_at for d in deals) < clock.now()
    pending = [t for t in tasks if t.status == TaskStatus.PENDING]
    overdue = [t for t in pending if t.due_at is not None and t.due_at < clock.now()]
    assert overdue and len(overdue) < len(pending)
    assert any(t.status == TaskStatus.COMPLETED and t.completed_at for t in tasks)
    assert all(t.owner_id is not None for t in tasks)


def test_demo_is_deterministic(db):
    _, deals_a, tasks_a = seed(7)
    _, deals_b, tasks_b = seed(7)
    assert fingerprint(deals_a, tasks_a) == fingerprint(deals_b, tasks_b)
    _, deals_c, tasks_c = seed(8)
    assert fingerprint(deals_c, tasks_c) != fingerprint(deals_a, tasks_a)


def test_demo_works_without_contacts(db):
    org = OrganizationFactory()
    deals = seed_deals(org=org, owner=None, contacts=[], rng=random.Random(1))
    assert len(deals) == DEAL_COUNT and Deal.objects.for_org(org).count() == DEAL_COUNT


def test_the_demo_organization_tells_one_story(db, tmp_path, settings):
    """What ``make run`` shows a new user is coherent: a deal's activities are with its contact
    and company, a deal's company is its contact's, nothing is dated in the future but scheduled
    meetings and due tasks, and every address is one real place."""
    settings.VAR_DIR = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    now = clock.now()
    deals = list(Deal.objects.select_related("contact"))
    assert deals and all(d.contact_id and d.company_id == d.contact.company_id for d in deals)
    on_deals = Activity.objects.filter(deal__isnull=False).select_related("deal")
    assert on_deals.count() > 50
    for activity in on_deals:
        assert (activity.contact_id, activity.company_id) == (
            activity.deal.contact_id,
            activity.deal.company_id,
        )
        assert activity.occurred_at >= activity.deal.created_at
    for activity in Activity.objects.exclude(status="scheduled").select_related("contact"):
        assert activity.occurred_at <= now
        assert activity.contact is None or activity.occurred_at >= activity.contact.created_at
        assert activity.company_id == (activity.contact.company_id if activity.contact else None)
    for model in (Company, Contact, Deal, Activity, Task, DealStageChange):
        assert not model.objects.filter(created_at__gt=now).exists(), model
    assert not Contact.objects.filter(icp_scored_at__gt=now).exists()
    assert not Deal.objects.filter(closed_at__gt=now).exists()
    places = {(city, state or None, code, country) for city, state, code, country, _ in _PLACES}
    streets = {city: names for city, _, _, _, names in _PLACES}
    for company in Company.objects.all():
        address = company.address
        key = (address["city"], address.get("state"), address["postal_code"], address["country"])
        assert key in places, address
        assert address["street"].split(" ", 1)[1] in streets[address["city"]]
