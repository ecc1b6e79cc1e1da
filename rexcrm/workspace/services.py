"""Writes that span every app: provisioning a new organization."""

from django.db import transaction

from deals.services import pipeline_default
from rexcrm.accounts.models import Organization
from rexcrm.accounts.services import member_create, organization_create


@transaction.atomic
def organization_provision(
    *, name: str, owner_email: str | None = None, owner_password: str | None = None, actor=None
) -> Organization:
    """A new organization, ready to use: the organization, its owner's login when an email is
    given (a staff member, so they can sign in to the admin), and the default "Sales Pipeline".

    The one way to create an organization: ``manage.py createorg``, the admin's organization
    form and the demo data of ``make run`` all come here.
    """
    org = organization_create(name=name, actor=actor)
    if owner_email:
        member_create(org=org, actor=actor, email=owner_email, password=owner_password, is_staff=True)
    pipeline_default(org=org)
    return org
