"""The list query every door shares: FilterSet, sort, limit and one keyset page.

``GET /api/contacts?…`` and the web UI's ``/contacts/?…`` both call ``list_query`` with the
resource's FilterSet (which also names its sorts), so they accept the same parameters and
return the same rows in the same order; cursors are interchangeable between them.
Bad values raise the API's errors (``ApiError`` for sort, limit and cursor, DRF's
``ValidationError`` for filters); ``error_fields`` turns either into ``{name: [messages]}``
for a page to show next to its fields.
"""

import dataclasses
from functools import lru_cache

from django.core.exceptions import ValidationError
from django_filters.filters import BaseInFilter
from rest_framework import exceptions

from rexcrm.core.api.errors import ApiError, flatten_field_errors, from_service_error
from rexcrm.core.api.pagination import Page, Sort, paginate, parse_limit, parse_sort
from rexcrm.core.filters import SEARCH_RANK, CharInFilter

EMPTY_ITEM_MESSAGE = "An empty item in the list: give the values comma-separated, none of them empty."


def _checks_items(filter_) -> bool:
    """A list of ids, choices, emails or domains, where "" is no item. In a list of free text
    (``industry=,Retail``) it is one: the blank value."""
    return isinstance(filter_, BaseInFilter) and not isinstance(filter_, CharInFilter)


def filter_queryset(filterset_class, params, queryset, request=None):
    """``queryset`` narrowed by the filters ``params`` use; a bad value raises ValidationError.

    A FilterSet copies all its filters and builds a form class (and a form field per filter) on
    every instantiation; here it is narrowed to the filters the request actually uses (and
    skipped when it uses none), and the narrowed FilterSet's form class is built once, which
    takes that cost off the hot list path. The form still validates every value.
    """
    names = frozenset(params).intersection(filterset_class.base_filters)
    if not names:
        return queryset
    gaps = {
        name: [EMPTY_ITEM_MESSAGE]
        for name in sorted(names)
        if _checks_items(filterset_class.base_filters[name])
        and (value := params.get(name))
        and "" in value.split(",")
    }
    if gaps:  # django-filter would match the empty item as nothing: a wrong answer, not an error
        raise from_service_error(ValidationError(gaps))
    filterset = _narrowed(filterset_class, names)(params, queryset=queryset, request=request)
    if not filterset.is_valid():
        # As a service's errors are (Django's formatting: ``%`` only with params). django-filter's
        # ``translate_validation`` applied ``%`` to every message, and one quoting the value sent
        # (``'a%,b' is not…``) raised a TypeError, a 500 (found by the fuzzer).
        raise from_service_error(ValidationError(filterset.errors.as_data()))
    return filterset.qs


@lru_cache(maxsize=1024)
def _narrowed(filterset_class, names: frozenset[str]):
    narrowed = type(filterset_class.__name__, (filterset_class,), {"__module__": filterset_class.__module__})
    narrowed.base_filters = {name: f for name, f in filterset_class.base_filters.items() if name in names}
    # The form class depends on the filters' declarations only (no filter is built per request
    # or organization), so every instance can share the first one's.
    form_class = narrowed().get_form_class()
    narrowed.get_form_class = lambda self: form_class
    return narrowed


@dataclasses.dataclass(frozen=True)
class ListQuery:
    """A validated list request: the filtered queryset (not yet ordered), its sort and page size."""

    queryset: object
    sort: Sort
    limit: int
    cursor: str | None
    before: str | None = None  # the web UI's Previous link (a page's prev_cursor)

    @property
    def scope(self) -> str:
        """What cursors are bound to: the listed model (the API's and the UI's lists share it)."""
        return self.queryset.model._meta.label_lower

    def page(self, columns: list[str] | None = None) -> Page:
        """One page: tuples of ``columns`` (which must include ``sort.key_columns``), or model
        instances when ``columns`` is None."""
        return paginate(
            self.queryset,
            columns=columns,
            sort=self.sort,
            limit=self.limit,
            cursor=self.cursor,
            scope=self.scope,
            before=self.before,
        )


def list_query(queryset, params, filterset_class, *, request=None) -> ListQuery:
    """Apply the list parameters (``sort``, ``limit``, the FilterSet's filters, ``cursor``, and
    the web UI's ``previous`` (a page's ``prev_cursor``), which the API does not accept) of ``params`` to ``queryset``, an
    org-scoped queryset; searched lists are ranked first."""
    sort = parse_sort(
        params.get("sort"),
        model=queryset.model,
        allowed=filterset_class.sort_fields,
        default=filterset_class.default_sort,
        columns=filterset_class.sort_columns,
    )
    limit = parse_limit(params.get("limit"))
    queryset = filter_queryset(filterset_class, params, queryset, request)
    if SEARCH_RANK in queryset.query.annotations:  # search=: ranked first, then the sort
        sort = dataclasses.replace(sort, rank=SEARCH_RANK)
    return ListQuery(queryset, sort, limit, params.get("cursor") or None, params.get("previous") or None)


def error_fields(exc: Exception) -> dict[str, list[str]]:
    """``{parameter: [messages]}`` of an error raised by ``list_query`` or ``ListQuery.page``."""
    if isinstance(exc, ApiError):
        if exc.fields:
            return {name: [str(m) for m in messages] for name, messages in exc.fields.items()}
        return {"cursor" if exc.code == "invalid_cursor" else "non_field_errors": [str(exc.detail)]}
    if isinstance(exc, exceptions.ValidationError):
        return {
            name: [str(m) for m in messages] for name, messages in flatten_field_errors(exc.detail).items()
        }
    raise TypeError(f"not a list error: {exc!r}")
