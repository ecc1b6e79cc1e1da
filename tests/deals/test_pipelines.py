"""/pipelines and their stages: CRUD, the one default, add / reorder / delete stages."""

from io import StringIO

import pytest
from django.core.management import call_command

from deals import services
from deals.models import DealStageChange, Pipeline, Stage
from rexcrm.accounts.models import Organization
from rexcrm.core import ids
from tests.conftest import error_of
from tests.deals.conftest import stage_ids, tid
from tests.factories import OrganizationFactory
from tests.helpers.queries import count_queries

DEFAULT_STAGES = [
    ("Discovery", "open"),
    ("Qualification", "open"),
    ("Proposal", "open"),
    ("Negotiation", "open"),
    ("Closed Won", "won"),
    ("Closed Lost", "lost"),
]


def shape(pipeline_json):
    return [(s["name"], s["type"]) for s in pipeline_json["stages"]]


# -- the default pipeline of a new organization ------------------------------------------------


def test_createorg_provisions_the_default_pipeline(db, make_api):
    out = StringIO()
    call_command("createorg", "Initech", stdout=out)
    org = Organization.objects.get(pk=ids.decode("org", out.getvalue().strip()))
    assert out.getvalue() == org.typeid + "\n"
    [pipeline] = make_api(org).get_all("/pipelines")
    assert pipeline["name"] == "Sales Pipeline" and pipeline["is_default"] is True
    assert shape(pipeline) == DEFAULT_STAGES
    assert [s["position"] for s in pipeline["stages"]] == list(range(6))
    assert all(s["color"].startswith("#") for s in pipeline["stages"])


def test_provisioning_is_idempotent_and_lazy_for_old_organizations(db, make_api):
    org = OrganizationFactory()  # like an organization created before pipelines existed
    assert not Pipeline.objects.for_org(org).exists()
    api = make_api(org)
    deal = api.post("/deals", {"name": "First deal"}).json()["data"]
    pipeline = Pipeline.objects.for_org(org).get()
    assert pipeline.is_default and deal["pipeline_id"] == tid(pipeline)
    assert deal["stage_id"] == stage_ids(pipeline)[0]
    services.pipeline_default(org=org)
    services.pipeline_default(org=org)
    assert Pipeline.objects.for_org(org).count() == 1 and Stage.objects.for_org(org).count() == 6


# -- create, read, update ---------------------------------------------------------------------


def test_create_with_stages_and_read_back(api):
    body = {
        "name": "Renewals",
        "stages": [
            {"name": "Due", "color": "#AABBCC"},
            {"name": "Quoted", "type": "open"},
            {"name": "Renewed", "type": "won", "color": "#00ff00", "position": 7},
            {"name": "Churned", "type": "lost", "color": None},
        ],
        "metadata": {"team": "CS"},
    }
    response = api.post("/pipelines", body)
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["is_default"] is False and data["metadata"] == {"team": "CS"}
    assert [(s["name"], s["type"], s["color"], s["position"]) for s in data["stages"]] == [
        ("Due", "open", "#aabbcc", 0),  # colours come back lower-case
        ("Quoted", "open", None, 1),
        ("Renewed", "won", "#00ff00", 2),  # position is read-only in a nested stage
        ("Churned", "lost", None, 3),
    ]
    assert api.get(f"/pipelines/{data['id']}").json()["data"] == data
    empty = api.post("/pipelines", {"name": "Empty"}).json()["data"]
    assert empty["stages"] == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": 12}, "name"),
        ({"name": "P", "is_default": "maybe"}, "is_default"),
        ({"name": "P", "metadata": []}, "metadata"),
        ({"name": "P", "stages": "Discovery"}, "stages"),
        ({"name": "P", "stages": [{"type": "open"}]}, "stages.0.name"),
        ({"name": "P", "stages": [{"name": "S", "type": "closed"}]}, "stages.0.type"),
        ({"name": "P", "stages": [{"name": "S", "color": "red"}]}, "stages.0.color"),
        ({"name": "P", "stages": [{"name": "S", "color": "#12345"}]}, "stages.0.color"),
        ({"name": "P", "stages": [{"name": "S", "color": "#12345g"}]}, "stages.0.color"),
        ({"name": "P", "stages": [{"name": "S"}] * 101}, "stages"),
    ],
)
def test_create_validation(api, body, field):
    response = api.post("/pipelines", body)
    error = error_of(response)
    assert response.status_code == 400 and error["code"] == "validation_error", error
    assert field in error["fields"], error
    assert not Pipeline.objects.exists()


def test_unknown_field_in_a_nested_stage_is_refused(api):
    error = error_of(api.post("/pipelines", {"name": "P", "stages": [{"name": "S", "colour": "#000000"}]}))
    assert error["code"] == "unknown_field" and "stages.0.colour" in error["fields"]


def test_one_default_per_organization(org, api, pipeline):
    second = api.post("/pipelines", {"name": "Partners", "is_default": True}).json()["data"]
    assert second["is_default"] is True
    assert list(Pipeline.objects.for_org(org).filter(is_default=True)) == [
        Pipeline.objects.get(pk=ids.decode("pipe", second["id"]))
    ]
    pipeline.refresh_from_db()
    assert pipeline.is_default is False
    # PATCH moves it back; the other one is unset in the same request.
    response = api.patch(f"/pipelines/{tid(pipeline)}", {"is_default": True})
    assert response.status_code == 200 and response.json()["data"]["is_default"] is True
    assert api.get(f"/pipelines/{second['id']}").json()["data"]["is_default"] is False
    # Unsetting the default without naming another would leave none.
    response = api.patch(f"/pipelines/{tid(pipeline)}", {"is_default": False})
    error = error_of(response)  # the stored state refuses it: 409
    assert response.status_code == 409 and error["code"] == "conflict" and "is_default" in error["fields"]
    assert Pipeline.objects.for_org(org).filter(is_default=True).count() == 1
    # Setting it on a pipeline that is already the default changes nothing.
    assert api.patch(f"/pipelines/{tid(pipeline)}", {"is_default": True}).status_code == 200


def test_default_is_per_organization(org, other_org, api, other_api, pipeline):
    other_default = services.pipeline_default(org=other_org)
    api.post("/pipelines", {"name": "Mine", "is_default": True})
    other_default.refresh_from_db()
    assert other_default.is_default is True


def test_patch_changes_only_sent_fields_and_refuses_stages(api, pipeline):
    api.patch(f"/pipelines/{tid(pipeline)}", {"metadata": {"a": 1}})
    data = api.patch(f"/pipelines/{tid(pipeline)}", {"name": "Sales"}).json()["data"]
    assert data["name"] == "Sales" and data["metadata"] == {"a": 1} and data["is_default"] is True
    assert len(data["stages"]) == 6
    error = error_of(api.patch(f"/pipelines/{tid(pipeline)}", {"stages": [{"name": "X"}]}))
    assert error["code"] == "validation_error" and "stages" in error["fields"]
    assert "/stages" in error["message"]
    assert error_of(api.patch(f"/pipelines/{tid(pipeline)}", {"name": ""}))["code"] == "validation_error"


def test_list_sort_and_query_count(org, api, pipeline):
    api.post("/pipelines", {"name": "Alpha", "stages": [{"name": "A"}]})
    names = [p["name"] for p in api.get_all("/pipelines", sort="name")]
    assert names == ["Alpha", "Sales Pipeline"]
    assert [p["name"] for p in api.get_all("/pipelines", limit=1)] == ["Alpha", "Sales Pipeline"]
    api.get_ok("/pipelines")
    few = count_queries(lambda: api.get_ok("/pipelines", limit=200))
    for n in range(198):
        services.pipeline_create(actor=None, org=org, name=f"P{n}", stages=[{"name": "S1"}, {"name": "S2"}])
    assert count_queries(lambda: api.get_ok("/pipelines", limit=200)) == few
    assert count_queries(lambda: api.get_ok("/pipelines", limit=200, include="")) == few


# -- delete -----------------------------------------------------------------------------------


def test_delete_refused_while_deals_are_in_it_and_for_the_default(api, pipeline):
    other = api.post("/pipelines", {"name": "Other", "stages": [{"name": "S"}]}).json()["data"]
    deal = api.post("/deals", {"name": "D", "pipeline_id": other["id"]}).json()["data"]
    response = api.delete(f"/pipelines/{other['id']}")
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"
    assert "1 deal" in error_of(response)["message"]
    response = api.delete(f"/pipelines/{tid(pipeline)}")
    assert response.status_code == 409 and "default" in error_of(response)["message"]
    assert api.delete(f"/deals/{deal['id']}").status_code == 204
    assert api.delete(f"/pipelines/{other['id']}").status_code == 204
    assert api.get(f"/pipelines/{other['id']}").status_code == 404
    assert not Stage.objects.filter(pipeline_id=ids.decode("pipe", other["id"])).exists()


# -- add a stage ------------------------------------------------------------------------------


def test_add_stage_appends_or_inserts_and_shifts(api, pipeline):
    path = f"/pipelines/{tid(pipeline)}/stages"
    response = api.post(path, {"name": "Contract", "type": "open", "color": "#123ABC"})
    assert response.status_code == 201
    added = response.json()["data"]
    assert added == {"id": added["id"], "name": "Contract", "type": "open", "color": "#123abc", "position": 6}
    first = api.post(path, {"name": "Lead in", "position": 0}).json()["data"]
    middle = api.post(path, {"name": "Demo", "position": 3}).json()["data"]
    data = api.get(f"/pipelines/{tid(pipeline)}").json()["data"]
    assert [s["name"] for s in data["stages"]] == [
        "Lead in",
        "Discovery",
        "Qualification",
        "Demo",
        "Proposal",
        "Negotiation",
        "Closed Won",
        "Closed Lost",
        "Contract",
    ]
    assert [s["position"] for s in data["stages"]] == list(range(9))
    assert (first["position"], middle["position"]) == (0, 3)
    # a position past the end appends (the client cannot know how many stages there are now)
    last = api.post(path, {"name": "Renewal", "position": 10**12}).json()["data"]
    assert last["position"] == 9
    last = api.post(path, {"name": "End", "position": 9}).json()["data"]
    assert last["position"] == 9


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "open"}, "name"),
        ({"name": "S", "type": "done"}, "type"),
        ({"name": "S", "color": "blue"}, "color"),
        ({"name": "S", "position": -1}, "position"),
        ({"name": "S", "position": "1"}, "position"),
        ({"name": "S", "position": 1.5}, "position"),
    ],
)
def test_add_stage_validation(api, pipeline, body, field):
    response = api.post(f"/pipelines/{tid(pipeline)}/stages", body)
    error = error_of(response)
    assert response.status_code == 400 and error["code"] == "validation_error" and field in error["fields"]
    assert stage_ids(pipeline) == [
        tid(s) for s in Stage.objects.filter(pipeline=pipeline).order_by("position")
    ]
    assert Stage.objects.filter(pipeline=pipeline).count() == 6


# -- reorder ----------------------------------------------------------------------------------


def test_reorder_with_every_id(api, pipeline):
    order = stage_ids(pipeline)
    new_order = [order[1], order[0], *order[2:4], order[5], order[4]]
    response = api.put(f"/pipelines/{tid(pipeline)}/stages", {"stage_ids": new_order})
    assert response.status_code == 200
    data = response.json()["data"]
    assert [s["id"] for s in data["stages"]] == new_order
    assert [s["position"] for s in data["stages"]] == list(range(6))
    assert stage_ids(pipeline) == new_order
    # Lower-case ids are the same ids.
    lower = [stage_id.lower() for stage_id in order]
    assert [
        s["id"]
        for s in api.put(f"/pipelines/{tid(pipeline)}/stages", {"stage_ids": lower}).json()["data"]["stages"]
    ] == order


def test_reorder_refuses_anything_but_the_full_list(org, other_org, api, pipeline):
    order = stage_ids(pipeline)
    other = services.pipeline_create(actor=None, org=org, name="Other", stages=[{"name": "X"}])
    foreign = tid(other.stages.get())
    stranger = tid(services.pipeline_default(org=other_org).stages.first())
    cases = [
        ({"stage_ids": order[:-1]}, "conflict", "Missing"),
        ({"stage_ids": [*order, order[0]]}, "validation_error", "Duplicated"),
        ({"stage_ids": [*order[:-1], foreign]}, "conflict", "Not stages of this pipeline"),
        ({"stage_ids": [*order, foreign]}, "conflict", "Not stages of this pipeline"),
        ({"stage_ids": [*order[:-1], stranger]}, "invalid_reference", "No stage with id"),
        ({"stage_ids": [*order[:-1], "cont_01ARZ3NDEKTSV4RRFFQ69G5FAV"]}, "validation_error", "stg_"),
        ({"stage_ids": [*order[:-1], 5]}, "validation_error", None),
        ({"stage_ids": []}, "validation_error", "empty"),
        ({"stage_ids": ", ".join(order)}, "validation_error", None),
        ({}, "validation_error", None),
    ]
    for body, code, text in cases:
        response = api.put(f"/pipelines/{tid(pipeline)}/stages", body)
        error = error_of(response)
        status = 409 if code == "conflict" else 400  # ids of the org that are not the stages as they are now
        assert response.status_code == status and error["code"] == code, (body, error)
        assert any(name.startswith("stage_ids") for name in error["fields"]), error
        assert text is None or text in error["message"], (text, error["message"])
    assert stage_ids(pipeline) == order


# -- delete a stage ---------------------------------------------------------------------------


def test_delete_stage_without_deals_keeps_positions_contiguous(api, pipeline):
    order = stage_ids(pipeline)
    assert api.delete(f"/pipelines/{tid(pipeline)}/stages/{order[1]}").status_code == 204
    data = api.get(f"/pipelines/{tid(pipeline)}").json()["data"]
    assert [s["id"] for s in data["stages"]] == [order[0], *order[2:]]
    assert [s["position"] for s in data["stages"]] == list(range(5))
    assert api.delete(f"/pipelines/{tid(pipeline)}/stages/{order[1]}").status_code == 404


def test_delete_stage_with_deals_needs_move_to(org, api, pipeline):
    order = stage_ids(pipeline)
    deals = [api.post("/deals", {"name": f"D{n}", "stage_id": order[1]}).json()["data"] for n in range(3)]
    bystander = api.post("/deals", {"name": "Elsewhere", "stage_id": order[2]}).json()["data"]
    path = f"/pipelines/{tid(pipeline)}/stages/{order[1]}"
    response = api.delete(path)
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"
    assert "move_to" in error_of(response)["message"]
    response = api.delete(path + f"?move_to={order[3]}")
    assert response.status_code == 204
    for deal in deals:
        data = api.get(f"/deals/{deal['id']}").json()["data"]
        assert data["stage_id"] == order[3]
        history = api.get_all(f"/deals/{deal['id']}/history")
        assert [(h["from_stage_id"], h["to_stage_id"]) for h in history] == [(order[1], order[3])]
    assert api.get_all(f"/deals/{bystander['id']}/history") == []
    assert stage_ids(pipeline) == [order[0], *order[2:]]
    assert list(
        Stage.objects.filter(pipeline=pipeline).order_by("position").values_list("position", flat=True)
    ) == list(range(5))


def test_delete_stage_into_a_won_stage_closes_the_deals(api, pipeline):
    order = stage_ids(pipeline)
    deal = api.post("/deals", {"name": "D", "stage_id": order[3]}).json()["data"]
    assert api.delete(f"/pipelines/{tid(pipeline)}/stages/{order[3]}?move_to={order[4]}").status_code == 204
    data = api.get(f"/deals/{deal['id']}").json()["data"]
    assert data["status"] == "won" and data["closed_at"] is not None


def test_delete_stage_move_to_validation(org, other_org, api, pipeline):
    order = stage_ids(pipeline)
    api.post("/deals", {"name": "D", "stage_id": order[0]})
    other = services.pipeline_create(actor=None, org=org, name="Other", stages=[{"name": "X"}])
    stranger = tid(services.pipeline_default(org=other_org).stages.first())
    path = f"/pipelines/{tid(pipeline)}/stages/{order[0]}"
    cases = [
        # Well-formed ids are stored state, which the OpenAPI document cannot describe (the fuzzer
        # found these as validation_error): invalid_reference, like a stage_id of another pipeline.
        (order[0], "invalid_reference"),  # itself
        (tid(other.stages.get()), "invalid_reference"),  # another pipeline's
        (stranger, "invalid_reference"),  # another organization's
        ("stg_garbage", "validation_error"),
        (tid(pipeline), "validation_error"),  # wrong prefix
    ]
    for move_to, code in cases:
        response = api.delete(f"{path}?move_to={move_to}")
        error = error_of(response)
        assert response.status_code == 400 and error["code"] == code and "move_to" in error["fields"], move_to
    assert error_of(api.delete(f"{path}?moveto={order[1]}"))["code"] == "unknown_field"
    assert stage_ids(pipeline) == order
    assert not DealStageChange.objects.exists()


def test_stage_paths_are_404_for_unknown_or_foreign_ids(org, other_org, api, pipeline):
    stranger_pipeline = services.pipeline_default(org=other_org)
    stranger_stage = tid(stranger_pipeline.stages.first())
    other = services.pipeline_create(actor=None, org=org, name="Other", stages=[{"name": "X"}])
    own_stage = stage_ids(pipeline)[0]
    for path in [
        f"/pipelines/{tid(stranger_pipeline)}/stages/{stranger_stage}",
        f"/pipelines/{tid(pipeline)}/stages/{stranger_stage}",
        f"/pipelines/{tid(other)}/stages/{own_stage}",  # a stage of another pipeline
        f"/pipelines/{tid(pipeline)}/stages/nonsense",
    ]:
        response = api.delete(path)
        assert response.status_code == 404 and error_of(response)["code"] == "not_found", path
    assert (
        error_of(api.delete(f"/pipelines/{tid(pipeline)}/stages/nonsense"))["message"] == "Stage not found."
    )
    for method, path, body in [
        ("post", f"/pipelines/{tid(stranger_pipeline)}/stages", {"name": "S"}),
        ("put", f"/pipelines/{tid(stranger_pipeline)}/stages", {"stage_ids": []}),
        ("get", f"/pipelines/{tid(stranger_pipeline)}", None),
        ("patch", f"/pipelines/{tid(stranger_pipeline)}", {"name": "Mine"}),
        ("delete", f"/pipelines/{tid(stranger_pipeline)}", None),
    ]:
        response = getattr(api, method)(path, body) if body is not None else getattr(api, method)(path)
        assert response.status_code == 404, (method, path)
        assert error_of(response)["message"] == "Pipeline not found."
    stranger_pipeline.refresh_from_db()
    assert stranger_pipeline.name == "Sales Pipeline" and stranger_pipeline.stages.count() == 6


def test_stage_changes_touch_the_pipeline_updated_at(api, pipeline):
    before = api.get(f"/pipelines/{tid(pipeline)}").json()["data"]["updated_at"]
    api.post(f"/pipelines/{tid(pipeline)}/stages", {"name": "New"})
    after = api.get(f"/pipelines/{tid(pipeline)}").json()["data"]["updated_at"]
    assert after > before
    synced = api.get_all("/pipelines", updated_after=after)
    assert [p["id"] for p in synced] == [tid(pipeline)]
