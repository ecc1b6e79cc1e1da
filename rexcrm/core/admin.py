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

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect

from rexcrm.core.exceptions import ConflictError
from rexcrm.core.services import Writes, api_name


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
        except (ValidationError, ConflictError) as exc:
            add_service_errors(self, exc)


class ServiceAdmin(admin.ModelAdmin):
    """Base of the admin of every resource with services (see the module's docstring)."""

    writes: Writes
    form = ServiceModelForm

    def get_fields(self, request, obj=None):
        """The model's ``editable_fields`` (a superuser also picks the organization of a new
        object; anyone else creates in their own), then the read-only ones."""
        many_to_many = {field.name for field in self.model._meta.many_to_many}
        editable = [name for name in self.model.editable_fields if name not in many_to_many]
        org = ["org"] if obj is None and request.user.is_superuser else []
        return [*org, *editable, *self.get_readonly_fields(request, obj)]

    def get_form(self, request, obj=None, change=False, **kwargs):
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
        except (ValidationError, ConflictError) as exc:
            self._refused(request, exc)
            return HttpResponseRedirect(request.path.removesuffix("delete/") + "change/")

    def response_action(self, request, queryset, *args, **kwargs):
        try:
            with transaction.atomic():
                return super().response_action(request, queryset, *args, **kwargs)
        except (ValidationError, ConflictError) as exc:
            self._refused(request, exc)
            return HttpResponseRedirect(request.get_full_path())

    def _refused(self, request, exc) -> None:
        self.message_user(request, "Not done: " + " ".join(service_error_messages(exc)), messages.ERROR)
