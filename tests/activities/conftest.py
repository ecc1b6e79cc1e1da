import pytest

from tests.factories import CompanyFactory, ContactFactory, DealFactory, UserFactory


@pytest.fixture
def world(org):
    """A small org: a company with a contact, a deal, and a team member."""
    company = CompanyFactory(org=org, name="Acme Corp")
    contact = ContactFactory(
        org=org, first_name="Ada", last_name="Lovelace", email="ada@example.com", company=company
    )
    deal = DealFactory(org=org, name="Acme Enterprise Plan")
    owner = UserFactory(org=org, first_name="Sam", last_name="Seller")
    return {"company": company, "contact": contact, "deal": deal, "owner": owner}


@pytest.fixture
def foreign(other_org):
    """The same kinds of objects in another organization."""
    return {
        "company": CompanyFactory(org=other_org),
        "contact": ContactFactory(org=other_org),
        "deal": DealFactory(org=other_org),
        "owner": UserFactory(org=other_org),
    }
