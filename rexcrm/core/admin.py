"""The one admin adapter: every ModelAdmin of a resource adds, changes and deletes through the
resource's services (``rexcrm.core.services.Writes``), never around them.

- Add and change: the form's last validation step calls the service with the fields the
  administrator changed (the service locks and reloads the row itself), so a refusal
  (``ValidationError``, ``ConflictError``) becomes a form error next to its field, in the
  same words as the API's, and never a 500. The admin then keeps the saved object.
- Delete, from the object's page or as a bulk action: the service deletes each object; a
  refusal rolls the whole action back and is shown as an error message.
- Every action runs in one transaction, with the same translation of refusals.

Inlines of such an admin are read-only: nothing bypasses the services through a formset.
"""

import csv
import datetime
import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import label_for_field, lookup_field
from django.core.exceptions import NON_FIELD_ERRORS
from django.core.paginator import Paginator
from django.db import models, transaction
from django.forms.models import BaseInlineFormSet
from django.http import HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.utils.functional import cached_property
from django.utils.html import format_html

from rexcrm.core import ids
from rexcrm.core.exceptions import REFUSED, ConflictError
from rexcrm.core.services import Writes, api_name

admin.site.site_header = "Rex CRM administration"
admin.site.site_title = "Rex CRM admin"
admin.site.index_title = "Organization data"
admin.site.site_url = "/"
# No app list beside every page: its 280 px go to the lists (at 1440 px, the activities list
# with its filters fits); the index and the breadcrumbs lead everywhere.
admin.site.enable_nav_sidebar = False


def service_error_messages(exc: Exception) -> list[str]:
    """A service's refusal as readable lines (``field: message``) for a message or a log."""
    if isinstance(exc, ConflictError):
        return [f"{exc.field}: {exc.message}" if exc.field else exc.message]
    if hasattr(exc, "error_dict"):
        return [
            f"{field}: {message}" if field != NON_FIELD_ERRORS else message
            for field, errors in exc.error_dict.items()
            for error in errors
            for message in error.messages
        ]
    return list(exc.messages)


def add_service_errors(form: forms.Form, exc: Exception) -> None:
    """Put a service's refusal on ``form``: each message next to the form field it names (the
    API's name ``company_id`` finds the form's ``company``), the rest above the form."""
    meta = getattr(form, "_meta", None)  # a plain Form names its fields as the API does
    opts = meta.model._meta if meta else None
    names = {api_name(field): field.name for field in [*opts.fields, *opts.many_to_many]} if opts else {}
    if isinstance(exc, ConflictError):
        errors = {exc.field or NON_FIELD_ERRORS: [exc.message]}
    elif hasattr(exc, "error_dict"):
        errors = {key: [m for e in errs for m in e.messages] for key, errs in exc.error_dict.items()}
    else:
        errors = {NON_FIELD_ERRORS: exc.messages}
    for key, texts in errors.items():
        field = names.get(key, key)
        if field in form.fields:
            form.add_error(field, texts)
        else:
            form.add_error(None, [text if key == NON_FIELD_ERRORS else f"{key}: {text}" for text in texts])


class ServiceModelForm(forms.ModelForm):
    """A ModelForm whose last validation step is the service's write (instead of Django's own
    model validation and save). ``writes``, ``request`` and ``org`` are bound by ``ServiceAdmin``."""

    writes: Writes
    request = None
    org = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.validators = []  # the model's rules (lengths, formats, ranges) are the service's

    def service_changes(self) -> dict:
        """What the service is given: the fields the user changed."""
        return {name: self.cleaned_data[name] for name in self.changed_data if name != "org"}

    def _post_clean(self):
        if self._errors:
            return
        changes = self.service_changes()
        actor = self.request.user
        try:
            with transaction.atomic():
                if self.instance._state.adding:
                    org = self.cleaned_data.get("org") or self.org
                    self.instance, _ = self.writes.create_one(org=org, actor=actor, **changes)
                else:
                    self.instance = self.writes.update_one(
                        org=self.instance.org, actor=actor, obj=self.instance, **changes
                    )
        except REFUSED as exc:
            add_service_errors(self, exc)


# -- who sees what ---------------------------------------------------------------------------


def staff_org_id(request):
    """The organization whose data the signed-in administrator manages: None for a superuser
    (every organization's), the member's organization for organization staff."""
    user = request.user
    return None if user.is_superuser else user.org_id


def is_administrator(request) -> bool:
    """A superuser, or an active staff member of an organization (its administrator)."""
    user = request.user
    return user.is_active and (user.is_superuser or (user.is_staff and user.org_id is not None))


def scoped(request, queryset, org_field: str = "org"):
    """``queryset`` cut to what the administrator may see: everything for a superuser, their
    organization's rows for organization staff, nothing for anyone else."""
    if request.user.is_superuser:
        return queryset
    if not is_administrator(request):
        return queryset.none()
    return queryset.filter(**{org_field: request.user.org_id})


class OrgScoped:
    """What every admin of tenant data shares (ModelAdmins and inlines): organization staff
    see, pick and act on their organization's rows only, and may manage all of them without
    Django's per-model permissions (an organization's owner works out of the box); a superuser
    sees every organization's. ``org_field`` is the path to the row's organization."""

    org_field = "org"
    read_only = False  # True: rows are shown, never added, changed or deleted here

    def get_queryset(self, request):
        return scoped(request, super().get_queryset(request), self.org_field)

    def has_module_permission(self, request):
        return is_administrator(request)

    def has_view_permission(self, request, obj=None):
        return is_administrator(request)

    def has_add_permission(self, request, *args):
        return not self.read_only and is_administrator(request)

    def has_change_permission(self, request, obj=None):
        return not self.read_only and is_administrator(request)

    def has_delete_permission(self, request, obj=None):
        return not self.read_only and is_administrator(request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """A link's choices (select, autocomplete) are the administrator's organization's rows."""
        related = db_field.related_model
        if "queryset" not in kwargs and staff_org_id(request) is not None and related_org_field(related):
            kwargs["queryset"] = scoped(request, related._default_manager.all(), related_org_field(related))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def related_org_field(model) -> str | None:
    """How ``model``'s rows name their organization: ``org``, ``pk`` for organizations."""
    if model._meta.model_name == "organization":
        return "pk"
    names = {field.name for field in model._meta.get_fields()}
    return "org" if "org" in names else None


class OrgRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A link's filter lists the administrator's organization's rows only."""

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        rows = scoped(request, related._default_manager.all(), related_org_field(related) or "org")
        ordering = self.field_admin_ordering(field, request, model_admin)
        return [(row.pk, str(row)) for row in (rows.order_by(*ordering) if ordering else rows)]


class PrettyJSONField(forms.JSONField):
    """``metadata`` and other JSON shown indented in its text box, so it reads."""

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        return json.dumps(value, ensure_ascii=False, indent=2, cls=self.encoder)


# Inlines an app above a model's own app shows on its page (a contact's deals and activities):
# the upper app attaches them, so no app imports one above it.
ATTACHED_INLINES: dict[type, list] = {}


def attach_inline(model, inline) -> None:
    ATTACHED_INLINES.setdefault(model, []).append(inline)


# -- changelists that never count ------------------------------------------------------------


class UncountedPaginator(Paginator):
    """Pages without ``COUNT(*)``: the page asked for is read with one row more, which says
    whether another page follows. ``count`` is exact on the last page and a lower bound
    (``exact`` False) before it: enough for Django's page links, never a scan of the table."""

    def __init__(self, object_list, per_page, *, number=1, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        try:
            self.number = max(int(number), 1)
        except (TypeError, ValueError):
            self.number = 1

    @cached_property
    def _rows(self) -> list:
        bottom = (self.number - 1) * self.per_page
        return list(self.object_list[bottom : bottom + self.per_page + 1])

    @cached_property
    def count(self) -> int:
        return (self.number - 1) * self.per_page + len(self._rows)

    @property
    def exact(self) -> bool:
        return len(self._rows) <= self.per_page

    def page(self, number):
        number = self.validate_number(number)
        if number != self.number:
            return super().page(number)
        return self._get_page(self._rows[: self.per_page], number, self)


# -- search: prefixed ids and the resource's FilterSet ---------------------------------------


def prefixed_id_filter(model, term: str, id_field: str = "pk") -> models.Q | None:
    """A pasted TypeID as a filter: the row itself (``cont_…`` on contacts) or the rows linked
    to it (``cont_…`` on activities: the contact's). None if ``term`` is no such id."""
    prefix = term.rpartition("_")[0]
    if not prefix:
        return None
    targets = [(model, id_field)] + [
        (field.related_model, field.name)
        for field in model._meta.fields
        if field.is_relation and field.related_model is not None
    ]
    for target, lookup in targets:
        if getattr(target, "type_prefix", None) == prefix:
            try:
                value = ids.decode(prefix, term)
            except ids.InvalidId:
                return models.Q(pk__in=[])
            if lookup != id_field and target._meta.model_name == "event":
                lookup = f"{lookup}__uuid"
            return models.Q(**{lookup: value})
    return None


# -- CSV export ------------------------------------------------------------------------------


class _Echo:
    def write(self, value):
        return value


def csv_cell(value) -> str:
    """A value as a CSV cell; text a spreadsheet would run as a formula is quoted with ``'``."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@admin.action(description="Export selected as CSV")
def export_csv(modeladmin, request, queryset):
    """The selected rows as CSV (streamed, read in chunks): the prefixed id, then the
    changelist's columns as shown (money with its currency, links by name)."""
    columns = [name for name in modeladmin.get_list_display(request) if name != "action_checkbox"]
    header = ["id", *(str(label_for_field(name, modeladmin.model, modeladmin)) for name in columns)]
    related = modeladmin.get_list_select_related(request)
    rows = queryset.select_related(*related) if related else queryset

    def lines():
        writer = csv.writer(_Echo())
        yield writer.writerow(header)
        for obj in rows.iterator(chunk_size=500):
            cells = [obj.typeid]
            for name in columns:
                _, _, value = lookup_field(name, obj, modeladmin)
                cells.append(csv_cell(value))
            yield writer.writerow(cells)

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    filename = modeladmin.model._meta.verbose_name_plural.replace(" ", "-")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


# -- the base of every admin of tenant data ---------------------------------------------------


class OrgAdmin(OrgScoped, admin.ModelAdmin):
    """Every model's admin: organization scoping (``OrgScoped``), changelists that never count
    (``UncountedPaginator``, no full count, no facets, no "show all"), the links of each row
    fetched with it, autocomplete for every foreign key, search by pasted prefixed id or the
    resource's FilterSet ``search`` (the API's and UI's search), the prefixed id read-only, the
    organization column and filter for superusers only, and CSV export."""

    filterset_class = None  # the resource's FilterSet: its ``search`` filter is the admin's search
    id_field = "pk"  # the column a prefixed id decodes to
    paginator = UncountedPaginator
    show_full_result_count = False
    list_max_show_all = 0
    show_facets = admin.ShowFacets.NEVER
    list_per_page = 50
    actions = [export_csv]
    formfield_overrides = {models.JSONField: {"form_class": PrettyJSONField}}

    # columns

    @admin.display(description="ID")
    def prefixed_id(self, obj):
        return obj.typeid

    def get_list_display(self, request):
        return self._for_staff(request, super().get_list_display(request))

    def get_list_filter(self, request):
        """Links filter by the administrator's organization's rows (``OrgRelatedFieldListFilter``)."""
        links = {f.name for f in self.model._meta.fields if f.is_relation}
        names = self._for_staff(request, super().get_list_filter(request))
        return [(name, OrgRelatedFieldListFilter) if name in links else name for name in names]

    def _for_staff(self, request, names):
        """The organization is every row's for organization staff: no column, no filter."""
        if staff_org_id(request) is None:
            return names
        return [name for name in names if name != "org"]

    def get_list_select_related(self, request):
        """Every link shown as a column, fetched in the changelist's one query."""
        links = {f.name for f in self.model._meta.fields if f.is_relation}
        return [name for name in self.get_list_display(request) if name in links]

    def get_readonly_fields(self, request, obj=None):
        return ["prefixed_id", *super().get_readonly_fields(request, obj)]

    def get_autocomplete_fields(self, request):
        """Every foreign key to a model with an admin is picked by search, not typed or listed."""
        return [
            field.name
            for field in self.model._meta.fields
            if field.is_relation and field.editable and field.related_model in self.admin_site._registry
        ]

    def get_inlines(self, request, obj):
        """The model's inlines and those attached by the apps above; none on an add page."""
        if obj is None:
            return []
        return [*super().get_inlines(request, obj), *ATTACHED_INLINES.get(self.model, [])]

    def get_ordering(self, request):
        return super().get_ordering(request) or ["-pk"]  # UUIDv7: newest first

    def get_formsets_with_inlines(self, request, obj=None):
        """Read-only inlines are shown, never posted: a save validates the object's form only."""
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            if request.method != "POST" or not isinstance(inline, ReadOnlyInline):
                yield formset, inline

    # pages and search

    def get_paginator(self, request, queryset, per_page, orphans=0, allow_empty_first_page=True):
        number = request.GET.get("p") or request.GET.get("page") or 1  # changelist, autocomplete
        return self.paginator(
            queryset, per_page, number=number, orphans=orphans, allow_empty_first_page=allow_empty_first_page
        )

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        by_id = prefixed_id_filter(self.model, term, self.id_field) if term else None
        if by_id is not None:
            return queryset.filter(by_id), False
        if term and self.filterset_class is not None and "search" in self.filterset_class.base_filters:
            return self.filterset_class({"search": term}, queryset=queryset).qs, False
        return super().get_search_results(request, queryset, search_term)

    # writes

    def response_action(self, request, queryset, *args, **kwargs):
        """Every action in one transaction; a service's refusal is a message, nothing changes."""
        try:
            with transaction.atomic():
                return super().response_action(request, queryset, *args, **kwargs)
        except REFUSED as exc:
            self._refused(request, exc)
            return HttpResponseRedirect(request.get_full_path())

    def _refused(self, request, exc) -> None:
        self.message_user(request, "Not done: " + " ".join(service_error_messages(exc)), messages.ERROR)

    def confirm(self, request, queryset, *, title: str, form, action: str, text: str = ""):
        """The intermediate page of an action (a merge's primary, a stage to move to): the
        selected rows, ``form`` and a button that posts the action again with ``apply``."""
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "text": text,
            "opts": self.model._meta,
            "objects": queryset,
            "form": form,
            "action": action,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        }
        return TemplateResponse(request, "admin/rex_action_confirm.html", context)

    def shown_once(self, request, obj, *, label: str, secret: str):
        """The page after adding an object with a secret (an API key): shown this once only."""
        context = {
            **self.admin_site.each_context(request),
            "title": f"{label} created",
            "opts": self.model._meta,
            "object": obj,
            "label": label,
            "secret": secret,
        }
        return TemplateResponse(request, "admin/rex_shown_once.html", context)


class ReadOnlyAdmin(OrgAdmin):
    """Rows written only by the system (events, deliveries, stage history): shown, never edited."""

    read_only = True


def pretty_json(value):
    """``metadata`` and the like, readable on a change page."""
    return format_html('<pre class="rex-json">{}</pre>', json.dumps(value, indent=2, ensure_ascii=False))


# -- inlines ---------------------------------------------------------------------------------


class BoundedInlineFormSet(BaseInlineFormSet):
    """An inline shows its ``limit`` first rows (in the inline's ``ordering``), never all."""

    def get_queryset(self):
        if not hasattr(self, "_bounded"):
            self._bounded = super().get_queryset()[: self.limit]
        return self._bounded


class ReadOnlyInline(OrgScoped, admin.TabularInline):
    """Related rows on a record's page: read-only (changes go through their own admin, so
    through the services), newest first unless ``ordering`` says otherwise, at most
    ``limit``, each linked to its own page, its links fetched with it."""

    formset = BoundedInlineFormSet
    limit = 20
    extra = 0
    can_delete = False
    show_change_link = True
    read_only = True

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.limit = self.limit
        return formset

    def get_queryset(self, request):
        links = {field.name for field in self.model._meta.fields if field.is_relation} & set(self.fields)
        queryset = super().get_queryset(request)
        return queryset.select_related(*links) if links else queryset

    def has_change_permission(self, request, obj=None):
        return False


# -- writes through the services ---------------------------------------------------------------


class ServiceAdmin(OrgAdmin):
    """Base of the admin of every resource with services (see the module's docstring)."""

    writes: Writes
    form = ServiceModelForm
    labels: dict[str, str] = {}  # form labels as people write them ("LinkedIn URL")

    def get_fields(self, request, obj=None):
        """The model's ``editable_fields`` (a superuser also picks the organization of a new
        object; anyone else creates in their own), then the read-only ones."""
        many_to_many = {field.name for field in self.model._meta.many_to_many}
        editable = [name for name in self.model.editable_fields if name not in many_to_many]
        org = ["org"] if obj is None and request.user.is_superuser else []
        readonly = [name for name in self.get_readonly_fields(request, obj) if name not in editable]
        return [*org, *editable, *readonly]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs.setdefault("labels", self.labels)
        form = super().get_form(request, obj, change=change, **kwargs)
        org = getattr(request.user, "org", None)
        return type(form.__name__, (form,), {"writes": self.writes, "request": request, "org": org})

    def save_model(self, request, obj, form, change):
        """Nothing left to do: the form saved through the service when it validated."""

    def delete_model(self, request, obj):
        self.writes.delete_one(org=obj.org, actor=request.user, obj=obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset.select_related("org"):
            self.delete_model(request, obj)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except REFUSED as exc:
            self._refused(request, exc)
            return HttpResponseRedirect(request.path.removesuffix("delete/") + "change/")
