"""The admin goes through the services; the demo seeders make lived-in, deterministic data."""

import pytest
from django.test import Client

from activities.models import Task
from deals import services
from deals.models import DealStageChange, Pipeline, Product
from rexcrm.accounts.models import Organization, User


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
