"""``manage.py createorg``: an organization, ready to use (its default pipeline included)."""

from django.core.management.base import BaseCommand, CommandError

from rexcrm.core.admin import service_error_messages
from rexcrm.core.exceptions import REFUSED
from rexcrm.workspace.services import organization_provision


class Command(BaseCommand):
    help = "Create an organization (optionally with an owner login) and print its id alone on stdout."

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--owner-email", help="Email of the owner's login (a staff user of the org).")
        parser.add_argument("--owner-password", help="Password of the owner's login.")

    def handle(self, *args, name, owner_email, owner_password, **options):
        if owner_password and not owner_email:
            raise CommandError("--owner-password needs --owner-email.")
        try:
            org = organization_provision(name=name, owner_email=owner_email, owner_password=owner_password)
        except REFUSED as exc:  # a taken email, a weak password…
            raise CommandError(" ".join(service_error_messages(exc))) from None
        self.stdout.write(org.typeid)
