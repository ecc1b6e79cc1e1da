"""Every organization has a default pipeline: give one to organizations created before.

(New organizations get it from ``deals.services.organization_provision``; ``deal_create``
also creates it on demand.) The stages are written out here, not imported, so this
migration keeps meaning what it meant when it was written.
"""

from django.db import migrations
from django.utils import timezone

STAGES = [
    ("Discovery", "open", "#64748b"),
    ("Qualification", "open", "#3b82f6"),
    ("Proposal", "open", "#8b5cf6"),
    ("Negotiation", "open", "#f59e0b"),
    ("Closed Won", "won", "#16a34a"),
    ("Closed Lost", "lost", "#dc2626"),
]


def provision(apps, schema_editor):
    apps.get_model("deals", "Stage").objects.filter(color="").update(color=None)  # no colour is now null
    Organization = apps.get_model("accounts", "Organization")
    Pipeline = apps.get_model("deals", "Pipeline")
    Stage = apps.get_model("deals", "Stage")
    with_default = Pipeline.objects.filter(is_default=True).values("org_id")
    for org in Organization.objects.exclude(pk__in=with_default).iterator():
        now = timezone.now()
        pipeline = Pipeline.objects.create(org=org, name="Sales Pipeline", is_default=True, created_at=now)
        Stage.objects.bulk_create(
            Stage(org=org, pipeline=pipeline, name=name, type=type_, color=color, position=position, created_at=now)
            for position, (name, type_, color) in enumerate(STAGES)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("deals", "0002_products_history_indexes"),
    ]

    operations = [migrations.RunPython(provision, migrations.RunPython.noop, elidable=True)]
