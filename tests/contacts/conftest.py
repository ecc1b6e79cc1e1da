import pytest

from rexcrm.core import ids
from tests.factories import CompanyFactory, ContactFactory, UserFactory


def cid(contact) -> str:
    return ids.encode("cont", contact.pk)


def coid(company) -> str:
    return ids.encode("comp", company.pk)


def uid(user) -> str:
    return ids.encode("user", user.pk)


@pytest.fixture
def member(org):
    return UserFactory(org=org, first_name="Sam", last_name="Seller")


@pytest.fixture
def stranger(other_org):
    """A user of another organization."""
    return UserFactory(org=other_org)


@pytest.fixture
def company(org):
    return CompanyFactory(org=org, name="Acme", domain="acme.com")


@pytest.fixture
def contact(org):
    return ContactFactory(org=org, first_name="Ada", last_name="Lovelace", email="ada@acme.com")
