from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import BaseUserCreationForm, UserChangeForm

from rexcrm.accounts.models import ApiKey, User
from rexcrm.accounts.services import apikey_revoke, member_set_active


class MemberCreationForm(BaseUserCreationForm):
    class Meta:
        model = User
        fields = ["email", "org"]


class MemberChangeForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    add_form = MemberCreationForm
    form = MemberChangeForm
    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "org", "is_active", "is_staff"]
    list_filter = ["is_active", "is_staff", "org"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = [
        (None, {"fields": ["email", "password", "org"]}),
        ("Personal info", {"fields": ["first_name", "last_name"]}),
        ("Permissions", {"fields": ["is_active", "is_staff", "is_superuser", "groups", "user_permissions"]}),
        ("Important dates", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["email", "org", "password1", "password2"]})]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "is_active" in form.changed_data and obj.org_id:
            # A deactivated member's API keys stop working at once, as from the settings page.
            member_set_active(org=obj.org, actor=request.user, member=obj, active=obj.is_active)


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are created by the API or ``manage.py createapikey`` (the raw key is shown once)."""

    list_display = [
        "name",
        "org",
        "scope",
        "environment",
        "last4",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["scope", "environment", "org"]
    readonly_fields = [f.name for f in ApiKey._meta.fields]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for key in queryset.select_related("org"):
            apikey_revoke(org=key.org, actor=request.user, key=key)
