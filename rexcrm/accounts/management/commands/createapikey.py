from django.core.management.base import BaseCommand, CommandError

from rexcrm.accounts.choices import ApiKeyEnvironment, ApiKeyScope
from rexcrm.accounts.models import Organization
from rexcrm.accounts.services import apikey_create
from rexcrm.core import ids


class Command(BaseCommand):
    help = "Create an API key for an organization and print the raw key alone on stdout (shown once)."

    def add_arguments(self, parser):
        parser.add_argument("--org", required=True, help="Organization id (org_…).")
        parser.add_argument("--scope", default=ApiKeyScope.READ_WRITE, choices=ApiKeyScope.values)
        parser.add_argument("--name", default="")
        parser.add_argument("--test", action="store_true", help="Make a rex_test_ key instead of rex_live_.")

    def handle(self, *args, org, scope, name, test, **options):
        try:
            organization = Organization.objects.get(pk=ids.decode(Organization.type_prefix, org))
        except (ids.InvalidId, Organization.DoesNotExist):
            raise CommandError(f"No organization {org}.") from None
        environment = ApiKeyEnvironment.TEST if test else ApiKeyEnvironment.LIVE
        _, raw = apikey_create(org=organization, actor=None, name=name, scope=scope, environment=environment)
        self.stdout.write(raw)
