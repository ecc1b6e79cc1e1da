"""The contacts and companies list pages: the API's list query, rendered."""

import re
from urllib.parse import unquote

import pytest
from django.core import signing

from contacts.models import Company, Contact
from rexcrm.core.api.pagination import _SALT
from tests.conftest import page_queries, row_ids
from tests.factories import CompanyFactory, ContactFactory

QUERIES = [
    "",
    "stage=lead",
    "search=ada",
    "q=ada",
    "sort=-created_at",
    "sort=last_name&limit=7",
    "sort=-icp_score",
    "stage=lead,prospect&search=ada&sort=-created_at",
    "icp_score_min=40&sort=icp_score",
]


@pytest.fixture
def contacts(org):
    company = CompanyFactory(org=org, name="Ada Industries", domain="ada.example")
    people = []
    for i in range(40):
        first = ["Ada", "Adam", "Grace", "Nadia", "Alan"][i % 5]
        people.append(
            ContactFactory(
                org=org,
                first_name=first,
                last_name=f"Surname{i % 7}",
                stage=["lead", "prospect", "customer"][i % 3],
                icp_score=None if i % 4 == 0 else (i * 7) % 101,
                company=company if i % 2 else None,
            )
        )
    return people


@pytest.mark.parametrize("query", QUERIES)
def test_contact_list_is_the_api_list(ui, api, contacts, query):
    params = dict(pair.split("=") for pair in query.split("&")) if query else {}
    expected = api.get("/contacts", **params).json()
    response = ui.get(f"/contacts/?{query}")
    assert row_ids(response) == [row["id"] for row in expected["data"]]
    if expected["next_cursor"]:  # the same position: the API's and the UI's pages are one list
        page = unquote(response.content.decode().replace("&amp;", "&"))
        ui_cursor = re.search(r"[?&]cursor=([^&\"]+)", page).group(1)
        # a cursor is signed with its time of issue: compare what it points at
        assert signing.loads(ui_cursor, salt=_SALT) == signing.loads(expected["next_cursor"], salt=_SALT)


def test_contact_pages_walk_forward_and_back(ui, api, contacts):
    everything = [row["id"] for row in api.get_all("/contacts", sort="last_name")]
    seen, pages, path = [], [], "/contacts/?sort=last_name&limit=9"
    while path:
        response = ui.get(path)
        pages.append(row_ids(response))
        seen += pages[-1]
        html = response.content.decode().replace("&amp;", "&")
        link = re.search(r'rel="next" href="([^"]+)"', html)
        path = f"/contacts/{link.group(1)}" if link else None
        if len(pages) == 3:
            previous = re.search(r'rel="prev" href="([^"]+)"', html).group(1)
            assert row_ids(ui.get(f"/contacts/{previous}")) == pages[1]
    assert seen == everything


def test_company_list_is_the_api_list(ui, api, org):
    for i in range(25):
        CompanyFactory(
            org=org,
            name=f"{['Acme', 'Globex', 'Initech'][i % 3]} {i}",
            industry=["Software", "Retail"][i % 2],
        )
    for query in ("", "sort=name", "search=acme", "industry=Retail&sort=-created_at", "limit=4&sort=-name"):
        params = dict(pair.split("=") for pair in query.split("&")) if query else {}
        assert row_ids(ui.get(f"/companies/?{query}")) == [
            r["id"] for r in api.get("/companies", **params).json()["data"]
        ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("stage=bogus", "Select a valid choice"),
        ("icp_score_min=high", "Enter a whole number"),
        ("owner_id=cont_123", "user_"),
        ("sort=email", "Must be one of"),
        ("limit=0", "from 1 to 200"),
        ("cursor=tampered", "cursor"),
        ("updated_after=yesterday", "updated_after"),
    ],
)
def test_bad_parameters_are_shown_inline_not_a_500(ui, contacts, query, message):
    response = ui.get(f"/contacts/?{query}")
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert row_ids(response) == []


def test_filter_form_is_the_filterset_with_labels(ui, contacts, member):
    html = ui.get("/contacts/?stage=prospect&search=ada").content.decode()
    for label in ("Search", "Stage", "Source", "Owner", "ICP score from"):
        assert re.search(rf'<label class="form-label" for="id_[a-z_]+">{label}</label>', html), label
    assert '<option value="prospect" selected>' in html
    assert 'value="ada"' in html
    assert f'<option value="{member.typeid}">{member.name}</option>' in html
    assert 'href="/contacts/export.csv?stage=prospect&amp;search=ada"' in html


def test_sortable_headers_link_to_their_sort(ui, contacts):
    html = ui.get("/contacts/?sort=last_name&stage=lead").content.decode()
    assert 'aria-sort="ascending"' in html
    assert 'href="?sort=-last_name&amp;stage=lead"' in html
    assert 'href="?sort=icp_score&amp;stage=lead"' in html


def test_empty_states_tell_a_new_user_what_to_do(ui):
    assert "No contacts yet" in ui.get("/contacts/").content.decode()
    assert "No companies yet" in ui.get("/companies/").content.decode()
    assert "No matches" in ui.get("/contacts/?stage=churned").content.decode()


def test_other_organizations_rows_never_show(ui, other_org, contacts):
    stranger = ContactFactory(org=other_org, first_name="Ada")
    assert stranger.typeid not in row_ids(ui.get("/contacts/?search=ada&limit=200"))
    assert CompanyFactory(org=other_org).typeid not in row_ids(ui.get("/companies/"))


def test_user_content_is_escaped(ui, org):
    ContactFactory(org=org, first_name="<script>alert(1)</script>", title="<b>boss</b>")
    html = ui.get("/contacts/").content.decode()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>boss</b>" not in html


@pytest.mark.parametrize(
    "path", ["/contacts/?limit=200", "/companies/?limit=200", "/contacts/?limit=200&search=a"]
)
def test_list_queries_are_constant(ui, org, member, path):
    company = CompanyFactory(org=org, owner=member)
    ContactFactory(org=org, company=company, owner=member, first_name="Ana")
    one = page_queries(ui, path)
    companies = Company.objects.bulk_create(
        [Company(org=org, name=f"Co {i}", domain=f"co{i}.example", owner=member) for i in range(199)]
    )
    Contact.objects.bulk_create(
        [
            Contact(org=org, email=f"p{i}@x.example", first_name="Ana", company=companies[i], owner=member)
            for i in range(199)
        ]
    )
    assert len(row_ids(ui.get(path))) == 200
    assert page_queries(ui, path) == one
