"""Trigram indexes for ``search=`` on PostgreSQL (nothing on other databases).

``GIN (org_id, (<search document>) gin_trgm_ops)``: btree_gin lets the index lead with org like
every other index; pg_trgm serves ``LIKE '%term%'`` on the lower-cased, space-joined search
fields. The expression is compiled by Django from the same definition as
``rexcrm.core.filters.search_document(fields)`` with the fields of the FilterSets' ``search``,
so that the planner matches it (a PostgreSQL test checks that searches use these indexes).
"""

from django.db import migrations
from django.db.models import F, TextField, Value
from django.db.models.functions import Concat, Lower
from django.db.models.sql import Query

INDEXES = [
    ("contact", "contact_search_trgm", ("first_name", "last_name", "email", "phone")),
    ("company", "company_search_trgm", ("name", "domain")),
]


def document(fields):
    joined = [F(fields[0])]
    for name in fields[1:]:
        joined += [Value(" "), F(name)]
    return Lower(Concat(*joined, output_field=TextField()))


def create_indexes(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gin")
    for model_name, index_name, fields in INDEXES:
        model = apps.get_model("contacts", model_name)
        query = Query(model, alias_cols=False)
        sql, params = query.get_compiler(connection=connection).compile(
            document(fields).resolve_expression(query)
        )
        expression = sql % tuple(schema_editor.quote_value(param) for param in params)
        schema_editor.execute(
            f"CREATE INDEX {schema_editor.quote_name(index_name)} ON "
            f"{schema_editor.quote_name(model._meta.db_table)} USING gin "
            f'("org_id", ({expression}) gin_trgm_ops)'
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _, index_name, _ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {schema_editor.quote_name(index_name)}")


class Migration(migrations.Migration):
    dependencies = [("contacts", "0002_indexes_and_validation")]

    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
