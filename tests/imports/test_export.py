"""Streamed CSV exports: the list's filters and order, API field names and values, BOM, formula
cells neutralised, tenancy, bad parameters, and a fixed number of queries per chunk."""

import csv
import io

import orjson
import pytest

from activities.api.serializers import ActivitySerializer, TaskSerializer
from contacts.api.serializers import CompanySerializer, ContactSerializer
from deals.api.serializers import DealSerializer
from rexcrm.core import export
from tests.factories import (
    ActivityFactory,
    CompanyFactory,
    ContactFactory,
    DealFactory,
    PipelineFactory,
    StageFactory,
    TaskFactory,
)
from tests.helpers.queries import queries


def csv_of(response) -> list[dict]:
    assert response.status_code == 200, response.content
    assert response.streaming
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:])))


@pytest.mark.django_db
def test_contacts_export_is_the_lists_rows_in_its_order_with_api_names_and_values(org, member, ui, api):
    company = CompanyFactory(org=org, name="Acme", domain="acme.com")
    for n in range(4):
        ContactFactory(
            org=org, email=f"lead{n}@acme.com", last_name=f"L{n}", stage="lead", company=company, owner=member
        )
    ContactFactory(org=org, email="cust@acme.com", stage="customer", metadata={"plan": "gold"})
    response = ui.get("/contacts/export.csv", {"stage": "lead", "sort": "-last_name"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="contacts-')
    rows = csv_of(response)
    assert list(rows[0]) == list(ContactSerializer.readable_field_names())
    listed = api.get_all("/contacts", stage="lead", sort="-last_name")
    assert [row["id"] for row in rows] == [item["id"] for item in listed]
    assert rows[0]["id"].startswith("cont_") and rows[0]["company_id"] == company.typeid
    assert rows[0]["created_at"] == listed[0]["created_at"]  # as the API writes it (…Z)
    assert rows[0]["icp_score"] == ("" if listed[0]["icp_score"] is None else str(listed[0]["icp_score"]))
    (customer,) = csv_of(ui.get("/contacts/export.csv", {"stage": "customer"}))
    assert orjson.loads(customer["metadata"]) == {"plan": "gold"}


@pytest.fixture
def api(make_api, org):
    return make_api(org)


@pytest.mark.django_db
def test_formula_cells_are_neutralised_and_import_back_as_written(org, ui):
    values = ["=1+1", "+44 20", "-5 off", "@SUM(A1)", "\tx", "\rx", "'=x", "'plain", "plain"]
    for n, value in enumerate(values):
        ContactFactory(org=org, email=f"p{n}@acme.com", last_name=f"n{n}", title=value)
    rows = csv_of(ui.get("/contacts/export.csv", {"sort": "last_name"}))
    written = [row["title"] for row in rows]
    assert written == ["'=1+1", "'+44 20", "'-5 off", "'@SUM(A1)", "'\tx", "'\rx", "''=x", "''plain", "plain"]
    assert [export.unneutralise(text) for text in written] == values


@pytest.mark.django_db
def test_every_list_exports(org, ui):
    pipeline = PipelineFactory(org=org)
    stage = StageFactory(org=org, pipeline=pipeline)
    DealFactory(org=org, pipeline=pipeline, stage=stage)
    ActivityFactory(org=org)
    TaskFactory(org=org)
    for path, serializer in [
        ("/contacts/export.csv", ContactSerializer),
        ("/companies/export.csv", CompanySerializer),
        ("/deals/export.csv", DealSerializer),
        ("/activities/export.csv", ActivitySerializer),
        ("/tasks/export.csv", TaskSerializer),
    ]:
        response = ui.get(path)
        text = b"".join(response.streaming_content).decode()
        header = next(csv.reader(io.StringIO(text[1:])))
        assert header == list(serializer.readable_field_names()), path


@pytest.mark.django_db
def test_another_organizations_rows_never_appear(org, other_org, ui):
    ContactFactory(org=org, email="mine@acme.com")
    ContactFactory(org=other_org, email="theirs@globex.com")
    assert [row["email"] for row in csv_of(ui.get("/contacts/export.csv"))] == ["mine@acme.com"]


@pytest.mark.django_db
def test_bad_parameters_are_400s_that_name_them(ui):
    response = ui.get("/contacts/export.csv", {"stag": "lead"})
    assert response.status_code == 400 and b"stag: Unknown parameter." in response.content
    response = ui.get("/contacts/export.csv", {"stage": "boss"})
    assert response.status_code == 400 and b"stage:" in response.content
    response = ui.get("/contacts/export.csv", {"sort": "password"})
    assert response.status_code == 400 and b"sort:" in response.content


@pytest.mark.django_db
def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/contacts/export.csv")
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_queries_grow_with_chunks_not_rows(org, ui, monkeypatch):
    """Keyset chunks: one query per ``CHUNK`` rows (and nothing before the first byte)."""
    monkeypatch.setattr(export, "CHUNK", 10)
    for n in range(25):
        ContactFactory(org=org, email=f"p{n:02}@acme.com", last_name=f"p{n:02}")
    response = ui.get("/contacts/export.csv", {"sort": "last_name"})
    content = iter(response.streaming_content)
    with queries() as sql:
        first = next(content)
    assert first.startswith("\ufeffid,".encode()) and sql == []  # the header goes out before any query
    with queries() as sql:
        rest = b"".join(content).decode()
    assert len(sql) == 3  # 10 + 10 + 5 rows
    assert "OFFSET" not in " ".join(sql).upper()
    assert len(list(csv.reader(io.StringIO(rest)))) == 25
    assert rest.index("p09@") < rest.index("p10@") < rest.index("p24@")  # no row lost or repeated at a seam


@pytest.mark.django_db
def test_list_pages_link_to_their_export_with_the_filters(org, ui):
    html = ui.get("/activities/?type=call&sort=-occurred_at").content.decode()
    assert 'href="/activities/export.csv?type=call&amp;sort=-occurred_at"' in html
