"""The services underneath every door: invariants, concurrency, cross-organization refusals."""

import itertools
import random
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from deals import services
from deals.choices import DealStatus
from deals.models import Deal, DealStageChange, Pipeline, Product, Stage
from rexcrm.core.exceptions import ConflictError
from tests.deals.conftest import T0
from tests.factories import ContactFactory, OrganizationFactory, UserFactory


def positions(pipeline):
    return list(
        Stage.objects.filter(pipeline=pipeline).order_by("position").values_list("position", flat=True)
    )


def test_stage_positions_stay_contiguous_through_any_sequence(org, pipeline):
    rng = random.Random(5)
    for step in range(60):
        stages = list(pipeline.stages.order_by("position"))
        action = rng.choice(["add", "insert", "reorder", "delete"])
        if action == "add":
            services.stage_add(org=pipeline.org, actor=None, pipeline=pipeline, name=f"S{step}")
        elif action == "insert":
            services.stage_add(
                org=pipeline.org,
                actor=None,
                pipeline=pipeline,
                name=f"S{step}",
                position=rng.randint(0, len(stages)),
            )
        elif action == "reorder":
            order = [s.pk for s in stages]
            rng.shuffle(order)
            services.stage_reorder(org=pipeline.org, actor=None, pipeline=pipeline, stage_ids=order)
            assert [s.pk for s in pipeline.stages.order_by("position")] == order
        elif len(stages) > 1:
            services.stage_delete(org=rng.choice(stages).org, actor=None, stage=rng.choice(stages))
        assert positions(pipeline) == list(range(pipeline.stages.count()))


def test_deal_move_stage_records_the_actor_and_skips_no_ops(org, stages, frozen):
    member = UserFactory(org=org)
    deal = services.deal_create(actor=None, org=org, name="D")
    with frozen(T0):
        moved = services.deal_move_stage(org=deal.org, deal=deal, stage=stages[4], actor=member)
    assert (moved.status, moved.closed_at, moved.stage_entered_at) == (DealStatus.WON, T0, T0)
    row = DealStageChange.objects.get()
    assert (row.from_stage_id, row.to_stage_id, row.changed_by, row.changed_at) == (
        stages[0].pk,
        stages[4].pk,
        member,
        T0,
    )
    same = services.deal_move_stage(org=moved.org, deal=moved, stage=stages[4], actor=member)
    assert same.stage_entered_at == T0 and DealStageChange.objects.count() == 1


def test_services_refuse_other_organizations_objects(org, other_org, pipeline, stages):
    theirs = services.pipeline_default(org=other_org)
    their_stage = theirs.stages.first()
    deal = services.deal_create(actor=None, org=org, name="D")
    with pytest.raises(ValidationError) as info:
        services.deal_create(actor=None, org=org, name="X", contact=ContactFactory(org=other_org))
    assert info.value.error_dict["contact_id"][0].code == "invalid_reference"
    with pytest.raises(ValidationError):
        services.deal_create(actor=None, org=org, name="X", pipeline=theirs)
    with pytest.raises(ValidationError):
        services.deal_move_stage(org=deal.org, actor=None, deal=deal, stage=their_stage)
    with pytest.raises(ValidationError):
        services.deal_update(org=deal.org, actor=None, deal=deal, owner=UserFactory(org=other_org))
    with pytest.raises(ValidationError):
        services.deal_update(
            org=deal.org,
            actor=None,
            deal=deal,
            products=[services.product_create(actor=None, org=other_org, name="P", slug="p")],
        )
    with pytest.raises(ValidationError) as info:
        services.stage_delete(org=stages[1].org, actor=None, stage=stages[1], move_to=their_stage)
    assert info.value.error_dict["move_to"][0].code == "invalid_reference"
    with pytest.raises(Deal.DoesNotExist):  # the organization's rows only
        services.deal_update(actor=None, deal=deal, org=other_org, name="Moved")
    deal.refresh_from_db()
    assert deal.org == org and deal.stage == stages[0]


def test_stage_delete_conflict_and_pipeline_delete_conflicts(org, pipeline, stages):
    services.deal_create(actor=None, org=org, name="D", stage=stages[2])
    with pytest.raises(ConflictError):
        services.stage_delete(org=stages[2].org, actor=None, stage=stages[2])
    with pytest.raises(ConflictError):
        services.pipeline_delete(org=pipeline.org, actor=None, pipeline=pipeline)
    assert Stage.objects.filter(pk=stages[2].pk).exists()


# -- concurrency (PostgreSQL: SQLite serialises writers anyway) -------------------------------


def run_threads(count, target):
    """Run ``target(i)`` in ``count`` threads started together; re-raise the first failure."""
    barrier = threading.Barrier(count)
    errors = []

    def run(i):
        try:
            barrier.wait(timeout=10)
            target(i)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_moves_of_one_deal_leave_a_consistent_history():
    org = OrganizationFactory()
    stages = list(services.pipeline_default(org=org).stages.order_by("position"))
    deal = services.deal_create(actor=None, org=org, name="Contested")
    moves_per_thread = 6

    def mover(i):
        for j in range(moves_per_thread):
            services.deal_move_stage(
                org=org,
                actor=None,
                deal=Deal(pk=deal.pk),
                stage=stages[(i + j) % len(stages)],
            )

    assert run_threads(8, mover) == []
    rows = list(DealStageChange.objects.filter(deal_id=deal.pk).order_by("changed_at", "id"))
    deal.refresh_from_db()
    assert rows, "some moves must have been real changes"
    assert rows[0].from_stage_id == stages[0].pk
    assert all(row.from_stage_id != row.to_stage_id for row in rows), "a no-op wrote a row"
    for before, after in itertools.pairwise(rows):
        assert after.from_stage_id == before.to_stage_id, "a move did not see the previous one"
    assert rows[-1].to_stage_id == deal.stage_id
    assert deal.stage_entered_at == rows[-1].changed_at
    closed = deal.stage.type in ("won", "lost")
    assert (deal.status in ("won", "lost")) == closed and (deal.closed_at is not None) == closed


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_first_deals_create_one_default_pipeline():
    org = OrganizationFactory()
    assert run_threads(6, lambda i: services.deal_create(actor=None, org=org, name=f"D{i}")) == []
    assert Pipeline.objects.for_org(org).count() == 1
    assert Deal.objects.for_org(org).values("pipeline_id").distinct().count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_default_changes_leave_exactly_one_default():
    org = OrganizationFactory()
    services.pipeline_default(org=org)
    pipelines = [services.pipeline_create(actor=None, org=org, name=f"P{i}") for i in range(6)]
    errors = run_threads(
        6,
        lambda i: services.pipeline_update(
            org=pipelines[i].org, actor=None, pipeline=pipelines[i], is_default=True
        ),
    )
    assert errors == []
    assert Pipeline.objects.for_org(org).filter(is_default=True).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_stage_inserts_keep_positions_contiguous():
    org = OrganizationFactory()
    pipeline = services.pipeline_default(org=org)
    assert (
        run_threads(
            6,
            lambda i: services.stage_add(
                org=pipeline.org, actor=None, pipeline=pipeline, name=f"S{i}", position=i % 3
            ),
        )
        == []
    )
    assert positions(pipeline) == list(range(12))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_products_with_one_slug_make_one_product():
    org = OrganizationFactory()
    errors = run_threads(
        6,
        lambda i: services.product_create(
            actor=None, org=org, name=f"P{i}", slug="Same" if i % 2 else "same"
        ),
    )
    product = Product.objects.get(org=org)
    assert len(errors) == 5 and all(isinstance(e, ConflictError) for e in errors), errors
    assert {e.existing.pk for e in errors} == {product.pk}
