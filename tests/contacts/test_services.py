"""Services used beyond the API (lead capture, admin, demo data), domains and free-mail."""

import functools

import pytest
from django.core.exceptions import ValidationError

from contacts import selectors, services
from contacts.domains import email_domain, normalize_domain
from contacts.freemail import is_freemail
from contacts.models import Company, Contact
from rexcrm.core.exceptions import ConflictError
from tests.factories import CompanyFactory, ContactFactory, UserFactory
from tests.helpers.queries import queries

# -- domains and free-mail ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://www.Acme.com/about", "acme.com"),
        ("HTTP://ACME.COM:8080", "acme.com"),
        ("ftp://files.acme.com/", "files.acme.com"),
        ("acme.com?x=1", "acme.com"),
        ("acme.com#frag", "acme.com"),
        ("ada@acme.com", "acme.com"),
        ("www.www.acme.com", "www.acme.com"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normalize_domain(raw, expected):
    assert normalize_domain(raw) == expected


@pytest.mark.parametrize("raw", ["acme", "acme .com", "acme_corp.com", "-a.com", "a-.com", "1.2.3.4", "a..b"])
def test_normalize_domain_refuses_non_domains(raw):
    with pytest.raises(ValidationError):
        normalize_domain(raw)


def test_email_domain():
    assert email_domain("Ada@Mail.Acme.COM") == "mail.acme.com"
    assert email_domain("no-at-sign") == ""
    assert email_domain("ada@") == ""
    assert email_domain("ada@not a domain") == ""


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "yahoo.com",
        "yahoo.co.jp",
        "yahoo.com.br",
        "icloud.com",
        "aol.com",
        "proton.me",
        "protonmail.com",
        "gmx.de",
        "gmx.net",
        "gmx.at",
        "mail.ru",
        "yandex.ru",
        "yandex.com.tr",
        "qq.com",
        "163.com",
        "web.de",
        "mailinator.com",
    ],
)
def test_freemail_domains(domain):
    assert is_freemail(domain)


@pytest.mark.parametrize(
    "domain",
    ["acme.com", "gmail.acme.com", "outlook.acme.com", "gmxperts.com", "yahoo.acme.co.uk", "mail.acme.com"],
)
def test_company_domains_are_not_freemail(domain):
    assert not is_freemail(domain)


# -- services ----------------------------------------------------------------------------------


def test_services_check_references_belong_to_the_organization(org, other_org):
    foreign_company = CompanyFactory(org=other_org)
    foreign_user = UserFactory(org=other_org)
    with pytest.raises(ValidationError) as info:
        services.contact_create(
            actor=None, org=org, email="a@example.com", company=foreign_company, owner=foreign_user
        )
    assert info.value.error_dict["company_id"][0].code == "invalid_reference"  # the first one found
    with pytest.raises(ValidationError):
        services.company_create(actor=None, org=org, name="X", owner=foreign_user)
    assert not Contact.objects.exists()


def test_services_validate_model_rules(org):
    with pytest.raises(ValidationError) as info:
        services.contact_create(actor=None, org=org, email="nope", icp_score=300, stage="vip")
    assert set(info.value.message_dict) == {"email", "icp_score", "stage"}
    with pytest.raises(ValidationError) as info:
        services.company_create(actor=None, org=org, name="", domain="a b", address={"zip": "1"})
    assert set(info.value.message_dict) == {"domain"}  # the domain is normalised before anything else
    with pytest.raises(ValidationError) as info:
        services.company_create(actor=None, org=org, name="", address={"zip": "1"})
    assert set(info.value.message_dict) == {"address", "name"}  # every problem at once
    with pytest.raises(TypeError):
        services.contact_create(actor=None, org=org, email="a@example.com", nickname="x")


def test_conflicts_from_services(org):
    ada = services.contact_create(actor=None, org=org, email="ada@example.com")
    with pytest.raises(ConflictError) as info:
        services.contact_create(actor=None, org=org, email="ADA@example.com")
    assert (info.value.field, info.value.existing) == ("email", ada)
    acme = services.company_create(actor=None, org=org, name="Acme", domain="acme.com")
    with pytest.raises(ConflictError) as info:
        services.company_create(actor=None, org=org, name="Acme 2", domain="www.acme.com")
    assert (info.value.field, info.value.existing) == ("domain", acme)


def test_upsert_for_lead_capture_protects_what_is_known(org):
    company = CompanyFactory(org=org)
    existing = ContactFactory(
        org=org,
        email="ada@acme.com",
        first_name="Ada",
        phone="123",
        stage="customer",
        company=company,
        metadata={"plan": "pro", "utm": "old"},
    )
    contact, created = services.contact_upsert(
        actor=None,
        org=org,
        email="ADA@acme.com",
        protect_existing=True,
        first_name="",
        last_name="Lovelace",
        phone=None,
        stage="lead",
        company=None,
        source="paid",
        metadata={"utm": "new"},
    )
    assert not created and contact.pk == existing.pk
    contact.refresh_from_db()
    assert contact.first_name == "Ada" and contact.phone == "123"  # empty never overwrites
    assert contact.last_name == "Lovelace" and contact.source == "paid"  # new values do
    assert contact.stage == "customer"  # never downgraded
    assert contact.company_id == company.pk
    assert contact.metadata == {"plan": "pro", "utm": "new"}  # merged, new keys win
    assert contact.email == "ada@acme.com"


@pytest.mark.parametrize(
    ("current", "sent", "result"),
    [
        ("lead", "prospect", "prospect"),
        ("prospect", "customer", "customer"),
        ("prospect", "lead", "prospect"),
        ("churned", "lead", "churned"),
        ("churned", "customer", "customer"),
        ("customer", "churned", "customer"),
    ],
)
def test_protected_upsert_only_moves_the_stage_up(org, current, sent, result):
    ContactFactory(org=org, email="a@example.com", stage=current)
    contact, _ = services.contact_upsert(
        actor=None, org=org, email="a@example.com", protect_existing=True, stage=sent
    )
    assert contact.stage == result
    plain, _ = services.contact_upsert(actor=None, org=org, email="a@example.com", stage="lead")
    assert plain.stage == "lead"  # without protection the upsert sets what it is given


def test_protected_upsert_creates_a_lead(org):
    contact, created = services.contact_upsert(
        actor=None, org=org, email="new@example.com", protect_existing=True, first_name="New", phone=None
    )
    assert created and contact.stage == "lead" and contact.phone == ""


def test_company_for_email(org, other_org):
    acme = CompanyFactory(org=org, domain="acme.com", name="Acme")
    CompanyFactory(org=other_org, domain="globex.com")
    find = functools.partial(services.company_for_email, org=org, actor=None)
    assert find(email="ada@ACME.com", name="Whatever") == acme
    created = find(email="bob@globex.com")
    assert created.org_id == org.pk and created.domain == "globex.com" and created.name == "Globex"
    named = find(email="cy@initech.io", name="Initech Inc")
    assert (named.domain, named.name) == ("initech.io", "Initech Inc")
    assert selectors.company_by_email_domain(org=org, email="dee@hooli.com") is None
    # free-mail never becomes a company
    assert find(email="ada@gmail.com") is None
    assert find(email="ada@gmx.de") is None
    assert find(email="ada@gmail.com", name="acme") == acme  # linked by name, case-insensitively
    fresh = find(email="ada@yahoo.co.uk", name="Tiny Shop")
    assert fresh.name == "Tiny Shop" and fresh.domain == ""
    assert not Company.objects.filter(domain__in=["gmail.com", "gmx.de", "yahoo.co.uk"]).exists()
    assert find(email="not-an-email") is None


def test_merge_moves_every_kind_of_link_to_contacts():
    """contact_merge moves one-to-many links generically; a new kind of link must extend it."""
    relations = Contact._meta.related_objects
    assert {(r.related_model._meta.label, r.field.name) for r in relations} >= {
        ("activities.Activity", "contact"),
        ("activities.Task", "contact"),
        ("deals.Deal", "contact"),
    }
    assert all(r.one_to_many for r in relations), "contact_merge handles one-to-many links only"


def test_merge_service_refuses_bad_input(org, other_org):
    a, b = ContactFactory(org=org), ContactFactory(org=org)
    foreign = ContactFactory(org=other_org)
    for duplicates in [[], [a], [b, b], [foreign]]:
        with pytest.raises(ValidationError):
            services.contact_merge(org=a.org, actor=None, primary=a, duplicates=duplicates)
    assert Contact.objects.count() == 3


def test_update_writes_only_changed_fields(org):
    contact = ContactFactory(org=org, first_name="Ada")
    company = CompanyFactory(org=org)
    with queries() as sql:
        services.contact_update(org=org, actor=None, contact=contact, first_name="Ada", company=None)
        services.company_update(org=org, actor=None, company=company, name=company.name, address={})
    writes = [s for s in sql if not s.upper().startswith(("SAVEPOINT", "RELEASE"))]
    assert all(s.startswith("SELECT") for s in writes), writes  # the locking read, nothing written
    with queries() as sql:
        services.contact_update(org=org, actor=None, contact=contact, first_name="Augusta", title="Countess")
    (update,) = [s for s in sql if s.startswith("UPDATE")]
    assert '"first_name"' in update and '"title"' in update and '"last_name"' not in update
