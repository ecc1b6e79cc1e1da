"""Forms of the web UI: Tabler's classes on every widget, ``is-invalid`` on fields with errors
(rendered by ``templates/_partials/form_field.html``), and a service's refusal next to the
field it names (``add_service_errors``: the API's field names are the form's)."""

from django import forms

from rexcrm.core.admin import add_service_errors

__all__ = ["UIForm", "add_service_errors"]


class UIForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.CheckboxInput | forms.RadioSelect):
                css = "form-check-input"
            elif isinstance(widget, forms.Select):
                css = "form-select"
            else:
                css = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs["class"]:
                    attrs["class"] += " is-invalid"
