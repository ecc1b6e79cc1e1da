"""Generic checks over every resource the API routes, so a new resource cannot skip them."""

import pytest
from django.test import Client

from tests.conftest import error_of
from tests.helpers.routes import DETAILS, LISTS, SUBLISTS, fill


def test_routes_were_found():
    assert len(LISTS) >= 8 and len(DETAILS) >= 8 and len(SUBLISTS) >= 8


@pytest.mark.parametrize(("path", "cls"), LISTS, ids=[p for p, _ in LISTS])
def test_every_list_needs_a_key_and_refuses_capture_only_keys(org, make_api, path, cls):
    assert Client().get(path).status_code == 401
    required = getattr(cls, "required_scopes", None)
    reader = make_api(org, scope="read").get(path.removeprefix("/api"))
    assert reader.status_code == (403 if required and "read" not in required else 200)
    response = make_api(org, scope="capture-only").get(path.removeprefix("/api"))
    assert response.status_code == 403 and error_of(response)["code"] == "forbidden"
    envelope = make_api(org).get(path.removeprefix("/api"), limit=1).json()
    assert set(envelope) == {"data", "has_more", "next_cursor", "meta"}
    assert (
        error_of(make_api(org).get(path.removeprefix("/api"), cursor="tampered"))["code"] == "invalid_cursor"
    )


@pytest.mark.parametrize(("path", "cls"), DETAILS, ids=[p for p, _ in DETAILS])
def test_every_detail_is_404_for_missing_or_malformed_ids(api, path, cls):
    missing = fill(path, cls).removeprefix("/api")
    response = api.get(missing)
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
    assert api.get(missing.rsplit("/", 1)[0] + "/not-an-id").status_code == 404


@pytest.mark.parametrize(("path", "cls"), SUBLISTS, ids=[p for p, _ in SUBLISTS])
def test_every_sub_list_is_404_for_a_missing_parent(api, path, cls):
    response = api.get(fill(path, cls).removeprefix("/api"))
    assert response.status_code == 404 and error_of(response)["code"] == "not_found"
