"""Keyset (cursor) pagination, sorting and ``limit`` (API.md §5).

Order is always ``(sort field, id)`` in one direction, so it is total. A page is
``WHERE org = … AND <filters> AND (sort, id) beyond the cursor ORDER BY sort, id LIMIT n + 1``:
no COUNT, no OFFSET, and a page a million rows deep costs what the first one does. Cursors
are signed (HMAC with SECRET_KEY), so a tampered or foreign cursor is a 400, and they hold
only the position, so inserts and deletes between pages never skip or repeat a row that
existed throughout. A NULL sorts as larger than every value (PostgreSQL's own rule): last when
ascending, first when descending, so one plain index serves both directions.

A ranked list (``search=``) puts an integer rank annotation first, ascending (``Sort.rank``):
order is ``(rank, sort field, id)`` and the cursor carries the rank too, so search results page
in relevance order as stably as any other list.
"""

import datetime
import hashlib
import hmac
import json
import time
import uuid
import zlib
from dataclasses import dataclass, replace
from functools import lru_cache

from django.conf import settings
from django.core import signing
from django.db.models import F, Q
from django.utils.encoding import force_bytes

from rexcrm.core.api.errors import ApiError, InvalidCursor
from rexcrm.core.rows import values_rows

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_SALT = "rexcrm.cursor"


def parse_limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(
            f"limit: must be an integer from 1 to {MAX_LIMIT}.",
            fields={"limit": [f"Must be an integer from 1 to {MAX_LIMIT}."]},
        )
    return limit


@dataclass(frozen=True)
class Sort:
    field: str  # the model field ordered on
    descending: bool
    nullable: bool = False
    rank: str | None = None  # an integer annotation sorted ascending before the field (search)
    name: str | None = None  # the public sort name when it differs from the field
    rank_descending: bool = False  # only in ``reversed()``: walking a ranked list backwards

    @property
    def key_columns(self) -> tuple[str, ...]:
        """What a page must select for its cursor: the rank (if ranked), the sort field and id."""
        return (*((self.rank,) if self.rank else ()), self.field, "id")

    @property
    def token(self) -> str:
        name = self.name or self.field
        return f"-{name}" if self.descending else name

    def order_by(self) -> list:
        if self.nullable:  # explicit, so SQLite agrees with PostgreSQL
            key = (
                F(self.field).desc(nulls_first=True)
                if self.descending
                else F(self.field).asc(nulls_last=True)
            )
        else:
            key = f"-{self.field}" if self.descending else self.field
        keys = [key, "-id" if self.descending else "id"]
        if not self.rank:
            return keys
        return [f"-{self.rank}" if self.rank_descending else self.rank, *keys]

    def reversed(self) -> "Sort":
        """The exact reverse order (NULLs stay the largest values), to fetch a previous page."""
        return replace(self, descending=not self.descending, rank_descending=not self.rank_descending)

    def after(self, value, last_id: uuid.UUID, rank=None) -> Q:
        """Rows strictly after the position ((rank,) value, last_id) in this order."""
        beyond, beyond_or_equal = ("lt", "lte") if self.descending else ("gt", "gte")
        id_beyond = Q(**{f"id__{beyond}": last_id})
        is_null = Q(**{f"{self.field}__isnull": True})
        if value is None:
            # Among the NULLs, the later ids; descending, every non-NULL value comes after them.
            condition = (is_null & id_beyond) | ~is_null if self.descending else is_null & id_beyond
        else:
            # "field <= v AND (field < v OR id < last)" gives the index a range to start from.
            condition = Q(**{f"{self.field}__{beyond_or_equal}": value}) & (
                Q(**{f"{self.field}__{beyond}": value}) | id_beyond
            )
            if self.nullable and not self.descending:
                condition |= is_null  # ascending, the NULLs come after every value
        if self.rank:
            rank_beyond = "lt" if self.rank_descending else "gt"
            condition = Q(**{f"{self.rank}__{rank_beyond}": rank}) | (Q(**{self.rank: rank}) & condition)
        return condition


def parse_sort(
    raw: str | None, *, model, allowed: tuple[str, ...], default: str, columns: dict[str, str] | None = None
) -> Sort:
    """``columns`` maps a public sort name onto another model field (``priority`` sorts on
    ``priority_rank``)."""
    token = raw or default
    name = token.removeprefix("-")
    if name not in allowed:
        choices = ", ".join(allowed)
        raise ApiError(
            f"sort: {token!r} is not one of {choices} (prefix - for descending).",
            fields={"sort": [f"Must be one of {choices}, optionally prefixed with -."]},
        )
    field = (columns or {}).get(name, name)
    return Sort(
        field, token.startswith("-"), model._meta.get_field(field).null, name=None if field == name else name
    )


def _encode_value(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return value.hex
    return value


def encode_cursor(scope: str, sort: Sort, value, last_id: uuid.UUID, rank=None) -> str:
    position = [scope, sort.token, _encode_value(value), last_id.hex]
    if sort.rank:
        position.append(rank)
    return _signed(position)


@lru_cache(maxsize=4)
def _cursor_hmac(secret) -> hmac.HMAC:
    # What django.utils.crypto.salted_hmac derives from the salt and the secret on every call.
    return hmac.new(
        hashlib.sha256(f"{_SALT}signer".encode() + force_bytes(secret)).digest(), digestmod="sha256"
    )


def _signed(position: list) -> str:
    """``signing.dumps(position, salt=_SALT, compress=True)``, the same string (``decode_cursor``
    reads it with ``signing.loads``), with the HMAC key derived once per ``SECRET_KEY``:
    Django's signer derives it, and builds its signer, on every call."""
    data = json.dumps(position, separators=(",", ":")).encode("latin-1")
    compressed = zlib.compress(data)
    if len(compressed) < len(data) - 1:
        value = "." + signing.b64_encode(compressed).decode()
    else:
        value = signing.b64_encode(data).decode()
    value = f"{value}:{signing.b62_encode(int(time.time()))}"
    mac = _cursor_hmac(settings.SECRET_KEY).copy()
    mac.update(value.encode())
    return f"{value}:{signing.b64_encode(mac.digest()).decode()}"


def decode_cursor(token: str, *, scope: str, sort: Sort, model) -> tuple[object, uuid.UUID, object]:
    """``(value, last_id, rank)``; rank is None unless the list is ranked."""
    try:
        cursor_scope, cursor_sort, raw_value, raw_id, *ranked = signing.loads(token, salt=_SALT)
        if cursor_scope != scope:
            raise InvalidCursor("This cursor belongs to a different list.")
        if cursor_sort != sort.token:
            raise InvalidCursor(f"This cursor was issued for sort={cursor_sort}; send the same sort with it.")
        if bool(ranked) != bool(sort.rank):
            raise InvalidCursor(
                "This cursor was issued for a search; send the same search with it."
                if ranked
                else "This cursor was issued without a search; start a search without a cursor."
            )
        rank = None
        if sort.rank:
            (rank,) = ranked
            if not isinstance(rank, int):
                raise InvalidCursor()
        value = None if raw_value is None else model._meta.get_field(sort.field).to_python(raw_value)
        return value, uuid.UUID(hex=raw_id), rank
    except InvalidCursor:
        raise
    except Exception:
        raise InvalidCursor() from None


@dataclass
class Page:
    rows: list
    has_more: bool
    next_cursor: str | None
    # Where the previous page ends: paginate(before=…), the web UI's "Previous" link (?previous=…).
    prev_cursor: str | None = None


def paginate(
    queryset,
    *,
    columns: list[str] | None,
    sort: Sort,
    limit: int,
    cursor: str | None,
    scope: str,
    before: str | None = None,
) -> Page:
    """Fetch one page as tuples of ``columns`` (which must include ``sort.key_columns``), or as
    model instances when ``columns`` is None (the web UI's pages, with their select_related).

    ``cursor`` gives the page after a position; ``before`` (a ``prev_cursor``) the page that
    ends just before one, fetched in the reverse order and flipped: the same keyset query.
    """
    model = queryset.model
    order, position = (sort.reversed(), before) if before else (sort, cursor)
    if position:
        value, last_id, rank = decode_cursor(position, scope=scope, sort=sort, model=model)
        queryset = queryset.filter(order.after(value, last_id, rank))
    if columns is None:
        rows = list(queryset.order_by(*order.order_by())[: limit + 1])
    else:
        rows = values_rows(queryset, columns, order_by=order.order_by(), limit=limit + 1)
    beyond = len(rows) > limit
    if beyond:
        rows.pop()
    if before:
        rows.reverse()
    has_more, has_previous = (True, beyond) if before else (beyond, bool(cursor))

    def position_of(row) -> str:
        if columns is None:
            key = {name: getattr(row, name) for name in sort.key_columns}
        else:
            key = {name: row[columns.index(name)] for name in sort.key_columns}
        return encode_cursor(scope, sort, key[sort.field], key["id"], key.get(sort.rank))

    return Page(
        rows,
        has_more and bool(rows),
        position_of(rows[-1]) if has_more and rows else None,
        position_of(rows[0]) if has_previous and rows else None,
    )


def list_envelope(data: list, page: Page) -> dict:
    return {
        "data": data,
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
        "meta": {"cursor": page.next_cursor, "has_more": page.has_more},
    }
