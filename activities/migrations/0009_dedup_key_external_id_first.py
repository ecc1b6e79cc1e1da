"""The dedup key's unique index leads with external_id (then source, then org): the dedup reads and
the lists' ``external_id`` filter find a key without walking the organization's synced
activities, whatever the statistics say of the organization. Built before the old one is dropped,
so the key stays unique throughout."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_time_zone"),
        ("activities", "0008_activity_search_document"),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="activity",
            constraint=models.UniqueConstraint(
                condition=models.Q(("external_id__isnull", False)),
                fields=("external_id", "source", "org"),
                name="activity_external_id_uniq",
            ),
        ),
        migrations.RemoveConstraint(model_name="activity", name="activity_org_source_external_id_uniq"),
    ]
