"""Building blocks of the web UI's pages, shared by every app's views.

- ``OrgView``: a page for a signed-in member of an organization (``self.org``); a platform
  superuser without one gets a page pointing at the admin instead of an error.
- ``AdminOnly``: put before ``OrgView`` (or a subclass) for pages only the organization's
  administrators (members with ``is_staff``) may open; anyone else gets a 403 page.
- ``object_or_404``: one object of the organization by its prefixed id; a malformed id, a
  missing object and another organization's object are the same 404.
- ``ListPageView``: a list page over the API's own list query (``rexcrm.core.api.lists``):
  the FilterSet as the filter form, sortable columns, keyset Next/Previous, inline errors.
"""

from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import render
from django.views import View
from django_filters.fields import BaseCSVField
from django_filters.widgets import BaseCSVWidget
from rest_framework import exceptions

from rexcrm.core import ids
from rexcrm.core.api.lists import error_fields, list_query


class OrgView(View):
    def dispatch(self, request, *args, **kwargs):
        if request.user.org_id is None:
            return render(request, "no_organization.html", status=403)
        self.org = request.user.org
        return super().dispatch(request, *args, **kwargs)


class AdminOnly:
    def dispatch(self, request, *args, **kwargs):
        if request.user.org_id is not None and not request.user.is_staff:
            raise PermissionDenied("Only the organization's administrators can open this page.")
        return super().dispatch(request, *args, **kwargs)


def object_or_404(queryset, typeid: str):
    """The object of ``queryset`` (already scoped to the organization) with this TypeID."""
    try:
        pk = ids.decode(queryset.model.type_prefix, typeid)
    except ids.InvalidId:
        raise Http404(f"No {queryset.model._meta.verbose_name} here.") from None
    obj = queryset.filter(pk=pk).first()
    if obj is None:
        raise Http404(f"No {queryset.model._meta.verbose_name} here.")
    return obj


@dataclass(frozen=True)
class Column:
    """A column of a list table: its heading and, when sortable, the sort name it orders by."""

    label: str
    sort: str | None = None
    css: str = ""


class CSVSelect(BaseCSVWidget, forms.Select):
    """A select for a comma-separated filter: one value shows as chosen; several (typed in the
    URL, as the API takes them) fall back to a text box, so nothing is silently dropped."""


class ListPageView(OrgView):
    """A list page: ``GET /contacts/?stage=lead&search=ada&sort=-created_at`` lists what
    ``GET /api/contacts?…`` returns, in the same order, one keyset page at a time.

    Subclasses set ``template_name``, ``filterset_class``, ``columns`` and ``filters`` (the
    FilterSet's filters shown in the form, with their labels), and return the organization's
    queryset (with its ``select_related``) from ``get_queryset``.
    """

    template_name = ""
    filterset_class = None
    columns: tuple[Column, ...] = ()
    filters: dict[str, str] = {}
    export_url = ""  # the list's CSV export, with the list's filters

    def get_queryset(self):
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        params = request.GET
        errors: dict[str, list[str]] = {}
        page = None
        try:
            query = list_query(self.get_queryset(), params, self.filterset_class, request=request)
            page = query.page()
            sort = query.sort.token
        except exceptions.APIException as exc:
            errors = error_fields(exc)
            sort = params.get("sort") or self.filterset_class.default_sort
        form = self.filter_form(params)  # bound: its fields show their own errors
        form_errors = {name: messages for name, messages in errors.items() if name not in form.fields}
        context = {
            "page": page,
            "rows": page.rows if page else [],
            "form": form,
            "errors": form_errors,
            "sort": sort,
            "columns": [(column, self.sort_link(column, sort)) for column in self.columns],
            "is_filtered": any(params.get(name) for name in self.filterset_class.base_filters),
            "export_url": self.export_url,
            **self.get_context_data(),
        }
        return render(request, self.template_name, context)

    def get_context_data(self) -> dict:
        return {}

    def filter_form(self, params) -> forms.Form:
        """The FilterSet's form, limited to ``filters``, with the page's labels: its fields
        validate exactly as the list does. Id filters become selects (``filter_choices``)."""
        form = self.filterset_class(params).form
        form.fields = {name: form.fields[name] for name in self.filters}
        for name, field in form.fields.items():
            field.label = self.filters[name]
            field.help_text = ""
            choices = self.filter_choices(name)
            if choices is not None:
                widget = CSVSelect if isinstance(field, BaseCSVField) else forms.Select
                field.widget = widget(choices=[("", "Any"), *choices])
            elif isinstance(field.widget, forms.Select):
                field.widget.choices = [("", "Any"), *[c for c in field.widget.choices if c[0] != ""]]
            elif isinstance(field, forms.DateTimeField | forms.DateField):
                field.widget.attrs["placeholder"] = "YYYY-MM-DD"
            if name in ("search", "q"):
                field.widget.input_type = "search"
            field.widget.attrs["class"] = (
                "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            )
        return form

    def filter_choices(self, name: str) -> list[tuple[str, str]] | None:
        """Options for a filter shown as a select (beyond the FilterSet's own choices)."""
        if name == "owner_id":
            members = get_user_model().objects.for_org(self.org).order_by("first_name", "last_name", "email")
            return [(member.typeid, member.name) for member in members]
        if name == "overdue":
            return [("true", "Yes"), ("false", "No")]
        return None

    @staticmethod
    def sort_link(column: Column, current: str) -> dict | None:
        """The sort a click on the column's heading asks for, and how the list is sorted by it now."""
        if not column.sort:
            return None
        if current == column.sort:
            return {"next": f"-{column.sort}", "state": "ascending"}
        if current == f"-{column.sort}":
            return {"next": column.sort, "state": "descending"}
        return {"next": column.sort, "state": None}
