"""Constant queries per request, for every routed list and detail: a list of 200 rows costs
the SQL queries of a list of 1, and GET one of an object with 200 rows of each kind linked to
it costs what it does with 1 (each plain, with ``include=`` of every relation, and with a
``fields=`` subset). Generated from the URL configuration: a new resource is covered as soon as
its model has a factory in tests/factories.py.
"""

from functools import partial

import pytest

from tests.factories import OrganizationFactory
from tests.helpers.queries import assert_same_queries
from tests.helpers.routes import DETAILS, LISTS, SUBLISTS, fill
from tests.helpers.rows import OrgRows, children, parent_key

N = 200  # the largest page


def variants(viewset) -> list[dict]:
    """The query parameters each endpoint is measured with."""
    readable = viewset.serializer_class.readable_field_names()
    found = [{}]
    if "fields" in viewset.list_params:
        found.append({"fields": ",".join(readable[1::2])})
    if viewset.relations:
        found.append({"include": ",".join(viewset.relations)})
    return found


def new_org(make_api):
    org = OrganizationFactory()
    return org, make_api(org)


def list_of(make_api, path, viewset, n):
    """A new organization with ``n`` rows on the list: returns ``get(params) -> rows``."""
    org, api = new_org(make_api)
    rows = OrgRows(org, spread=min(n, 5))
    model = viewset.serializer_class.Meta.model
    fixed, ids = {}, {}
    if getattr(viewset, "parent_model", None):  # a sub-list: every row under one parent
        parent = rows.linked(viewset.parent_model)[0]
        fixed, ids = {parent_key(model, viewset): parent}, {viewset.parent_kwarg: parent.typeid}
    rows.create(model, n, **fixed)
    url = fill(path, viewset, **ids).removeprefix("/api")
    api.get_ok(url)  # a key's first request also records its last_used_at
    return lambda params: api.get_ok(url, limit=N, **params).json()["data"]


def detail_of(make_api, path, viewset, n):
    """A new organization with an object that ``n`` rows of every kind point at: returns
    ``get(params)``."""
    org, api = new_org(make_api)
    rows = OrgRows(org, spread=min(n, 5))
    obj = rows.linked(viewset.serializer_class.Meta.model)[0]
    for child, key in children(type(obj)):
        rows.create(child, n, **{key: obj})
    url = fill(path, viewset, id=obj.typeid).removeprefix("/api")
    api.get_ok(url)
    return lambda params: api.get_ok(url, **params).json()["data"]


def label(path: str) -> str:
    return path.replace("(?P<", "{").replace(">[^/]+)", "}")


@pytest.mark.parametrize(("path", "viewset"), LISTS + SUBLISTS, ids=[label(p) for p, _ in LISTS + SUBLISTS])
def test_every_list_costs_the_same_queries_for_1_and_200_rows(make_api, path, viewset):
    one, many = (list_of(make_api, path, viewset, n) for n in (1, N))
    for params in variants(viewset):
        one_rows, many_rows = assert_same_queries(partial(one, params), partial(many, params), f"{params}")
        assert len(one_rows) in (1, 2) and len(many_rows) == N  # 2: /apikeys lists the caller's key too


@pytest.mark.parametrize(("path", "viewset"), DETAILS, ids=[label(p) for p, _ in DETAILS])
def test_every_detail_costs_the_same_queries_with_1_and_200_linked_rows(make_api, path, viewset):
    one, many = (detail_of(make_api, path, viewset, n) for n in (1, N))
    for params in variants(viewset):
        assert_same_queries(partial(one, params), partial(many, params), f"{params}")
