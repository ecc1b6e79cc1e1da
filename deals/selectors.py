"""Named reads of pipelines, deals and products, all scoped to one organization."""

from deals.models import Deal, DealStageChange, Pipeline, Product, Stage


def pipeline_list(*, org):
    return Pipeline.objects.for_org(org)


def stage_list(*, org, pipeline=None):
    stages = Stage.objects.for_org(org)
    return stages if pipeline is None else stages.filter(pipeline=pipeline)


def deal_list(*, org):
    return Deal.objects.for_org(org)


def deal_stage_change_list(*, org, deal_pk=None):
    """Stage changes (history rows), of one deal when ``deal_pk`` is given."""
    changes = DealStageChange.objects.for_org(org)
    return changes if deal_pk is None else changes.filter(deal_id=deal_pk)


def product_list(*, org):
    return Product.objects.for_org(org)
