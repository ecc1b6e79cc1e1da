"""Named reads of contacts and companies that carry a rule (lists read ``Model.objects.for_org``)."""

from contacts.domains import email_domain
from contacts.freemail import is_freemail
from contacts.models import Company


def company_by_domain(*, org, domain: str) -> Company | None:
    """The company with this domain after normalisation (``https://www.Acme.com`` finds acme.com)."""
    return Company.objects.for_org(org).with_domain(domain).first()


def company_by_email_domain(*, org, email: str) -> Company | None:
    """The company whose domain is this email's, unless it is a free-mail domain (gmail.com)."""
    domain = email_domain(email)
    if not domain or is_freemail(domain):
        return None
    return company_by_domain(org=org, domain=domain)
