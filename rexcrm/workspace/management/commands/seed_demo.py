"""``manage.py seed_demo``: the demo organization of ``make run``, created once.

Demo data touches every app, so it lives in the top layer: the default pipeline, a few
hundred companies and contacts, a few dozen deals (some won and lost, with history), a few
hundred activities and a set of open, overdue and completed tasks. Running it again creates
nothing new: it prints the same login, and the same API key while ``var/demo-api-key`` holds
one that still works (else it revokes the old demo keys and issues a fresh one).
"""

import random

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from activities.models import Activity, Task
from contacts.models import Company, Contact
from deals.models import Deal
from deals.services import pipeline_default
from rexcrm.accounts.models import ApiKey, Organization, User
from rexcrm.accounts.selectors import apikey_for_raw_key
from rexcrm.accounts.services import apikey_create, apikey_revoke
from rexcrm.workspace.demo.activities import seed_activities, seed_tasks
from rexcrm.workspace.demo.contacts import seed_contacts
from rexcrm.workspace.demo.deals import seed_deals
from rexcrm.workspace.services import organization_provision

DEMO_ORG = "Demo Sales Co"
DEMO_EMAIL = "demo@rexcrm.example"
DEMO_PASSWORD = "rex-demo-password"
DEMO_KEY_NAME = "Demo key"
DEMO_SEED = 2026


def seed_data(*, org, owner) -> None:
    """The demo organization's data, once (an organization that has deals is left alone)."""
    pipeline_default(org=org)
    if Deal.objects.for_org(org).exists() or Activity.objects.for_org(org).exists():
        return
    rng = random.Random(DEMO_SEED)
    _, contacts = seed_contacts(org=org, owner=owner, rng=rng)
    deals = seed_deals(org=org, owner=owner, contacts=contacts, rng=rng)
    seed_activities(org=org, owner=owner, contacts=contacts, deals=deals, rng=rng)
    seed_tasks(org=org, owner=owner, contacts=contacts, deals=deals, rng=rng)


class Command(BaseCommand):
    help = "Create the demo organization, login and API key (idempotent) and print the credentials."

    def handle(self, *args, **options):
        key_file = settings.VAR_DIR / "demo-api-key"
        with transaction.atomic():
            user = User.objects.filter(email=DEMO_EMAIL).select_related("org").first()
            if user is None:
                org = organization_provision(
                    name=DEMO_ORG, owner_email=DEMO_EMAIL, owner_password=DEMO_PASSWORD
                )
                user = User.objects.get(email=DEMO_EMAIL)
                user.first_name, user.last_name, user.is_superuser = "Dana", "Demo", True
                user.save(update_fields=["first_name", "last_name", "is_superuser"])
            org: Organization = user.org
            seed_data(org=org, owner=user)
            raw = key_file.read_text().strip() if key_file.exists() else ""
            key = apikey_for_raw_key(raw) if raw else None
            if key is None or key.org_id != org.pk or key.revoked_at is not None:
                for old in ApiKey.objects.for_org(org).filter(name=DEMO_KEY_NAME, revoked_at__isnull=True):
                    apikey_revoke(org=org, actor=user, key=old)
                _, raw = apikey_create(org=org, actor=user, name=DEMO_KEY_NAME)
                key_file.parent.mkdir(parents=True, exist_ok=True)
                key_file.write_text(raw + "\n")
                key_file.chmod(0o600)
        self.stdout.write(
            f"Demo organization: {org.name} ({org.typeid})\n"
            f"Login:   {DEMO_EMAIL} / {DEMO_PASSWORD}  (http://127.0.0.1:8000/, and /admin/)\n"
            f"API key: {raw}\n"
            f"Data:    {counts(org)}\n"
            f"Try:     curl -H 'X-Api-Key: {raw}' 'http://127.0.0.1:8000/api/activities?limit=5&include=contact'\n"
        )


def counts(org) -> str:
    models = [
        ("companies", Company),
        ("contacts", Contact),
        ("deals", Deal),
        ("activities", Activity),
        ("tasks", Task),
    ]
    return ", ".join(f"{model.objects.for_org(org).count()} {name}" for name, model in models)
