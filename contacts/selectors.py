"""Named reads of contacts and companies, all scoped to one organization."""

from contacts.domains import email_domain
from contacts.freemail import is_freemail
from contacts.models import Company, Contact


def contact_list(*, org):
    return Contact.objects.for_org(org)


def contact_get(*, org, pk) -> Contact | None:
    return contact_list(org=org).filter(pk=pk).first()


def contact_by_email(*, org, email: str) -> Contact | None:
    """The contact with this email, compared case-insensitively (as the unique rule does)."""
    return contact_list(org=org).with_email(email).first()


def company_list(*, org):
    return Company.objects.for_org(org)


def company_get(*, org, pk) -> Company | None:
    return company_list(org=org).filter(pk=pk).first()


def company_by_domain(*, org, domain: str) -> Company | None:
    """The company with this domain after normalisation (``https://www.Acme.com`` finds acme.com)."""
    return company_list(org=org).with_domain(domain).first()


def company_by_email_domain(*, org, email: str) -> Company | None:
    """The company whose domain is this email's, unless it is a free-mail domain (gmail.com)."""
    domain = email_domain(email)
    if not domain or is_freemail(domain):
        return None
    return company_by_domain(org=org, domain=domain)


def company_contacts(*, company: Company):
    return contact_list(org=company.org_id).filter(company=company)
