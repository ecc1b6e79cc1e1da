"""Streamed CSV exports of the lists, and the cell rules imports share with them.

``GET /contacts/export.csv?stage=lead&sort=-created_at`` writes every row that
``GET /api/contacts?stage=lead&sort=-created_at`` would page through, in the same order: the
same list query (``rexcrm.core.api.lists``), walked by keyset ``CHUNK`` rows at a time (never
OFFSET, never the whole result in memory), rendered by the serializer's ``OutputPlan``. The
header row is the API's field names; ids are prefixed ids; a value is written as the API
renders it (objects and lists as JSON, ``true``/``false``, times with ``Z``).

The file starts with a UTF-8 byte order mark, so spreadsheet apps read it as UTF-8, and a text
cell that a spreadsheet would run as a formula (starting with ``= + - @``, a tab or a carriage
return) is written with a leading ``'``. So that an exported file imports back unchanged, a
cell that already starts with ``'`` gets one too, and imports remove one leading ``'`` before
any of those characters (``unneutralise``).
"""

import csv

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from rest_framework import exceptions

from rexcrm.core.api.lists import error_fields, list_query
from rexcrm.core.api.pagination import paginate
from rexcrm.core.api.renderers import dumps
from rexcrm.core.views import OrgView

BOM = "\ufeff"
CHUNK = 2000  # rows per keyset query
_FORMULA = frozenset("=+-@\t\r")
_ESCAPED = _FORMULA | {"'"}


def neutralise(text: str) -> str:
    return "'" + text if text[:1] in _ESCAPED else text


def unneutralise(text: str) -> str:
    """The inverse of ``neutralise``: ``'=1+1`` → ``=1+1``; ``'hello`` stays as written."""
    return text[1:] if text[:1] == "'" and text[1:2] in _ESCAPED else text


def cell(value) -> str:
    """One rendered API value as CSV text."""
    kind = type(value)
    if kind is str:
        return "'" + value if value[:1] in _ESCAPED else value
    if value is None:
        return ""
    if kind is bool:
        return "true" if value else "false"
    if kind is int:
        return str(value)
    text = dumps(value).decode()  # floats, times (with Z), objects and lists: as the API writes them
    return text[1:-1] if text[:1] == '"' else text


class Lines:
    """A file for ``csv.writer`` that hands back each line instead of storing it."""

    def write(self, line: str) -> str:
        return line


def csv_rows(query, serializer_class):
    """The CSV text of every row of ``query`` (a ``ListQuery``), one chunk at a time."""
    plan = serializer_class.output_plan(None, extra_columns=query.sort.key_columns)
    writer = csv.writer(Lines())
    yield BOM + writer.writerow(plan.keys)  # sent before the first query: the download starts at once
    cursor = None
    while True:
        page = paginate(
            query.queryset,
            columns=plan.columns,
            sort=query.sort,
            limit=CHUNK,
            cursor=cursor,
            scope=query.scope,
        )
        rendered = plan.render_rows(page.rows)
        yield "".join(writer.writerow([cell(out[key]) for key in plan.keys]) for out in rendered)
        if not page.has_more:
            return
        cursor = page.next_cursor


class CSVExportView(OrgView):
    """``/<resource>/export.csv?<the list's filters and sort>``: a list's rows as a CSV download.

    Subclasses set ``serializer_class`` and ``filterset_class`` (the API's). A bad filter or an
    unknown parameter is a 400 naming it (a typo must not export everything).
    """

    serializer_class = None
    filterset_class = None

    def get_queryset(self):
        return self.serializer_class.Meta.model.objects.for_org(self.org)

    def get(self, request, *args, **kwargs):
        params = request.GET
        unknown = sorted(set(params) - set(self.filterset_class.base_filters) - {"sort"})
        try:
            if unknown:
                raise exceptions.ValidationError({name: ["Unknown parameter."] for name in unknown})
            query = list_query(self.get_queryset(), params, self.filterset_class, request=request)
        except exceptions.APIException as exc:
            lines = [f"{name}: {' '.join(messages)}" for name, messages in error_fields(exc).items()]
            return HttpResponse("\n".join(lines) + "\n", status=400, content_type="text/plain; charset=utf-8")
        model = self.serializer_class.Meta.model
        name = f"{model._meta.verbose_name_plural.replace(' ', '-')}-{timezone.now():%Y%m%d-%H%M%S}.csv"
        response = StreamingHttpResponse(
            csv_rows(query, self.serializer_class), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response
