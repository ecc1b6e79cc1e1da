import datetime

import pytest

from deals import services
from rexcrm.core import clock, ids

T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def pipeline(org):
    """The organization's default "Sales Pipeline"."""
    return services.pipeline_default(org=org)


@pytest.fixture
def stages(pipeline):
    """Its six stages in order: Discovery, Qualification, Proposal, Negotiation, Closed Won, Closed Lost."""
    return list(pipeline.stages.order_by("position"))


@pytest.fixture
def frozen():
    """Fix the domain clock: ``frozen(at)`` as a context manager; ``T0`` by default."""
    return clock.frozen


def tid(obj) -> str:
    return ids.encode(obj.type_prefix, obj.pk)


def stage_ids(pipeline) -> list[str]:
    return [tid(stage) for stage in pipeline.stages.order_by("position")]
