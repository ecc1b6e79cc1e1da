"""Admin for team members and API keys (organizations: ``rexcrm.workspace.admin``)."""

import copy

from django import forms
from django.contrib import admin
from django.contrib.admin import forms as admin_forms
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, ReadOnlyPasswordHashField, SetPasswordMixin
from django.core.exceptions import ValidationError
from django.db import transaction

from rexcrm.accounts.filtersets import ApiKeyFilterSet, UserFilterSet
from rexcrm.accounts.forms import TimeZoneField
from rexcrm.accounts.models import ApiKey, User
from rexcrm.accounts.services import (
    apikey_create,
    apikey_revoke,
    member_create,
    member_set_active,
    member_set_admin,
    member_set_password,
    member_update,
    user_set_superuser,
)
from rexcrm.core.admin import OrgAdmin, ServiceModelForm, add_service_errors, staff_org_id
from rexcrm.core.exceptions import REFUSED


def add_password_errors(form, exc, field: str) -> None:
    """A service's refusal on ``form``, its ``password`` errors next to the form's ``field``."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict") and "password" in exc.error_dict:
        exc = ValidationError({(field if k == "password" else k): v for k, v in exc.error_dict.items()})
    add_service_errors(form, exc)


class MemberAddForm(SetPasswordMixin, ServiceModelForm):
    """A new member through ``member_create`` (its email, name, time zone and password rules);
    the organization is the staff member's own, or one a superuser picks."""

    password1, password2 = SetPasswordMixin.create_password_fields()

    class Meta:
        model = User
        fields = ["org", "email", "first_name", "last_name", "time_zone", "is_staff"]
        field_classes = {"time_zone": TimeZoneField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "org" in self.fields:
            self.fields["org"].required = True  # a member belongs to an organization

    def clean(self):
        self.validate_passwords()  # the two must match; the service checks the password itself
        return super().clean()

    def _post_clean(self):
        if self._errors:
            return
        data = self.cleaned_data
        try:
            self.instance = member_create(
                org=data.get("org") or self.org,
                actor=self.request.user,
                email=data["email"],
                password=data["password1"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                time_zone=data["time_zone"],
                is_staff=data["is_staff"],
            )
        except REFUSED as exc:
            add_password_errors(self, exc, "password1")


class MemberChangeForm(ServiceModelForm):
    """A member's changes, each through its service in one transaction: name and time zone
    (``member_update``), administrator or not (``member_set_admin``), superuser or not
    (``user_set_superuser``: superusers only), active or not (``member_set_active``: their
    API keys follow). Email and organization are set once, when the member is added."""

    password = ReadOnlyPasswordHashField(label="Password", help_text="Only a hash is stored.")

    class Meta:
        model = User
        fields = ["first_name", "last_name", "time_zone", "is_active", "is_staff", "is_superuser"]
        field_classes = {"time_zone": TimeZoneField}

    def _post_clean(self):
        if self._errors:
            return
        actor, member, data = self.request.user, self.instance, self.cleaned_data
        changed = set(self.changed_data)
        profile = {name: data[name] for name in User.editable_fields if name in changed}
        try:
            with transaction.atomic():
                if profile:
                    member = member_update(org=member.org, actor=actor, member=member, **profile)
                if "is_staff" in changed:
                    member = member_set_admin(
                        org=member.org, actor=actor, member=member, admin=data["is_staff"]
                    )
                if "is_superuser" in changed:
                    member = user_set_superuser(actor=actor, user=member, superuser=data["is_superuser"])
                if "is_active" in changed:
                    member = member_set_active(
                        org=member.org, actor=actor, member=member, active=data["is_active"]
                    )
        except REFUSED as exc:
            add_service_errors(self, exc)
            return
        self.instance = member


class ServicePasswordMixin:
    """A password form saved by ``member_set_password`` when it validates (the service's
    password validation, the member's other sessions end); a refusal is a form error."""

    password_field = "password1"
    confirm_field = "password2"

    def password_actor(self):
        raise NotImplementedError

    def validate_password_for_user(self, user, *args, **kwargs):
        """The service validates the password (one rule)."""

    def _post_clean(self):
        super()._post_clean()
        if self._errors:
            return
        try:
            self.user = member_set_password(
                org=self.user.org,
                actor=self.password_actor(),
                member=self.user,
                password=self.cleaned_data[self.password_field],
            )
        except REFUSED as exc:
            add_password_errors(self, exc, self.confirm_field)

    def save(self, commit=True):
        """Nothing left to do: the form saved through the service when it validated."""
        return self.user


class MemberPasswordForm(ServicePasswordMixin, AdminPasswordChangeForm):
    """A member's password page in the admin. No "disable password sign-in" choice: no service
    has it."""

    actor = None  # the administrator acting: bound per request by ``UserAdmin``

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields.pop("usable_password", None)
        self.fields["password1"].required = self.fields["password2"].required = True

    def password_actor(self):
        return self.actor


class OwnPasswordForm(ServicePasswordMixin, admin_forms.AdminPasswordChangeForm):
    """The admin's "Change password" (one's own): the current password checked by Django's
    form first."""

    password_field = "new_password1"
    confirm_field = "new_password2"

    def password_actor(self):
        return self.user


admin.site.password_change_form = OwnPasswordForm


@admin.register(User)
class UserAdmin(OrgAdmin, DjangoUserAdmin):
    """Team members, added and changed through the member services. Organization staff manage
    their organization's members (never a superuser); a superuser manages everyone and also
    makes superusers. Members are deactivated, never deleted (their records keep their owner)."""

    add_form = MemberAddForm
    form = MemberChangeForm
    change_password_form = MemberPasswordForm
    filterset_class = UserFilterSet
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "org", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "org"]
    search_fields = ["email", "first_name", "last_name"]
    search_help_text = "Name or email, or a pasted user_… id."
    readonly_fields = ["email", "org", "last_login", "date_joined"]
    filter_horizontal = []
    _person = (None, {"fields": ["prefixed_id", "email", "password", "first_name", "last_name", "time_zone"]})
    _dates = ("Important dates", {"fields": ["last_login", "date_joined"]})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if staff_org_id(request) is None else queryset.filter(is_superuser=False)

    def get_list_filter(self, request):
        names = super().get_list_filter(request)
        return names if staff_org_id(request) is None else [n for n in names if n != "is_superuser"]

    def get_readonly_fields(self, request, obj=None):
        names = super().get_readonly_fields(request, obj)
        return [name for name in names if name not in ("email", "org")] if obj is None else names

    def get_fieldsets(self, request, obj=None):
        staff = staff_org_id(request) is not None
        if obj is None:
            fields = ["email", "first_name", "last_name", "time_zone", "password1", "password2", "is_staff"]
            return [(None, {"classes": ["wide"], "fields": fields if staff else ["org", *fields]})]
        access = ["is_active", "is_staff"] if staff else ["org", "is_active", "is_staff", "is_superuser"]
        return [self._person, ("Access", {"fields": access}), self._dates]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        org = getattr(request.user, "org", None)
        return type(form.__name__, (form,), {"request": request, "org": org})

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Nothing left to do: the form saved through the services when it validated."""

    def user_change_password(self, request, id, form_url=""):
        """Django's password page, its form bound to the administrator acting (the service's
        actor) on a copy of this admin, so concurrent requests never share it."""
        bound = copy.copy(self)
        bound.change_password_form = type(
            "MemberPasswordForm", (MemberPasswordForm,), {"actor": request.user}
        )
        return DjangoUserAdmin.user_change_password(bound, request, id, form_url)


# -- API keys --------------------------------------------------------------------------------


class ApiKeyAddForm(forms.ModelForm):
    """A new key through ``apikey_create``; its raw key is shown on the next page only."""

    request = None

    class Meta:
        model = ApiKey
        fields = ["org", "name", "scope", "environment"]

    def _post_clean(self):
        if self._errors:
            return
        fields = {name: self.cleaned_data[name] for name in ("name", "scope", "environment")}
        org = self.cleaned_data.get("org") or self.request.user.org
        try:
            self.instance, raw = apikey_create(org=org, actor=self.request.user, **fields)
        except ValidationError as exc:
            add_service_errors(self, exc)
            return
        self.instance.raw_key = raw


@admin.register(ApiKey)
class ApiKeyAdmin(OrgAdmin):
    """Keys are added here (the raw key shown once, only its hash stored) and revoked; a key
    is never edited or deleted (revoked keys stay listed, as on the API)."""

    add_form = ApiKeyAddForm
    filterset_class = ApiKeyFilterSet
    list_display = ["name", "org", "scope", "environment", "last4", "created_by", "created_at", "last_used_at", "revoked_at"]  # fmt: skip
    list_filter = ["scope", "environment", ("revoked_at", admin.EmptyFieldListFilter), "org"]
    search_fields = ["name", "last4"]
    search_help_text = "Name, the key's last four characters, or a pasted key_… id."
    date_hierarchy = "created_at"
    actions = [*OrgAdmin.actions, "revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            org = ["org"] if staff_org_id(request) is None else []
            return [*org, "name", "scope", "environment"]
        return ["prefixed_id", "name", "org", "scope", "environment", "last4", "created_by", "created_at", "last_used_at", "revoked_at"]  # fmt: skip

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = self.add_form
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"request": request})

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Nothing left to do: the form created the key through the service."""

    def response_add(self, request, obj, post_url_continue=None):
        return self.shown_once(request, obj, label="API key", secret=obj.raw_key)

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        keys = list(queryset.select_related("org"))
        for key in keys:
            apikey_revoke(org=key.org, actor=request.user, key=key)
        self.message_user(request, f"Revoked {len(keys)} key(s): they fail on their next request.")
