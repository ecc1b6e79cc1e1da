"""contacts.demo.seed_contacts: realistic, valid, deterministic, once per organization."""

import random

from contacts.domains import normalize_domain
from contacts.freemail import is_freemail
from contacts.models import Company, Contact
from rexcrm.workspace.demo.contacts import COMPANY_COUNT, CONTACT_COUNT, seed_contacts
from tests.factories import UserFactory


def test_seed_contacts(org, other_org):
    owner = UserFactory(org=org)
    companies, contacts = seed_contacts(org=org, owner=owner, rng=random.Random(42))
    assert len(companies) == COMPANY_COUNT and len(contacts) == CONTACT_COUNT
    assert Company.objects.for_org(org).count() == COMPANY_COUNT
    assert Contact.objects.for_org(org).count() == CONTACT_COUNT
    for company in companies:
        company.full_clean(validate_unique=False, validate_constraints=False)
        assert normalize_domain(company.domain) == company.domain and not is_freemail(company.domain)
    for contact in contacts:
        contact.full_clean(validate_unique=False, validate_constraints=False)
        domain = contact.email.rsplit("@", 1)[1]
        assert (contact.company_id is None) == is_freemail(domain)
        if contact.company_id is not None:
            assert domain == contact.company.domain
    assert {c.owner_id for c in contacts} == {owner.pk, None}
    assert len({c.stage for c in contacts}) == 4

    # deterministic for the same seed, once per organization
    again, _ = seed_contacts(org=other_org, owner=None, rng=random.Random(42))
    assert [(c.name, c.domain) for c in again] == [(c.name, c.domain) for c in companies]
    twice = seed_contacts(org=org, owner=owner, rng=random.Random(7))
    assert len(twice[1]) == CONTACT_COUNT and Contact.objects.for_org(org).count() == CONTACT_COUNT
