"""Many new rows at once: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere or for a few rows.

Django's ``bulk_create`` prepares and quotes every value in Python (about 30 calls a value), and
psycopg quotes each item of a list parameter in Python too (``INSERT … SELECT FROM unnest(…)``).
``COPY … FROM STDIN`` sends the rows through psycopg's row formatter, written in C, and is the
database's own fastest way in. It cannot skip a conflicting row nor return ids, so it is for
rows that cannot conflict: new primary keys, and no value of a unique constraint that another
row may hold. It costs a round trip more than one INSERT, so a few rows go by ``bulk_create``.
"""

import json
from contextlib import nullcontext

from django.db import connection, models
from django.db.models import NOT_PROVIDED

COPY_MIN_ROWS = 20  # below this, one INSERT's single round trip is worth more than COPY's speed


def insert_new(objs: list) -> None:
    """Store new instances of one model, as ``bulk_create(objs)`` does, except that the ids of a
    model with an auto-incremented key are not read back when the rows go by ``COPY``."""
    if not objs:
        return
    model = type(objs[0])
    if connection.vendor != "postgresql" or len(objs) < COPY_MIN_ROWS:
        model.objects.bulk_create(objs)
        return
    fields = [
        field
        for field in model._meta.concrete_fields
        if not isinstance(field, models.AutoField) and field.db_default is NOT_PROVIDED
    ]
    columns, values = [], []
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            column = [field.pre_save(obj, add=True) for obj in objs]  # sets the time, as a save does
        else:
            attname = field.attname
            column = [getattr(obj, attname) for obj in objs]
        if isinstance(field, models.JSONField):  # its text: COPY reads it into jsonb
            encoder = field.encoder
            column = [None if v is None and field.null else json.dumps(v, cls=encoder) for v in column]
        columns.append(connection.ops.quote_name(field.column))
        values.append(column)
    sql = f"COPY {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        # Past Django's execute(): logged as a statement where Django logs them (DEBUG, tests).
        logged = cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else nullcontext()
        with logged, cursor.cursor.copy(sql) as copy:
            for row in zip(*values, strict=True):
                copy.write_row(row)
    for obj in objs:  # saved instances, as bulk_create leaves them
        obj._state.adding, obj._state.db = False, connection.alias
