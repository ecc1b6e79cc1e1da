"""The web UI's forms: Tabler's classes on every widget and ``is-invalid`` on fields with errors
(``style``, rendered by ``templates/_partials/form_field.html``), a service's refusal next to the
field it names (``add_service_errors``: the API's field names are the form's).

``UIForm`` is a plain form so styled (settings pages). ``RecordForm`` is a create or edit form
whose save is the resource's service.

``RecordForm`` is the admin's ``ServiceModelForm`` (the service validates and writes; its
refusals land next to the fields, in the API's words) made safe and usable for a team member:

- every link is scoped to the organization: a member, pipeline, stage or product is chosen
  from a select of the organization's own rows; a contact, company or deal (tables that grow
  to millions of rows) is typed as ``Name (cont_01…)`` or a bare id in a ``RecordField``, with
  suggestions from search, and resolved in the organization only;
- ``fixed`` values come from the page, not the user (the contact whose page logs an activity);
- widgets carry Tabler's classes and ``is-invalid``; dates and times are native inputs.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from rexcrm.core import ids
from rexcrm.core.admin import ServiceModelForm, add_service_errors
from rexcrm.core.exceptions import REFUSED

__all__ = ["RecordField", "RecordForm", "UIForm", "add_service_errors", "submit"]


def style(form) -> None:
    """Tabler's class on every widget of ``form``."""
    for field in form.fields.values():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()


def mark_invalid(form) -> None:
    """``is-invalid`` on the widget of every field with an error."""
    for name in form.errors:
        if name in form.fields:
            attrs = form.fields[name].widget.attrs
            if "is-invalid" not in attrs.get("class", ""):
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()


class UIForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style(self)

    def add_error(self, field, error):
        super().add_error(field, error)
        mark_invalid(self)


class RecordField(forms.Field):
    """A link to one of the organization's records of a large table, typed as
    ``Name (prefix_id)`` (what its suggestions and its initial value show) or a bare id."""

    widget = forms.TextInput

    def __init__(self, queryset, *, kind: str, **kwargs):
        self.queryset = queryset  # already scoped to the organization
        self.kind = kind  # the suggestions endpoint's kind: contacts, companies, deals
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        """Suggestions as the user types: the matching records' ``Name (id)`` as the options
        of the input's datalist (``list``, set by the form: it knows the input's id)."""
        if widget.is_hidden:
            return super().widget_attrs(widget)
        return {
            **super().widget_attrs(widget),
            "autocomplete": "off",
            "hx-get": reverse("workspace:suggest", args=[self.kind]),
            "hx-trigger": "input changed delay:250ms",
            "hx-target": "next datalist",
            "hx-sync": "this:replace",
        }

    def prepare_value(self, value):
        if isinstance(value, models.Model):
            return f"{value.name} ({value.typeid})"
        return value

    def to_python(self, value):
        text = (value or "").strip()
        if not text:
            return None
        if text.endswith(")") and "(" in text:
            text = text[text.rindex("(") + 1 : -1].strip()
        model = self.queryset.model
        try:
            pk = ids.decode(model.type_prefix, text)
        except ids.InvalidId:
            pk = None
        obj = self.queryset.with_pks([pk]).first() if pk else None
        if obj is None:
            raise ValidationError(
                f"No {model._meta.verbose_name} “{text}” in this organization: pick one of the suggestions.",
                code="invalid_reference",
            )
        return obj

    def has_changed(self, initial, data):
        try:
            value = self.to_python(data)
        except ValidationError:
            return True
        initial_pk = getattr(initial, "pk", initial)
        return initial_pk != (value.pk if value is not None else None)


def _label(obj) -> str:
    return getattr(obj, "name", "") or str(obj)


class RecordForm(ServiceModelForm):
    """A create or edit form of a resource: ``RecordForm(data, instance=…, org=…, request=…,
    fixed={…})``. Subclasses set ``Meta`` (model, fields, widgets, labels) and ``writes``."""

    record_links = {"contact": "contacts", "company": "companies", "deal": "deals"}

    def __init__(self, *args, org, request, fixed=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.org, self.request, self.fixed = org, request, dict(fixed or {})
        for name, field in list(self.fields.items()):
            model_field = self._meta.model._meta.get_field(name)
            if model_field.has_default():
                field.required = False  # left empty: the service's default
            if name in self.record_links and model_field.is_relation:
                self.fields[name] = RecordField(
                    model_field.related_model.objects.for_org(org),
                    kind=self.record_links[name],
                    widget=forms.HiddenInput if field.widget.is_hidden else RecordField.widget,
                    label=field.label,
                    required=field.required,
                    help_text=field.help_text,
                )
                if not self.instance._state.adding:
                    self.initial[name] = getattr(self.instance, name)
            elif isinstance(field, forms.ModelChoiceField):  # small tables: a select
                field.queryset = field.queryset.model.objects.for_org(org)
                field.label_from_instance = _label
            elif isinstance(field, forms.DateTimeField):
                field.widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
            elif isinstance(field, forms.DateField):
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        style(self)
        for name, field in self.fields.items():
            widget = field.widget
            if isinstance(field, RecordField) and not widget.is_hidden:
                widget.attrs["list"] = f"{self.auto_id % self.add_prefix(name)}-options"

    def service_changes(self) -> dict:
        """A new record gets every value given (a preset kept as it was is still chosen), and
        the service's defaults for the fields left empty; an edit gets only what changed."""
        if self.instance._state.adding:  # left empty: the service's default
            changes = {
                name: value for name, value in self.cleaned_data.items() if value not in (None, "", [])
            }
        else:
            changes = super().service_changes()
        return {**self.fixed, **changes}

    def full_clean(self):
        super().full_clean()
        mark_invalid(self)


def submit(form: forms.Form, write):
    """A page's form sent to its service: ``write(cleaned_data)`` when ``form`` is valid, a
    refusal put on the form (``add_service_errors``). What ``write`` returned, or None when the
    form or the service refused (the page then shows the form again with its errors)."""
    if not form.is_valid():
        return None
    try:
        return write(form.cleaned_data)
    except REFUSED as exc:
        add_service_errors(form, exc)
        return None
