"""Settings of pipelines and stages in the web UI (administrators)."""

import pytest

from deals.models import Deal, DealStageChange, Pipeline, Stage
from deals.services import pipeline_create, pipeline_default
from tests.conftest import page_queries
from tests.factories import StageFactory


@pytest.fixture
def pipeline(org):
    return pipeline_default(org=org)


def names(pipeline) -> list[str]:
    return list(Stage.objects.filter(pipeline=pipeline).order_by("position").values_list("name", flat=True))


def url(pipeline, rest=""):
    return f"/settings/pipelines/{pipeline.typeid}/{rest}"


def test_add_and_rename_pipelines_and_move_the_default(admin_ui, org, pipeline):
    bad = admin_ui.post("/settings/pipelines/", {"name": "   "})
    assert bad.status_code == 400 and "required" in bad.content.decode()
    added = admin_ui.post("/settings/pipelines/", {"name": "Renewals"})
    renewals = Pipeline.objects.for_org(org).get(name="Renewals")
    assert added["Location"] == url(renewals) and len(names(renewals)) == 6
    long = admin_ui.post(url(renewals), {"name": "R" * 201})
    assert long.status_code == 400 and "no more than 200" in long.content.decode()
    admin_ui.post(url(renewals), {"name": "Upsell", "is_default": "on"})
    renewals.refresh_from_db()
    pipeline.refresh_from_db()
    assert renewals.name == "Upsell" and renewals.is_default and not pipeline.is_default


def test_add_rename_and_recolour_stages_with_field_errors(admin_ui, pipeline):
    bad = admin_ui.post(url(pipeline, "stages/"), {"name": "Demo", "type": "open", "color": "blue"})
    assert (
        bad.status_code == 400
        and "#rrggbb" in bad.content.decode()
        and 'value="Demo"' in bad.content.decode()
    )
    admin_ui.post(url(pipeline, "stages/"), {"name": "Demo", "type": "open", "color": "#AABBCC"})
    stage = Stage.objects.get(pipeline=pipeline, name="Demo")
    assert stage.color == "#aabbcc" and names(pipeline)[-1] == "Demo"
    prefix = stage.typeid
    bad = admin_ui.post(
        url(pipeline, f"stages/{prefix}/"), {f"{prefix}-name": "", f"{prefix}-color": "#000000"}
    )
    assert bad.status_code == 400 and "required" in bad.content.decode()
    admin_ui.post(
        url(pipeline, f"stages/{prefix}/"), {f"{prefix}-name": "Live demo", f"{prefix}-color": "#112233"}
    )
    stage.refresh_from_db()
    assert (stage.name, stage.color) == ("Live demo", "#112233")


def test_move_up_and_down_with_and_without_htmx(admin_ui, pipeline):
    first, second, third = Stage.objects.filter(pipeline=pipeline).order_by("position")[:3]
    response = admin_ui.post(url(pipeline, f"stages/{first.typeid}/move/"), {"direction": "down"})
    assert response.status_code == 302
    assert names(pipeline)[:3] == [second.name, first.name, third.name]
    response = admin_ui.post(
        url(pipeline, f"stages/{first.typeid}/move/"), {"direction": "down"}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200 and f"{first.name} is now stage 3 of 6." in response.content.decode()
    admin_ui.post(url(pipeline, f"stages/{second.typeid}/move/"), {"direction": "up"})  # already first
    assert names(pipeline)[:3] == [second.name, third.name, first.name]
    bad = admin_ui.post(url(pipeline, f"stages/{first.typeid}/move/"), {"direction": "sideways"}, follow=True)
    assert "up or down" in bad.content.decode()


def test_order_after_a_drag(admin_ui, pipeline):
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    order = [stages[-1], *stages[:-1]]
    response = admin_ui.post(
        url(pipeline, "stages/order/"),
        {"stage_ids": [s.typeid for s in order]},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200 and "Stages reordered." in response.content.decode()
    assert names(pipeline) == [s.name for s in order]
    for bad in ([s.typeid for s in order[:-1]], ["nonsense"], [*[s.typeid for s in order], order[0].typeid]):
        response = admin_ui.post(
            url(pipeline, "stages/order/"), {"stage_ids": bad}, headers={"HX-Request": "true"}
        )
        assert response.status_code == 204 and response["HX-Redirect"] == url(pipeline)
    assert names(pipeline) == [s.name for s in order]


def test_remove_a_stage_moving_its_deals(admin_ui, org, admin_member, pipeline):
    stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
    deal = Deal.objects.create(org=org, pipeline=pipeline, stage=stages[0], name="Acme")
    delete_url = url(pipeline, f"stages/{stages[0].typeid}/delete/")
    page = admin_ui.get(delete_url).content.decode()
    assert "1 deal</strong> is on" in page and stages[1].name in page
    refused = admin_ui.post(delete_url, {"move_to": ""})
    assert refused.status_code == 400 and "move them first" in refused.content.decode()
    other_pipeline = pipeline_create(org=org, actor=None, name="Other", stages=[{"name": "X"}])
    foreign = admin_ui.post(delete_url, {"move_to": other_pipeline.stages.get().typeid})
    assert foreign.status_code == 400 and "valid choice" in foreign.content.decode()
    done = admin_ui.post(delete_url, {"move_to": stages[4].typeid})
    assert done.status_code == 302
    deal.refresh_from_db()
    assert deal.stage == stages[4] and deal.status == "won"
    change = DealStageChange.objects.get(deal=deal)
    assert (change.to_stage_id, change.changed_by) == (stages[4].pk, admin_member)
    assert not Stage.objects.filter(pk=stages[0].pk).exists()
    empty = url(pipeline, f"stages/{stages[1].typeid}/delete/")
    assert "No deal is on" in admin_ui.get(empty).content.decode()
    assert admin_ui.post(empty, {}).status_code == 302 and len(names(pipeline)) == 4


def test_other_organizations_and_other_pipelines_ids_are_404(admin_ui, org, other_org, pipeline):
    foreign = pipeline_default(org=other_org)
    foreign_stage = foreign.stages.first()
    other = pipeline_create(org=org, actor=None, name="Other", stages=[{"name": "X"}])
    own_stage = pipeline.stages.first()
    for method, path in (
        ("get", url(foreign)),
        ("post", url(foreign)),
        ("post", url(foreign, "stages/")),
        ("post", url(foreign, "stages/order/")),
        ("post", url(pipeline, f"stages/{foreign_stage.typeid}/")),
        ("post", url(pipeline, f"stages/{foreign_stage.typeid}/move/")),
        ("get", url(pipeline, f"stages/{foreign_stage.typeid}/delete/")),
        ("post", url(other, f"stages/{own_stage.typeid}/move/")),
        ("get", "/settings/pipelines/pipe_nonsense/"),
    ):
        assert (
            getattr(admin_ui, method)(path, {"direction": "down"} if method == "post" else None).status_code
            == 404
        ), path
    assert names(foreign)[0] == foreign_stage.name


def test_members_who_are_not_administrators_cannot_change_pipelines(ui, pipeline):
    stage = pipeline.stages.first()
    assert ui.post(url(pipeline, f"stages/{stage.typeid}/move/"), {"direction": "down"}).status_code == 403
    assert ui.post("/settings/pipelines/", {"name": "X"}).status_code == 403
    assert names(pipeline)[0] == stage.name


def test_pages_cost_the_same_queries_for_1_stage_as_for_30(admin_ui, org):
    small = pipeline_create(org=org, actor=None, name="Small", is_default=True, stages=[{"name": "Only"}])
    big = pipeline_create(org=org, actor=None, name="Big", stages=[{"name": f"S{n}"} for n in range(30)])
    for stage in big.stages.all()[:10]:
        Deal.objects.create(org=org, pipeline=big, stage=stage, name="d")
    assert page_queries(admin_ui, url(small)) == page_queries(admin_ui, url(big))
    one = page_queries(admin_ui, "/settings/pipelines/")
    for n in range(10):
        StageFactory(pipeline=pipeline_create(org=org, actor=None, name=f"P{n}"), position=0)
    assert page_queries(admin_ui, "/settings/pipelines/") == one
