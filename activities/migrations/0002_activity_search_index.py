"""Full-text search index on activities (PostgreSQL only; SQLite searches with LIKE).

Built from ``activities.querysets.search_vector()`` so the index expression and the query's
expression cannot drift apart.
"""

from django.contrib.postgres.indexes import GinIndex
from django.db import migrations

INDEX_NAME = "activity_search"


def index():
    from activities.querysets import search_vector

    return GinIndex(search_vector(), name=INDEX_NAME)


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.add_index(apps.get_model("activities", "Activity"), index())


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(apps.get_model("activities", "Activity"), index())


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
