"""Building blocks of the web UI's pages, shared by every app's views.

- ``OrgView``: a page for a signed-in member of an organization (``self.org``); a platform
  superuser without one gets a page pointing at the admin instead of an error.
- ``AdminOnly``: put before ``OrgView`` (or a subclass) for pages only the organization's
  administrators (members with ``is_staff``) may open; anyone else gets a 403 page.
- ``object_or_404``: one object of the organization by its prefixed id; a malformed id, a
  missing object and another organization's object are the same 404.
- ``ListPageView``: a list page over the API's own list query (``rexcrm.core.api.lists``):
  the FilterSet as the filter form, sortable columns, keyset Next/Previous, inline errors,
  and bulk actions on the selected rows (through the resource's services).
- ``RecordFormView``: a create or edit form (``/contacts/new/``, ``/contacts/<id>/edit/``)
  through the resource's services; errors next to the fields, with what was typed kept.
"""

from dataclasses import dataclass
from functools import cached_property

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.forms import ModelChoiceField
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django_filters.fields import BaseCSVField
from django_filters.widgets import BaseCSVWidget
from rest_framework import exceptions

from rexcrm.core import ids
from rexcrm.core.admin import service_error_messages
from rexcrm.core.api.lists import error_fields, list_query
from rexcrm.core.exceptions import REFUSED


class OrgView(View):
    def dispatch(self, request, *args, **kwargs):
        if request.user.org_id is None:
            return render(request, "no_organization.html", status=403)
        self.org = request.user.org
        return super().dispatch(request, *args, **kwargs)


def next_url(request, default: str) -> str:
    """Where to go after an action: the form's or query's ``next`` when it is a path of this
    site, else ``default``."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


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
    obj = queryset.with_pks([pk]).first()  # planned on the primary key (OrgQuerySet.with_pks)
    if obj is None:
        raise Http404(f"No {queryset.model._meta.verbose_name} here.")
    return obj


@dataclass(frozen=True)
class Column:
    """A column of a list table: its heading and, when sortable, the sort name it orders by."""

    label: str
    sort: str | None = None
    css: str = ""


@dataclass(frozen=True)
class BulkAction:
    """A bulk action of a list: set ``field`` to one of ``choices`` (``(value, label)``; the
    value a TypeID for a link), or delete when ``field`` is None."""

    label: str
    field: str | None = None
    choices: tuple = ()


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

    writes = None  # the resource's services (``rexcrm.core.services.Writes``), for bulk actions
    max_bulk = 500

    def get_queryset(self):
        raise NotImplementedError

    def bulk_actions(self) -> dict[str, BulkAction]:
        """The bulk actions of this list, by name (the form's ``action``)."""
        return {}

    def post(self, request, *args, **kwargs):
        """A bulk action on the selected rows (``ids``), through the services, all or nothing;
        then back to the list as it was, with a flash message."""
        back = next_url(request, request.path)
        name, _, value = request.POST.get("action", "").partition(":")
        action = self.bulk_actions().get(name)
        selected = request.POST.getlist("ids")[: self.max_bulk + 1]
        if action is None or not selected or len(selected) > self.max_bulk:
            messages.error(request, f"Select between 1 and {self.max_bulk} rows and an action.")
            return HttpResponseRedirect(back)
        prefix = self.filterset_class.Meta.model.type_prefix
        try:
            pks = [ids.decode(prefix, typeid) for typeid in selected]
            changes = self.bulk_changes(action, value)
            with transaction.atomic():
                rows = list(self.get_queryset().filter(pk__in=pks))
                for obj in rows:
                    if action.field is None:
                        self.writes.delete_one(org=self.org, actor=request.user, obj=obj)
                    else:
                        self.writes.update_one(org=self.org, actor=request.user, obj=obj, **changes)
        except ids.InvalidId:
            messages.error(request, "Not done: a selected row is not one of this list.")
        except REFUSED as exc:
            messages.error(request, "Not done: " + " ".join(service_error_messages(exc)))
        else:
            opts = self.filterset_class.Meta.model._meta
            noun = opts.verbose_name if len(rows) == 1 else opts.verbose_name_plural
            messages.success(
                request, f"{len(rows)} {noun} {'deleted' if action.field is None else 'updated'}."
            )
        return HttpResponseRedirect(back)

    def bulk_changes(self, action: BulkAction, value: str) -> dict:
        """The service's changes for ``action`` with the chosen ``value`` (links resolved in
        the organization)."""
        if action.field is None:
            return {}
        if value not in {str(choice) for choice, _ in action.choices}:
            raise ValidationError({action.field: "Pick one of the choices."})
        field = self.filterset_class.Meta.model._meta.get_field(action.field)
        if not field.is_relation:
            return {action.field: value}
        if not value:
            return {action.field: None}
        model = field.related_model
        pk = ids.decode(model.type_prefix, value)
        return {action.field: model.objects.for_org(self.org).with_pks([pk]).get()}

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
        form_errors = {name: texts for name, texts in errors.items() if name not in form.fields}
        context = {
            "page": page,
            "rows": page.rows if page else [],
            "form": form,
            "errors": form_errors,
            "sort": sort,
            "columns": [(column, self.sort_link(column, sort)) for column in self.columns],
            "is_filtered": any(params.get(name) for name in self.filterset_class.base_filters),
            "export_url": self.export_url,
            "bulk_actions": self.bulk_actions(),
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

    @cached_property
    def members(self) -> list[tuple[str, str]]:
        """The organization's members as ``(typeid, name)`` choices (one query per page)."""
        members = get_user_model().objects.for_org(self.org).order_by("first_name", "last_name", "email")
        return [(member.typeid, member.name) for member in members]

    def owner_action(self) -> BulkAction:
        return BulkAction("Assign owner", "owner", (*self.members, ("", "Nobody")))

    def filter_choices(self, name: str) -> list[tuple[str, str]] | None:
        """Options for a filter shown as a select (beyond the FilterSet's own choices)."""
        if name == "owner_id":
            return self.members
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


# Forms that record pages embed, by the id of their element there, with the other parts of the
# page that a save refreshes (htmx ``hx-select-oob``): the Details card's inline edit, and the
# Log activity form, which adds the new entry to the timeline.
EMBEDDED_FORMS = {
    "details-card": "#record-head,#messages",
    "log-activity": "#timeline,#messages",
}


class RecordFormView(OrgView):
    """A create (``id`` None) or edit form of a resource, saved through its services.

    Subclasses set ``form_class`` (a ``rexcrm.core.forms.RecordForm``), ``title`` and
    ``get_queryset`` (the organization's rows, with the links the form shows); ``fixed`` and
    ``initial`` come from the page (``?contact_id=…`` presets a new deal's contact). A valid
    form redirects to ``next`` or the record's page, with a flash message; an invalid one is
    shown again with each error next to its field and the input kept. htmx requests (inline
    edit, the Log activity form) get the same responses and pick their part with ``hx-select``.
    """

    form_class = None
    template_name = "_partials/record_form.html"
    title = ""  # "contact": "New contact", "Edit contact"

    def get_queryset(self):
        raise NotImplementedError

    def success_url(self, obj) -> str:
        raise NotImplementedError

    def get_initial(self) -> dict:
        """Initial values of a new record from the query (``?contact_id=cont_…``): links
        are resolved by the form's own fields, in the organization only."""
        fields = self.form_class.base_fields
        initial = {
            name.removesuffix("_id"): value
            for name, value in self.request.GET.items()
            if name.removesuffix("_id") in fields
        }
        for name, value in initial.items():
            if isinstance(fields[name], ModelChoiceField):  # a link given by its id
                model = fields[name].queryset.model
                try:
                    initial[name] = (
                        model.objects.for_org(self.org)
                        .with_pks([ids.decode(model.type_prefix, value)])
                        .first()
                    )
                except ids.InvalidId:
                    initial[name] = None
        if "owner" in self.form_class.base_fields:
            initial.setdefault("owner", self.request.user.pk)
        return initial

    def get_form(self, obj, data=None):
        return self.form_class(
            data,
            instance=obj,
            initial=None if obj else self.get_initial(),
            org=self.org,
            request=self.request,
        )

    def get(self, request, id=None):
        obj = object_or_404(self.get_queryset(), id) if id else None
        return self.render_form(obj, self.get_form(obj))

    def post(self, request, id=None):
        obj = object_or_404(self.get_queryset(), id) if id else None
        form = self.get_form(obj, request.POST)
        if not form.is_valid():
            return self.render_form(obj, form)
        saved = form.instance
        verb = "saved" if obj else "created"
        name = getattr(saved, "name", "") or str(saved)
        messages.success(request, f"{self.title.capitalize()} “{name}” {verb}.")
        return HttpResponseRedirect(next_url(request, self.success_url(saved)))

    def render_form(self, obj, form):
        form_id = self.request.POST.get("form_id") or self.request.GET.get("form_id") or ""
        context = {
            "form": form,
            "object": obj,
            "title": f"Edit {self.title}" if obj else f"New {self.title}",
            "action": self.request.path,
            "cancel_url": next_url(self.request, self.success_url(obj) if obj else self.list_url()),
            "next": self.request.POST.get("next") or self.request.GET.get("next", ""),
            "form_id": form_id if form_id in EMBEDDED_FORMS else "record-form",
            "embedded": EMBEDDED_FORMS.get(form_id, ""),
        }
        return render(self.request, self.template_name, context)

    def list_url(self) -> str:
        raise NotImplementedError
