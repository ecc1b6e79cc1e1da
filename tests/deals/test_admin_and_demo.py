"""The admin goes through the services; the demo seeders make lived-in, deterministic data."""

import random

import pytest
from django.test import Client

from activities.choices import TaskStatus
from activities.models import Task
from deals import services
from deals.models import Deal, DealStageChange, Pipeline, Product
from rexcrm.accounts.models import Organization, User
from rexcrm.core import clock
from rexcrm.workspace.demo.activities import seed_tasks
from rexcrm.workspace.demo.deals import DEAL_COUNT, PRODUCTS, seed_deals
from tests.factories import CompanyFactory, ContactFactory, OrganizationFactory


@pytest.fixture
def admin_client(org):
    user = User.objects.create_superuser(email="root@example.com", password="pw-123456", org=org)
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def test_an_organization_created_in_the_admin_is_provisioned(admin_client):
    response = admin_client.post("/admin/accounts/organization/add/", {"name": "Admin Co"})
    assert response.status_code == 302, response.content
    org = Organization.objects.get(name="Admin Co")
    pipeline = Pipeline.objects.for_org(org).get()
    assert pipeline.is_default and pipeline.stages.count() == 6


def test_a_stage_changed_in_the_admin_is_a_move_with_history(org, admin_client, stages):
    deal = services.deal_create(actor=None, org=org, name="Admin deal", value=100)
    form = {
        "name": "Admin deal",
        "pipeline": str(deal.pipeline_id),
        "stage": str(stages[4].pk),
        "value": "100",
        "currency": "USD",
        "status": "open",
        "source": "",
        "lost_reason": "",
        "metadata": "{}",
        "stage_changes-TOTAL_FORMS": "0",
        "stage_changes-INITIAL_FORMS": "0",
    }
    response = admin_client.post(f"/admin/deals/deal/{deal.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    deal.refresh_from_db()
    assert (deal.stage, deal.status) == (stages[4], "won") and deal.closed_at is not None
    row = DealStageChange.objects.get()
    assert (row.from_stage_id, row.to_stage_id, row.changed_by) == (
        stages[0].pk,
        stages[4].pk,
        admin_client.user,
    )
    # A stage of another pipeline is a form error, not a failure.
    other = services.pipeline_create(actor=None, org=org, name="Other", stages=[{"name": "X"}])
    response = admin_client.post(
        f"/admin/deals/deal/{deal.pk}/change/", {**form, "stage": str(other.stages.get().pk)}
    )
    assert response.status_code == 200 and b"Must be a stage of the deal&#x27;s pipeline" in response.content
    assert DealStageChange.objects.count() == 1


def test_the_default_pipeline_cannot_be_deleted_in_the_admin(admin_client, pipeline):
    response = admin_client.post(f"/admin/deals/pipeline/{pipeline.pk}/delete/", {"post": "yes"}, follow=True)
    assert response.status_code == 200 and b"The default pipeline cannot be deleted" in response.content
    assert Pipeline.objects.filter(pk=pipeline.pk).exists()


def test_product_slug_clash_is_a_form_error_in_the_admin(org, admin_client):
    services.product_create(actor=None, org=org, name="Growth", slug="growth")
    form = {
        "org": str(org.pk),
        "name": "Again",
        "slug": "GROWTH",
        "price": "0",
        "currency": "USD",
        "metadata": "{}",
    }
    response = admin_client.post("/admin/deals/product/add/", {**form, "is_active": "on"})
    assert response.status_code == 200 and b"already exists" in response.content
    response = admin_client.post(
        "/admin/deals/product/add/", {**form, "slug": "growth-2", "currency": "usdx"}
    )
    assert response.status_code == 200  # not an ISO 4217 code
    response = admin_client.post("/admin/deals/product/add/", {**form, "slug": "growth-2", "currency": "usd"})
    assert (
        response.status_code == 302 and Product.objects.get(slug="growth-2").currency == "USD"
    )  # as the API


def test_a_task_completed_in_the_admin_gets_completed_at(org, admin_client):
    form = {
        "org": str(org.pk),
        "title": "Admin task",
        "description": "",
        "priority": "high",
        "status": "completed",
        "metadata": "{}",
    }
    response = admin_client.post("/admin/activities/task/add/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    task = Task.objects.get()
    assert task.completed_at is not None and task.priority_rank == 2


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
