"""Chainable building blocks of contact and company reads (always after ``for_org``)."""

import operator
from functools import reduce

from django.core.exceptions import ValidationError
from django.db.models import Q, Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact

from contacts.domains import normalize_domain
from rexcrm.core.models import OrgQuerySet


class ContactQuerySet(OrgQuerySet):
    def with_email(self, *emails: str):
        """Contacts whose email is one of ``emails``, compared case-insensitively.

        ``LOWER(email) = LOWER(…)`` is the expression of the unique index, which serves it.
        """
        emails = [email.strip() for email in emails if email and email.strip()]
        if not emails:
            return self.none()
        return self.filter(reduce(operator.or_, (Q(Exact(Lower("email"), Lower(Value(e)))) for e in emails)))


class CompanyQuerySet(OrgQuerySet):
    def with_domain(self, *domains: str):
        """Companies with one of ``domains``, each normalised first (``www.Acme.com/x`` finds acme.com)."""
        normalised = set()
        for domain in domains:
            try:
                normalised.add(normalize_domain(domain))
            except ValidationError:
                continue
        normalised.discard("")
        return self.filter(domain__in=normalised) if normalised else self.none()
