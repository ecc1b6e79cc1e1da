"""New rows: ``COPY`` on PostgreSQL, one INSERT written here elsewhere or for a few rows.

Django's ``bulk_create`` prepares and quotes every value in Python (about 30 calls a value), and
psycopg quotes each item of a list parameter in Python too (``INSERT … SELECT FROM unnest(…)``).
``COPY … FROM STDIN`` sends the rows through psycopg's row formatter, written in C, and is the
database's own fastest way in. It cannot skip a conflicting row nor return ids, so it is for
rows that cannot conflict: new primary keys, and no value of a unique constraint that another
row may hold. It costs a round trip more than one INSERT, so a few rows go by one INSERT
written here.
"""

import json
from contextlib import contextmanager, nullcontext
from functools import cache

from django.db import connection, models
from django.db.models import NOT_PROVIDED, signals
from django.db.models.base import ModelState
from psycopg.copy import LibpqWriter

from rexcrm.core.rows import returning

COPY_MIN_ROWS = 20  # below this, one INSERT's single round trip is worth more than COPY's speed


def new_instances(model, n: int, **fixed) -> list:
    """``[model(**fixed) for _ in range(n)]``, about ten times faster: one instance is built, the
    others copy its attributes, with every callable default (a new id, the time, a new ``{}``)
    called again for each. Where a model has ``pre_init`` or ``post_init`` receivers, which
    copies would not run, each is built as usual."""
    if n <= 0:
        return []
    if signals.pre_init.has_listeners(model) or signals.post_init.has_listeners(model):
        return [model(**fixed) for _ in range(n)]
    first = model(**fixed)
    fresh = [
        (field.attname, field.default)
        for field in model._meta.concrete_fields
        if field.name not in fixed and field.has_default() and callable(field.default)
    ]
    attributes, cached = first.__dict__, first._state.fields_cache
    made = [first]
    for _ in range(n - 1):
        obj = model.__new__(model)
        obj.__dict__.update(attributes)
        obj._state = state = ModelState()
        state.db, state.fields_cache = first._state.db, dict(cached)  # as ``fixed`` set them
        for attname, default in fresh:
            obj.__dict__[attname] = default()
        made.append(obj)
    return made


def insert_rows(model, attnames: tuple[str, ...], rows: list[tuple]) -> None:
    """Store new rows of ``model``, each a tuple of the values of ``attnames`` (Python values, as
    the model's fields hold them); the other columns take their database defaults (or NULL, or
    the next auto-increment). No model instance is made: ``COPY``, or a few rows by one INSERT
    written here (``bulk_create`` and ``save`` built and compiled the statement for every single
    write: about a sixth of a single create's CPU)."""
    with sending_rows(model, attnames, rows):
        pass


@contextmanager
def sending_rows(model, attnames: tuple[str, ...], rows: list[tuple]):
    """``insert_rows``, stored by the end of the block: by ``COPY`` the rows are sent first and
    the statement ends with the block, so the database stores them while the block runs Python
    (it runs no statement: the connection is busy); by an INSERT they are stored before it."""
    if not rows:
        yield
        return
    fields = [model._meta.get_field(attname) for attname in attnames]
    if connection.vendor == "postgresql" and len(rows) >= COPY_MIN_ROWS:
        with _copy(model, fields, rows):
            yield
        return
    head, one = _insert_sql(model, fields)
    size = max(connection.ops.bulk_batch_size(fields, rows), 1)
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            chunk = rows[start : start + size]
            params = [
                field.get_db_prep_save(value, connection)
                for row in chunk
                for field, value in zip(fields, row, strict=True)
            ]
            cursor.execute(head + ", ".join([one] * len(chunk)), params)
    yield


def insert_one(obj, *, columns, skip_conflict: bool = False) -> tuple | None:
    """Store the new instance ``obj`` as ``insert_new`` does, by one INSERT that returns the new
    row's ``columns`` as ``values_rows`` would read them (``rows.returning``), or None where
    ``skip_conflict`` skipped it (``ON CONFLICT DO NOTHING``: a unique value that a concurrent
    write stored meanwhile; PostgreSQL waits for that write to commit)."""
    model = type(obj)
    fields, values = _column_values(model, [obj])
    head, one = _insert_sql(model, fields)
    clause, converted = returning(model, columns)
    sql = head + one + (" ON CONFLICT DO NOTHING" if skip_conflict else "") + clause
    params = [
        field.get_db_prep_save(value, connection) for field, (value,) in zip(fields, values, strict=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return None
    _saved([obj])
    return converted([row])[0]


def _insert_sql(model, fields) -> tuple[str, str]:
    """``INSERT INTO <table> (<columns>) VALUES `` and one row's ``(%s, …)``."""
    quote = connection.ops.quote_name
    head = f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) VALUES "
    return head, f"({', '.join(['%s'] * len(fields))})"


def insert_new(objs: list) -> None:
    """Store new instances of one model, as ``bulk_create(objs)`` does (the ``auto_now`` times
    set), except that nothing is read back (an auto-incremented key, a database default)."""
    with sending(objs):
        pass


@contextmanager
def sending(objs: list):
    """``insert_new(objs)``, stored by the end of the block: the database stores them while the
    block runs Python (``sending_rows``). The instances are saved ones in the block."""
    if not objs:
        yield
        return
    model = type(objs[0])
    fields, columns = _column_values(model, objs)
    with sending_rows(model, tuple(field.attname for field in fields), list(zip(*columns, strict=True))):
        _saved(objs)
        yield


def insert_skipping_conflicts(objs: list) -> set:
    """PostgreSQL: store new instances of one model but those that conflict with a stored row
    (a unique value a concurrent write stored meanwhile), with one ``INSERT … SELECT FROM
    unnest(<one array per column>) ON CONFLICT DO NOTHING RETURNING <pk>``, not Django's
    multi-row INSERT, which prepares and quotes values one by one. Returns the keys stored."""
    if not objs:
        return set()
    model, quote = type(objs[0]), connection.ops.quote_name
    fields, values = _column_values(model, objs)
    values = [_json_texts(field, column) for field, column in zip(fields, values, strict=True)]
    columns, arrays, selected = [], [], []
    for field in fields:
        column, db_type = quote(field.column), field.db_type(connection)
        if isinstance(field, models.JSONField):  # its text, cast row by row
            selected.append(f"u.{column}::{db_type}")
            db_type = "text"
        else:
            selected.append(f"u.{column}")
        columns.append(column)
        arrays.append(f"%s::{db_type}[]")
    names = ", ".join(columns)
    sql = (
        f"INSERT INTO {quote(model._meta.db_table)} ({names}) SELECT {', '.join(selected)} "
        f"FROM unnest({', '.join(arrays)}) AS u({names}) "
        f"ON CONFLICT DO NOTHING RETURNING {quote(model._meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        stored = {row[0] for row in cursor.fetchall()}
    _saved(objs)
    return stored


def _column_values(model, objs: list) -> tuple[list, list[list]]:
    """The columns ``bulk_create`` would write (not an auto-incremented key nor one with a
    database default) and each one's values, ``auto_now`` times set as a save sets them."""
    fields = _insert_fields(model)
    values = []
    for field in fields:
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            values.append([field.pre_save(obj, add=True) for obj in objs])  # sets the time, as a save does
        else:
            attname = field.attname
            values.append([getattr(obj, attname) for obj in objs])
    return fields, values


@cache
def _insert_fields(model) -> list:
    return [
        field
        for field in model._meta.concrete_fields
        if not isinstance(field, models.AutoField) and field.db_default is NOT_PROVIDED
    ]


def _json_texts(field, values: list) -> list:
    """A JSON field's values as the text ``COPY`` and arrays carry; other fields' as they are."""
    if not isinstance(field, models.JSONField):
        return values
    encoder = field.encoder
    return [None if v is None and field.null else json.dumps(v, cls=encoder) for v in values]


def _saved(objs: list) -> None:
    for obj in objs:  # saved instances, as bulk_create leaves them
        obj._state.adding, obj._state.db = False, connection.alias


@contextmanager
def _copy(model, fields: list, rows: list[tuple]):
    """``COPY`` the rows; the statement ends (and its errors are raised) when the block does.
    Every row is on its way before the block: psycopg keeps up to 32 KiB of them for one
    message and libpq up to 1 MiB unsent until the end, so the last ones are pushed out
    (``formatter.end()`` hands over a text COPY's pending rows; it adds no trailer)."""
    quote = connection.ops.quote_name
    for i, field in enumerate(fields):
        if isinstance(field, models.JSONField):  # COPY takes JSON as its text
            texts = _json_texts(field, [row[i] for row in rows])
            rows = [(*row[:i], text, *row[i + 1 :]) for row, text in zip(rows, texts, strict=True)]
    names = ", ".join(quote(field.column) for field in fields)
    sql = f"COPY {quote(model._meta.db_table)} ({names}) FROM STDIN"
    with connection.cursor() as cursor:
        # Past Django's execute(): logged as a statement where Django logs them (DEBUG, tests).
        logged = cursor.debug_sql(sql) if hasattr(cursor, "debug_sql") else nullcontext()
        writer = LibpqWriter(cursor.cursor, flush_threshold=0)  # each message sent as it is made
        with logged, cursor.cursor.copy(sql, writer=writer) as copy:
            for row in rows:
                copy.write_row(row)
            copy.write(copy.formatter.end())
            yield
