"""POST /capture (API.md §6.10): lead capture for public web forms."""

import pytest

from activities.models import Activity
from contacts.models import Company, Contact
from tests.conftest import error_of
from tests.factories import CompanyFactory, ContactFactory


@pytest.fixture
def form(org, make_api):
    return make_api(org, scope="capture-only")


def test_capture_creates_a_lead_with_its_company_and_a_note(form, org):
    response = form.post(
        "/capture",
        {
            "email": "ada@acme.example",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "company": "Acme",
            "source": "organic",
            "source_detail": "pricing page",
            "metadata": {"utm_campaign": "spring"},
        },
    )
    assert response.status_code == 201, response.content
    data = response.json()["data"]
    assert data["email"] == "ada@acme.example" and data["stage"] == "lead" and data["name"] == "Ada Lovelace"
    assert data["source"] == "organic" and data["source_detail"] == "pricing page"
    company = Company.objects.get(org=org)
    assert company.domain == "acme.example" and data["company_id"] == company.typeid
    note = Activity.objects.get(org=org)
    assert note.type == "note" and note.subject == "Captured from form"
    assert note.metadata == {"utm_campaign": "spring"} and note.contact.typeid == data["id"]
    assert note.company == company and "pricing page" in note.body


def test_capture_updates_without_downgrading_or_blanking(form, org):
    company = CompanyFactory(org=org, domain="acme.example")
    contact = ContactFactory(
        org=org,
        email="Ada@Acme.example",
        first_name="Ada",
        last_name="",
        phone="",
        stage="customer",
        company=company,
        metadata={"a": 1},
    )
    response = form.post(
        "/capture",
        {
            "email": "ada@acme.example",
            "first_name": "",
            "last_name": "Lovelace",
            "phone": "+44 20 7946 0000",
            "metadata": {"b": 2},
        },
    )
    assert response.status_code == 200
    contact.refresh_from_db()
    assert contact.stage == "customer"  # not downgraded to lead
    assert contact.first_name == "Ada"  # not blanked
    assert (contact.last_name, contact.phone) == ("Lovelace", "+44 20 7946 0000")  # empty fields filled
    assert contact.metadata == {"a": 1, "b": 2}
    assert contact.email == "Ada@Acme.example"
    assert Contact.objects.filter(org=org).count() == 1
    assert Activity.objects.filter(org=org, contact=contact).count() == 1


@pytest.mark.parametrize("email", ["someone@gmail.com", "someone@outlook.com", "someone@yahoo.co.uk"])
def test_free_mail_domains_never_become_companies(form, org, email):
    assert form.post("/capture", {"email": email}).status_code == 201
    assert not Company.objects.filter(org=org).exists()
    form.post("/capture", {"email": email.replace("someone", "other"), "company": "Initech"})
    assert list(Company.objects.filter(org=org).values_list("name", "domain")) == [("Initech", "")]


def test_capture_stays_inside_the_keys_organization(form, org, other_org):
    theirs = ContactFactory(org=other_org, email="ada@acme.example", first_name="Theirs")
    assert form.post("/capture", {"email": "ada@acme.example", "first_name": "Ours"}).status_code == 201
    theirs.refresh_from_db()
    assert theirs.first_name == "Theirs"
    assert not Activity.objects.filter(org=other_org).exists()


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({}, "email", "validation_error"),
        ({"email": "not-an-email"}, "email", "validation_error"),
        ({"email": 5}, "email", "validation_error"),
        ({"email": "a@b.example", "source": "tv"}, "source", "validation_error"),
        ({"email": "a@b.example", "metadata": [1]}, "metadata", "validation_error"),
        ({"email": "a@b.example", "stage": "customer"}, "stage", "unknown_field"),
        ({"email": "a@b.example", "company": "x" * 256}, "company", "validation_error"),
        ({"email": "a@gmail.com", "company": "x" * 256}, "company", "validation_error"),
    ],
)
def test_capture_validation(form, org, body, field, code):
    CompanyFactory(org=org, domain="b.example")  # found by the domain: the name is refused all the same
    error = error_of(form.post("/capture", body))
    assert error["code"] == code and field in error["fields"]
    assert not Contact.objects.filter(org=org).exists()


@pytest.mark.parametrize(("scope", "status"), [("capture-only", 201), ("read-write", 201), ("read", 403)])
def test_capture_scopes(org, make_api, scope, status):
    assert (
        make_api(org, scope=scope).post("/capture", {"email": f"{scope}@acme.example"}).status_code == status
    )


def test_a_capture_only_key_can_do_nothing_else(form):
    for response in [
        form.get("/contacts"),
        form.get("/activities"),
        form.post("/contacts", {"email": "x@y.example"}),
        form.get("/capture"),
    ]:
        assert response.status_code in (403, 405)
    assert form.get("/contacts").status_code == 403
