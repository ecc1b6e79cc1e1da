"""The deals list and the pipeline board."""

import re

import pytest

from deals.models import Deal
from deals.services import pipeline_default
from deals.views import BOARD_CARDS
from tests.conftest import page_queries, row_ids
from tests.factories import CompanyFactory, DealFactory, PipelineFactory, UserFactory


@pytest.fixture
def pipeline(org):
    return pipeline_default(org=org)


@pytest.fixture
def stages(pipeline):
    return list(pipeline.stages.order_by("position"))


def make_deals(org, pipeline, stage, count, **fields):
    return Deal.objects.bulk_create(
        [
            Deal(
                org=org, pipeline=pipeline, stage=stage, name=f"Deal {i:03}", value=(i + 1) * 100_00, **fields
            )
            for i in range(count)
        ]
    )


def test_deal_list_is_the_api_list(ui, api, org, pipeline, stages):
    company = CompanyFactory(org=org)
    for index, stage in enumerate(stages):
        make_deals(org, pipeline, stage, 6, company=company if index % 2 else None, currency="USD")
    stage_id = stages[1].typeid
    for query in (
        "",
        "sort=value",
        "sort=-expected_close",
        f"stage_id={stage_id}",
        "search=Deal 00",
        "status=open&limit=5",
    ):
        params = dict(pair.split("=") for pair in query.split("&")) if query else {}
        assert row_ids(ui.get(f"/deals/?{query}")) == [
            r["id"] for r in api.get("/deals", **params).json()["data"]
        ]


def test_deal_list_shows_money_with_its_currency(ui, org, pipeline, stages):
    make_deals(org, pipeline, stages[0], 1, currency="EUR")
    Deal.objects.create(
        org=org, pipeline=pipeline, stage=stages[0], name="Yen deal", value=1_500_000, currency="JPY"
    )
    html = ui.get("/deals/").content.decode()
    assert "€100" in html and "¥1,500,000" in html


def test_board_columns_in_position_order_with_totals(ui, org, pipeline, stages, member):
    make_deals(org, pipeline, stages[0], 3)  # 100 + 200 + 300 dollars
    make_deals(org, pipeline, stages[2], 1, owner=member)
    html = ui.get("/pipelines/").content.decode()
    headings = re.findall(r'<h2 id="stage-[^"]+">([^<]+) <span', html)
    assert headings == [stage.name for stage in stages]
    assert "$600" in html and html.count('class="deal-card"') == 4
    assert "Rita Rep" in html and "days in stage" in html


def test_board_of_another_pipeline_and_404s(ui, org, other_org, pipeline):
    other = PipelineFactory(org=org, name="Renewals")
    assert "Renewals" in ui.get(f"/pipelines/{other.typeid}/").content.decode()
    assert ui.get(f"/pipelines/{PipelineFactory(org=other_org).typeid}/").status_code == 404
    assert ui.get("/pipelines/pipe_nonsense/").status_code == 404
    assert ui.get(f"/pipelines/{pipeline.typeid.replace('pipe_', 'deal_')}/").status_code == 404


def test_board_columns_load_more_on_demand(ui, org, pipeline, stages):
    make_deals(org, pipeline, stages[0], BOARD_CARDS * 2 + 3)
    html = ui.get("/pipelines/").content.decode()
    assert html.count('class="deal-card"') == BOARD_CARDS
    seen = re.findall(r'data-deal="([^"]+)"', html)
    while True:
        more = re.search(r'hx-get="([^"]+)"', html)
        if not more:
            break
        html = ui.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"}).content.decode()
        assert "<html" not in html  # the #cards partial only
        seen += re.findall(r'data-deal="([^"]+)"', html)
    ordered = Deal.objects.for_org(org).order_by("expected_close", "id")
    assert seen == [deal.typeid for deal in ordered]


def test_board_filters_by_owner(ui, org, pipeline, stages, member):
    someone = UserFactory(org=org)
    make_deals(org, pipeline, stages[0], 2, owner=member)
    make_deals(org, pipeline, stages[0], 5, owner=someone)
    html = ui.get(f"/pipelines/?owner_id={member.typeid}").content.decode()
    assert html.count('class="deal-card"') == 2
    bad = ui.get("/pipelines/?owner_id=nope")
    assert bad.status_code == 200 and "owner_id" in bad.content.decode()


def test_board_without_a_pipeline_explains(ui):
    assert "No pipeline yet" in ui.get("/pipelines/").content.decode()


@pytest.mark.parametrize("path", ["/deals/?limit=200", "/pipelines/"])
def test_deal_pages_cost_constant_queries(ui, org, pipeline, stages, member, path):
    company = CompanyFactory(org=org)
    DealFactory(org=org, pipeline=pipeline, stage=stages[0], company=company, owner=member)
    one = page_queries(ui, path)
    for stage in stages:
        make_deals(org, pipeline, stage, 40, company=company, owner=member)
    assert page_queries(ui, path) == one


def test_deal_names_are_escaped(ui, org, pipeline, stages):
    Deal.objects.create(org=org, pipeline=pipeline, stage=stages[0], name="<script>x()</script>")
    for path in ("/deals/", "/pipelines/"):
        html = ui.get(path).content.decode()
        assert "<script>x()</script>" not in html and "&lt;script&gt;x()&lt;/script&gt;" in html
