"""Full-text search reads a stored vector (PostgreSQL only; SQLite searches with LIKE).

Adds ``search_document``, a ``tsvector`` column ``GENERATED ALWAYS AS (<search_vector()>)
STORED``, and moves the GIN index ``activity_search`` from the expression onto it. Before, a
search computed ``to_tsvector`` of every row it read (about 35 µs a row: a page of a common
word read ~75 rows, a rare word could read the organization's whole table), and the planner had
no statistics for the expression. The vectors are the same (same expression), so the matches
are too.

Cost: ``ADD COLUMN … STORED`` rewrites the table under an ACCESS EXCLUSIVE lock (every row's
vector computed, every index rebuilt), then the GIN index is built: 2 min 25 s for 1,012,311
activities on the 2-core benchmark machine under load (the table grows 453 → 728 MB; see
bench/README.md, "Fourth pass"). Reads and writes of activities wait for it: run it in a
maintenance window on a large table.
"""

from django.db import migrations
from django.db.models.sql import Query

TABLE = "activities_activity"
COLUMN = "search_document"
INDEX = "activity_search"


def vector_sql(apps, schema_editor) -> str:
    from activities.querysets import search_vector

    query = Query(apps.get_model("activities", "Activity"), alias_cols=False)
    compiler = query.get_compiler(connection=schema_editor.connection)
    sql, params = compiler.compile(search_vector().resolve_expression(query))
    return sql % tuple(schema_editor.quote_value(param) for param in params)


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')
    schema_editor.execute(
        f'ALTER TABLE "{TABLE}" ADD COLUMN "{COLUMN}" tsvector '
        f"GENERATED ALWAYS AS ({vector_sql(apps, schema_editor)}) STORED"
    )
    schema_editor.execute(f'CREATE INDEX "{INDEX}" ON "{TABLE}" USING gin ("{COLUMN}")')
    schema_editor.execute(f'ANALYZE "{TABLE}" ("{COLUMN}")')


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f'ALTER TABLE "{TABLE}" DROP COLUMN "{COLUMN}"')  # drops its index too
    schema_editor.execute(f'CREATE INDEX "{INDEX}" ON "{TABLE}" USING gin (({vector_sql(apps, schema_editor)}))')


class Migration(migrations.Migration):
    dependencies = [("activities", "0007_direction_label")]

    operations = [migrations.RunPython(create, drop)]
