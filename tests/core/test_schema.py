"""The OpenAPI document: generated without warnings, served, complete, and offline-capable."""

import re

import pytest
import yaml
from django.test import Client
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.generators import SchemaGenerator

from tests.helpers.routes import VIEWSETS


@pytest.fixture(scope="module")
def schema():
    GENERATOR_STATS.reset()
    generated = SchemaGenerator().get_schema(request=None, public=True)
    assert not GENERATOR_STATS, f"generator warnings or errors: {GENERATOR_STATS}"
    return generated


def test_generation_has_no_warnings(schema):
    assert schema["openapi"].startswith("3.")


def test_security_scheme_and_every_operation_secured(schema):
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": schema["components"]["securitySchemes"]["ApiKeyAuth"]["description"],
    }
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert {"ApiKeyAuth": []} in operation["security"], (path, method)


def test_envelopes_and_errors_are_described(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for code in ["400", "401", "403", "429"]:
                assert responses[code]["content"]["application/json"]["schema"] == {
                    "$ref": "#/components/schemas/Error"
                }
            if "{id}" in path:
                assert "404" in responses
            ok = next(code for code in responses if code.startswith("2"))
            if ok == "204":
                continue
            body = responses[ok]["content"]["application/json"]["schema"]
            body = schema["components"]["schemas"][body["$ref"].split("/")[-1]] if "$ref" in body else body
            assert "data" in body["properties"], (path, method)
            if method == "get" and "{id}" not in path:
                assert {"has_more", "next_cursor", "meta"} <= set(body["properties"])
            assert "X-RateLimit-Remaining" in responses[ok]["headers"]
    code = schema["components"]["schemas"]["ErrorDetail"]["properties"]["code"]
    enum = (
        schema["components"]["schemas"][code["$ref"].split("/")[-1]]["enum"]
        if "$ref" in code
        else code["enum"]
    )
    assert {"validation_error", "unknown_field", "invalid_cursor", "rate_limit_exceeded"} <= set(enum)


def test_every_filter_sort_and_list_parameter_is_documented(schema):
    generator = SchemaGenerator()
    generator._initialise_endpoints()
    views = [
        (path.rstrip("/"), generator.create_view(callback, method))
        for path, _, method, callback in generator.endpoints
        if method == "GET"
    ]
    lists = [(path, view) for path, view in views if getattr(view, "action", None) == "list"]
    assert {type(view) for _, view in lists} >= {v for v in VIEWSETS if hasattr(v, "list")}
    for path, view in lists:
        names = {p["name"] for p in schema["paths"][path]["get"]["parameters"]}
        filters = set(view.filterset_class.base_filters) if view.filterset_class else set()
        expected = ({"cursor", "limit", "sort", "fields"} & view.list_params) | filters
        assert {"cursor", "limit"} | filters <= expected <= names, (path, expected - names)
        assert view.list_params - {"include"} <= names, (path, view.list_params - names)
        if "sort" not in view.list_params:
            continue
        sort = next(p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "sort")
        assert set(sort["schema"]["enum"]) == {s for f in view.sort_fields for s in (f, f"-{f}")}


def test_ids_are_typeids_in_the_document(schema):
    user = schema["components"]["schemas"]["User"]["properties"]["id"]
    assert user["pattern"].startswith("^user_") and user["readOnly"] is True
    params = schema["paths"]["/api/users/{id}"]["get"]["parameters"]
    assert next(p for p in params if p["name"] == "id")["schema"]["pattern"].startswith("^user_")


def test_served_documents_and_offline_docs_page(db):
    client = Client()
    as_yaml = client.get("/api/openapi.yaml")
    assert as_yaml.status_code == 200
    assert yaml.safe_load(as_yaml.content)["info"]["title"] == "Rex CRM API"
    as_json = client.get("/api/openapi.json")
    assert as_json.status_code == 200 and as_json.json()["openapi"].startswith("3.")
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.content.decode())
    assert assets, "the docs page loads no assets?"
    for asset in assets:
        assert asset.startswith("/"), f"external asset {asset}"


def test_spectacular_command_passes_with_fail_on_warn(tmp_path):
    """The same check as `manage.py spectacular --fail-on-warn --validate` (enum collisions too)."""
    from django.core.management import call_command

    call_command("spectacular", "--fail-on-warn", "--validate", "--file", str(tmp_path / "schema.yaml"))
    assert (tmp_path / "schema.yaml").read_text().startswith("openapi:")
