"""Admin for team members and API keys (organizations: ``rexcrm.workspace.admin``)."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm
from django.core.exceptions import ValidationError

from rexcrm.accounts.filtersets import ApiKeyFilterSet, UserFilterSet
from rexcrm.accounts.models import ApiKey, User
from rexcrm.accounts.services import apikey_create, apikey_revoke, member_create, member_set_active
from rexcrm.core.admin import OrgAdmin, add_service_errors, staff_org_id


class MemberCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "org", "is_staff"]


class MemberChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(OrgAdmin, DjangoUserAdmin):
    """Team members. Organization staff manage their organization's members (never a
    superuser, nor anyone's permissions); a superuser manages everyone."""

    add_form = MemberCreationForm
    form = MemberChangeForm
    filterset_class = UserFilterSet
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "org", "is_active", "is_staff", "last_login"]
    list_filter = ["is_active", "is_staff", "is_superuser", "org"]
    search_fields = ["email", "first_name", "last_name"]
    search_help_text = "Name or email, or a pasted user_… id."
    readonly_fields = ["last_login", "date_joined"]
    _person = (None, {"fields": ["prefixed_id", "email", "password", "first_name", "last_name"]})
    _dates = ("Important dates", {"fields": ["last_login", "date_joined"]})

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        return queryset if staff_org_id(request) is None else queryset.filter(is_superuser=False)

    def get_list_filter(self, request):
        names = super().get_list_filter(request)
        return names if staff_org_id(request) is None else [n for n in names if n != "is_superuser"]

    def get_fieldsets(self, request, obj=None):
        staff = staff_org_id(request) is not None
        if obj is None:
            fields = ["email", "password1", "password2", "is_staff"]
            return [(None, {"classes": ["wide"], "fields": fields if staff else ["org", *fields]})]
        if staff:
            return [self._person, ("Access", {"fields": ["is_active", "is_staff"]}), self._dates]
        access = ["org", "is_active", "is_staff", "is_superuser", "groups", "user_permissions"]
        return [self._person, ("Access", {"fields": access}), self._dates]

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            if "is_active" in form.changed_data and obj.org_id:
                # A deactivated member's API keys stop working at once, as from the settings page.
                member_set_active(org=obj.org, actor=request.user, member=obj, active=obj.is_active)
            return
        data = form.cleaned_data
        member = member_create(
            org=data.get("org") or request.user.org,
            actor=request.user,
            email=data["email"],
            password=data.get("password1"),
            is_staff=data.get("is_staff", False),
        )
        obj.pk, obj._state.adding = member.pk, False


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
