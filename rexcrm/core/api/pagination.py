"""Keyset (cursor) pagination, sorting and ``limit`` (API.md §5).

Order is always ``(sort field, id)`` in one direction, so it is total. A page is
``WHERE org = … AND <filters> AND (sort, id) beyond the cursor ORDER BY sort, id LIMIT n + 1``:
no COUNT, no OFFSET, and a page a million rows deep costs what the first one does. Cursors
are signed (HMAC with SECRET_KEY), so a tampered or foreign cursor is a 400, and they hold
only the position, so inserts and deletes between pages never skip or repeat a row that
existed throughout. A NULL sorts as larger than every value (PostgreSQL's own rule): last when
ascending, first when descending, so one plain index serves both directions.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.core import signing
from django.db.models import F, Q

from rexcrm.core.api.errors import ApiError, InvalidCursor

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
    name: str | None = None  # the public sort name when it differs from the field

    @property
    def token(self) -> str:
        name = self.name or self.field
        return f"-{name}" if self.descending else name

    def order_by(self) -> list:
        if self.nullable:
            key = (
                F(self.field).desc(nulls_last=True) if self.descending else F(self.field).asc(nulls_last=True)
            )
        else:
            key = f"-{self.field}" if self.descending else self.field
        return [key, "-id" if self.descending else "id"]

    def after(self, value, last_id: uuid.UUID) -> Q:
        """Rows strictly after the position (value, last_id) in this order."""
        beyond, beyond_or_equal = ("lt", "lte") if self.descending else ("gt", "gte")
        id_beyond = Q(**{f"id__{beyond}": last_id})
        if value is None:  # NULLs come last: only NULL rows with a later id remain
            return Q(**{f"{self.field}__isnull": True}) & id_beyond
        # "field <= v AND (field < v OR id < last)" gives the index a range to start from.
        condition = Q(**{f"{self.field}__{beyond_or_equal}": value}) & (
            Q(**{f"{self.field}__{beyond}": value}) | id_beyond
        )
        if self.nullable:
            condition |= Q(**{f"{self.field}__isnull": True})
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
        field, token.startswith("-"), model._meta.get_field(field).null, None if field == name else name
    )


def _encode_value(value):
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return value.hex
    return value


def encode_cursor(scope: str, sort: Sort, value, last_id: uuid.UUID) -> str:
    return signing.dumps([scope, sort.token, _encode_value(value), last_id.hex], salt=_SALT, compress=True)


def decode_cursor(token: str, *, scope: str, sort: Sort, model) -> tuple[object, uuid.UUID]:
    try:
        cursor_scope, cursor_sort, raw_value, raw_id = signing.loads(token, salt=_SALT)
        if cursor_scope != scope:
            raise InvalidCursor("This cursor belongs to a different list.")
        if cursor_sort != sort.token:
            raise InvalidCursor(f"This cursor was issued for sort={cursor_sort}; send the same sort with it.")
        value = None if raw_value is None else model._meta.get_field(sort.field).to_python(raw_value)
        return value, uuid.UUID(hex=raw_id)
    except InvalidCursor:
        raise
    except Exception:
        raise InvalidCursor() from None


@dataclass
class Page:
    rows: list
    has_more: bool
    next_cursor: str | None


def paginate(queryset, *, columns: list[str], sort: Sort, limit: int, cursor: str | None, scope: str) -> Page:
    """Fetch one page as tuples of ``columns`` (which must include the sort field and ``id``)."""
    model = queryset.model
    if cursor:
        value, last_id = decode_cursor(cursor, scope=scope, sort=sort, model=model)
        queryset = queryset.filter(sort.after(value, last_id))
    rows = list(queryset.order_by(*sort.order_by()).values_list(*columns)[: limit + 1])
    has_more = len(rows) > limit
    if has_more:
        rows.pop()
    next_cursor = None
    if has_more:
        last = rows[-1]
        next_cursor = encode_cursor(scope, sort, last[columns.index(sort.field)], last[columns.index("id")])
    return Page(rows, has_more, next_cursor)


def list_envelope(data: list, page: Page) -> dict:
    return {
        "data": data,
        "has_more": page.has_more,
        "next_cursor": page.next_cursor,
        "meta": {"cursor": page.next_cursor, "has_more": page.has_more},
    }
