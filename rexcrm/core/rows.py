"""Rows of a filtered queryset as tuples, with the SQL of everything but the WHERE compiled once.

``queryset.order_by(...).values_list(*columns)[:limit]`` costs Django, on every call, a clone
per step, a lookup of every column name, and a compile of the whole statement: about as much
CPU as the database spends answering. The API's reads (list pages, ``include=`` summaries, a
detail, the outbox's read-back) ask for a handful of shapes, so ``values_rows`` compiles the
``SELECT … FROM … ORDER BY`` part once per (model, columns, order) and, per call, compiles only
the queryset's WHERE (its filters, the organization, the cursor), then runs the statement on
Django's cursor and applies the columns' converters (JSON, and SQLite's types), as
``values_list`` would.

A queryset this cannot express as "one table, a WHERE" (joins, annotations, DISTINCT, slicing,
extra…) goes through the ORM unchanged, so the rows are the same either way (tested).

``by_pks`` is the lookup by id that writes and details make beside their own object's (a write's
references, its event's read-back, the objects a detail includes): the statement that
``for_org(org).with_pks(pks)`` compiles to, compiled once per shape and run with each call's
values. ``returning`` gives an INSERT the same select list, so that it answers its new row as
that read would.

``in_list`` is the filter of the batched reads (``include=`` summaries, list-valued fields, the
outbox's read-back): ``column IN (…)`` costs Django about 40 Python calls per value to build and
compile, more than the rest of a 50-row page's query; on PostgreSQL it is ``column = ANY(%s)``
with the values as one array parameter. UUIDs go as the text of a ``uuid[]`` (``{hex,hex,…}``,
made in one comprehension): psycopg's list dumper costs about five Python calls per UUID.
"""

import uuid
from collections.abc import Callable
from functools import lru_cache

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connection as default_connection
from django.db import connections
from django.db.models import BooleanField, Expression, F, Q


def values_rows(queryset, columns, *, order_by=(), limit: int | None = None) -> list[tuple]:
    """``list(queryset.order_by(*order_by).values_list(*columns)[:limit])``, faster; without
    ``order_by``, in the queryset's own order (its ``order_by`` or the model's ``ordering``)."""
    query = queryset.query
    if not order_by:
        order_by = tuple(query.order_by) or (
            tuple(queryset.model._meta.ordering) if query.default_ordering else ()
        )
    if not _is_simple(query):
        queryset = queryset.order_by(*order_by).values_list(*columns)
        return list(queryset if limit is None else queryset[:limit])
    shape = _shape(queryset.model, tuple(columns), tuple(order_by), queryset.db)
    connection = connections[queryset.db]
    compiler = query.get_compiler(connection=connection)
    try:
        where, params = compiler.compile(query.where)
    except EmptyResultSet:
        return []
    except FullResultSet:
        where, params = "", ()
    sql = shape.select + (f" WHERE {where}" if where else "") + shape.order
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return shape.converted(cursor.fetchall())


def instances(queryset) -> list:
    """``list(queryset)``, faster for one table and a WHERE (a lookup by id): the rows come
    through ``values_rows`` and become instances as Django's own loading makes them
    (``Model.from_db``). Anything else (related objects, deferred fields…) goes through the ORM."""
    query = queryset.query
    if (
        not _is_simple(query)
        or query.select_related
        or query.deferred_loading != (frozenset(), True)
        or queryset._prefetch_related_lookups
    ):
        return list(queryset)
    model, db = queryset.model, queryset.db
    names = _attnames(model)
    return [model.from_db(db, names, row) for row in values_rows(queryset, names)]


def by_pks(model, pks, columns, *, org=None) -> list[tuple]:
    """``values_rows(model.objects.for_org(org).with_pks(pks), columns)`` (the one visibility
    rule), or with ``org`` None ``values_rows(model._base_manager.filter(in_list("pk", pks)),
    columns)`` (rows just written, read back for their events), without building and compiling
    the queryset: that statement is compiled once per model, columns and number of ids (on
    PostgreSQL any number: the ids are one array) and run with the call's organization and ids."""
    pks = list(pks)
    if not pks:
        return []
    using = model._base_manager.db
    connection = connections[using]
    count = 0 if org is None and connection.vendor == "postgresql" else len(pks)
    statement = _by_pks_statement(model, tuple(columns), org is not None, count, using)
    with connection.cursor() as cursor:
        cursor.execute(statement.sql, statement.params(connection, org, pks))
        return statement.shape.converted(cursor.fetchall())


def returning(model, columns) -> tuple[str, Callable[[list], list[tuple]]]:
    """`` RETURNING <the select list of values_rows' statement for columns>`` and the function
    that converts the rows it returns: an INSERT answers its new row as a read of it would,
    without the read."""
    shape = _shape(model, tuple(columns), (), model._base_manager.db)
    select_list = shape.select.removeprefix("SELECT ").rsplit(" FROM ", 1)[0]
    return f" RETURNING {select_list}", shape.converted


def instances_by_pks(model, pks, *, org) -> list:
    """``instances(model.objects.for_org(org).with_pks(pks))`` through ``by_pks``."""
    names = _attnames(model)
    return [model.from_db(model._base_manager.db, names, row) for row in by_pks(model, pks, names, org=org)]


class _ByPks:
    """The statement of ``by_pks`` for one shape, compiled from the queryset it stands for with
    stand-in values, each of its parameters traced back to the organization, an id or the ids'
    array (or kept: a constant)."""

    def __init__(self, model, columns, scoped, count, using):
        connection = connections[using]
        self.pk_prep = model._meta.pk.get_db_prep_value
        self.org_prep = model._meta.get_field("org").target_field.get_db_prep_value if scoped else None
        pks = [uuid.uuid4() for _ in range(max(count, 1))]
        if scoped:
            org = model._meta.get_field("org").related_model(pk=uuid.uuid4())
            queryset = model.objects.using(using).for_org(org).with_pks(pks)
            stand_ins = {self.org_prep(org.pk, connection): "org"}
        else:
            queryset = model._base_manager.using(using).filter(in_list("pk", pks))
            stand_ins = {}
        if count:
            stand_ins.update({self.pk_prep(pk, connection): index for index, pk in enumerate(pks)})
        else:  # PostgreSQL's ``= ANY(%s)``: the ids as one array (``in_list``)
            stand_ins[_uuid_array(pks)] = "array"
        self.shape = _shape(model, columns, tuple(model._meta.ordering), using)
        query = queryset.query
        where, params = query.get_compiler(connection=connection).compile(query.where)
        self.sql = f"{self.shape.select} WHERE {where}{self.shape.order}"
        self.slots = [stand_ins.get(param, ("constant", param)) for param in params]
        if {slot for slot in self.slots if not isinstance(slot, tuple)} != set(stand_ins.values()):
            raise ValueError(f"by_pks: unexpected SQL for {model.__name__}: {self.sql} {params}")

    def params(self, connection, org, pks) -> list:
        params = []
        for slot in self.slots:
            if slot == "org":
                params.append(self.org_prep(org.pk, connection))
            elif slot == "array":
                params.append(_uuid_array(pks))
            elif isinstance(slot, int):
                params.append(self.pk_prep(pks[slot], connection))
            else:
                params.append(slot[1])
        return params


@lru_cache(maxsize=256)
def _by_pks_statement(model, columns, scoped, count, using) -> _ByPks:
    return _ByPks(model, columns, scoped, count, using)


@lru_cache
def _attnames(model) -> tuple[str, ...]:
    return tuple(field.attname for field in model._meta.concrete_fields)


def _is_simple(query) -> bool:
    """One table and a WHERE: what ``values_rows`` compiles itself."""
    base = query.base_table
    return (
        base is not None
        and all(count == 0 for alias, count in query.alias_refcount.items() if alias != base)
        and not query.annotations
        and not query.extra
        and not query.distinct
        and not query.combinator
        and not query.select_for_update
        and query.group_by is None
        and not query.select
        and query.low_mark == 0
        and query.high_mark is None
    )


class _Shape:
    def __init__(self, model, columns, order_by, using):
        queryset = model._base_manager.using(using).order_by(*order_by).values_list(*columns)
        compiler = queryset.query.get_compiler(using=using)
        sql, params = compiler.as_sql()
        # The statement's own ORDER BY and FROM come last: a column may be a subquery (``ARRAY(
        # SELECT … FROM … WHERE … ORDER BY …)``), which comes before them.
        select, order = sql.rsplit(" ORDER BY ", 1) if order_by else (sql, None)
        if params or not select.startswith("SELECT ") or " WHERE " in select.rsplit(" FROM ", 1)[-1]:
            raise ValueError(f"unexpected SQL for {model.__name__} {columns}: {sql}")
        self.select = select
        self.order = f" ORDER BY {order}" if order else ""
        self.compiler = compiler
        self.converters = compiler.get_converters([expression for expression, _, _ in compiler.select])

    def converted(self, rows: list) -> list[tuple]:
        """The rows as ``values_list`` gives them: the columns' converters applied (JSON, and
        SQLite's types)."""
        if not self.converters:
            return rows
        return [tuple(row) for row in self.compiler.apply_converters(rows, self.converters)]


@lru_cache(maxsize=1024)
def _shape(model, columns: tuple[str, ...], order_by: tuple, using: str) -> _Shape:
    return _Shape(model, columns, order_by, using)


class _InArray(Expression):
    """``<column> = ANY(%s)``, a condition: the array of values is one parameter."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, field: str, values: list):
        super().__init__()
        self.column, self.values, self.cast = F(field), values, ""
        if isinstance(values[0], uuid.UUID):
            self.values, self.cast = _uuid_array(values), "::uuid[]"

    def get_source_expressions(self):
        return [self.column]

    def set_source_expressions(self, expressions):
        (self.column,) = expressions

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.column)
        return f"{sql} = ANY(%s{self.cast})", (*params, self.values)


def _uuid_array(values) -> str:
    return "{" + ",".join([f"{value.int:032x}" for value in values]) + "}"


def in_list(field: str, values) -> Q:
    """``Q(<field>__in=values)``; on PostgreSQL ``<field> = ANY(%s)``, one array parameter
    (psycopg adapts a list of strings or numbers; UUIDs go as a ``uuid[]``'s text), prepared in
    one step instead of value by value. The values must be of the column's Python type, without
    None."""
    values = list(values)
    if not values or default_connection.vendor != "postgresql":
        return Q(**{f"{field}__in": values})
    return Q(_InArray(field, values))
