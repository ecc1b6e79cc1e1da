"""Settings of a member and of the team (``/settings/…``): the profile, team members and API
keys, and the one-time sign-in link (``/login/link/…``) a new member opens.

Who may do what: every member edits their own profile and sees the team; the organization's
administrators (members with ``is_staff``: the owner ``createorg`` makes, and whoever an
administrator makes one) add, deactivate and reactivate members, make them administrators or
not, and manage API keys.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth import login, update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.contrib.auth.password_validation import password_validators_help_text_html
from django.contrib.auth.tokens import default_token_generator
from django.contrib.auth.views import INTERNAL_RESET_SESSION_TOKEN
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.html import format_html
from django.utils.http import urlsafe_base64_encode
from django.views import View

from rexcrm.accounts import services
from rexcrm.accounts.choices import ApiKeyEnvironment, ApiKeyScope
from rexcrm.accounts.filtersets import ApiKeyFilterSet, UserFilterSet
from rexcrm.accounts.forms import TimeZoneField
from rexcrm.accounts.models import ApiKey, User
from rexcrm.core.exceptions import REFUSED, ConflictError
from rexcrm.core.forms import UIForm, add_service_errors, submit
from rexcrm.core.views import AdminOnly, Column, ListPageView, OrgView, object_or_404


def signin_link(request, member: User) -> str:
    """A one-time sign-in link for ``member``: Django's password-reset token, which stops working
    once used (it is bound to the password and the last sign-in, which using it changes) and
    after ``PASSWORD_RESET_TIMEOUT`` (3 days)."""
    uid = urlsafe_base64_encode(force_bytes(member.pk))
    token = default_token_generator.make_token(member)
    return request.build_absolute_uri(reverse("accounts:signin_link", args=[uid, token]))


# -- profile ---------------------------------------------------------------------------------------


class ProfileForm(UIForm):
    first_name = forms.CharField(label="First name", required=False, strip=False)
    last_name = forms.CharField(label="Last name", required=False, strip=False)
    time_zone = TimeZoneField()


def profile_initial(user) -> dict:
    return {"first_name": user.first_name, "last_name": user.last_name, "time_zone": user.time_zone}


class PasswordForm(UIForm):
    current_password = forms.CharField(
        label="Current password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    password = forms.CharField(
        label="New password",
        strip=False,
        help_text=password_validators_help_text_html(),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label="New password again",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_current_password(self):
        value = self.cleaned_data["current_password"]
        if not self.user.check_password(value):
            raise ValidationError("This is not your current password.", code="password_incorrect")
        return value

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") not in (None, data["password"]):
            self.add_error("password_again", "The two passwords differ.")
        return data


class ProfileView(OrgView):
    """``/settings/profile/``: name (POST here) and password (POST ``password/``)."""

    def get(self, request):
        user = request.user
        return self.page(request, ProfileForm(initial=profile_initial(user)), PasswordForm(user=user))

    def post(self, request):
        form = ProfileForm(request.POST)
        if submit(
            form,
            lambda data: services.member_update(
                org=self.org, actor=request.user, member=request.user, **data
            ),
        ):
            messages.success(request, "Profile saved.")
            return redirect("accounts:profile")
        return self.page(request, form, PasswordForm(user=request.user), status=400)

    def page(self, request, profile_form, password_form, status=200):
        context = {"section": "profile", "form": profile_form, "password_form": password_form}
        return render(request, "accounts/profile.html", context, status=status)


class PasswordView(ProfileView):
    def post(self, request):
        form = PasswordForm(request.POST, user=request.user)
        member = submit(
            form,
            lambda data: services.member_set_password(
                org=self.org, actor=request.user, member=request.user, password=data["password"]
            ),
        )
        if member:
            update_session_auth_hash(request, member)  # stay signed in here; other sessions end
            messages.success(request, "Password changed. Your other sessions are signed out.")
            return redirect("accounts:profile")
        return self.page(request, ProfileForm(initial=profile_initial(request.user)), form, status=400)


# -- team ------------------------------------------------------------------------------------------


class MemberForm(UIForm):
    email = forms.CharField(label="Email", widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    first_name = forms.CharField(label="First name", required=False, strip=False)
    last_name = forms.CharField(label="Last name", required=False, strip=False)
    is_staff = forms.BooleanField(
        label="Administrator",
        required=False,
        help_text="Administrators manage the team, API keys, pipelines and webhooks.",
    )
    sign_in = forms.ChoiceField(
        label="How they sign in the first time",
        choices=[
            ("link", "A one-time sign-in link (shown to you next; they choose their password)"),
            ("password", "An initial password I set now"),
        ],
        initial="link",
        widget=forms.RadioSelect,
    )
    password = forms.CharField(
        label="Initial password",
        required=False,
        strip=False,
        help_text=format_html("Only with an initial password. {}", password_validators_help_text_html()),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self):
        data = super().clean()
        if data.get("sign_in") == "password" and not data.get("password"):
            self.add_error("password", "Type the initial password, or choose a sign-in link.")
        return data


class TeamView(ListPageView):
    """``/settings/team/``: the members (everyone sees them); administrators add members here."""

    template_name = "accounts/team.html"
    filterset_class = UserFilterSet
    columns = (
        Column("Name"),
        Column("Email", "email"),
        Column("Role"),
        Column("Status"),
        Column("Last sign-in"),
        Column("Added", "created_at"),
    )
    filters = {"search": "Search", "is_active": "Active"}
    form = None

    def get_queryset(self):
        return User.objects.for_org(self.org)

    def filter_choices(self, name):
        if name == "is_active":
            return [("true", "Active"), ("false", "Deactivated")]
        return super().filter_choices(name)

    def get_context_data(self):
        form = self.form or (MemberForm() if self.request.user.is_staff else None)
        return {"section": "team", "add_form": form}

    def post(self, request):
        if not request.user.is_staff:
            raise PermissionDenied("Only the organization's administrators can add members.")
        form = MemberForm(request.POST)
        member = submit(
            form,
            lambda data: services.member_create(
                org=self.org,
                actor=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                is_staff=data["is_staff"],
                password=data["password"] if data["sign_in"] == "password" else None,
            ),
        )
        if member:
            link = signin_link(request, member) if form.cleaned_data["sign_in"] == "link" else None
            return render(
                request,
                "accounts/member_added.html",
                {"section": "team", "member": member, "link": link, "added": True},
                status=201,
            )
        self.form = form
        response = self.get(request)
        response.status_code = 400
        return response


class MemberActionView(AdminOnly, OrgView):
    """``POST /settings/team/<id>/<action>/``: deactivate, reactivate, make-admin, remove-admin, or
    a new sign-in link for a member who has never signed in (never for one who has: that would let an administrator
    take over a colleague's account)."""

    action = ""

    def post(self, request, id):
        member = object_or_404(User.objects.for_org(self.org), id)
        if self.action == "signin-link":
            if member.last_login is not None or not member.is_active:
                messages.error(request, f"{member.name} has signed in already: they use their own password.")
                return redirect("accounts:team")
            context = {"section": "team", "member": member, "link": signin_link(request, member)}
            return render(request, "accounts/member_added.html", context)
        change, value, what = {
            "deactivate": (
                services.member_set_active,
                {"active": False},
                "deactivated: they cannot sign in, and their API keys stop working",
            ),
            "reactivate": (services.member_set_active, {"active": True}, "reactivated"),
            "make-admin": (services.member_set_admin, {"admin": True}, "is an administrator now"),
            "remove-admin": (
                services.member_set_admin,
                {"admin": False},
                "is a member (not an administrator) now",
            ),
        }[self.action]
        try:
            change(org=self.org, actor=request.user, member=member, **value)
        except ConflictError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"{member.name} {what}.")
        return redirect("accounts:team")


class SignInLinkView(auth_views.PasswordResetConfirmView):
    """``/login/link/<uid>/<token>/``: a new member (or one an administrator gave a new link)
    chooses a password and is signed in. The link works once and expires (``signin_link``)."""

    template_name = "accounts/signin_link.html"
    post_reset_login = True
    success_url = "/"

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active and user.org_id else None

    def form_valid(self, form):
        member = form.user
        try:
            member = services.member_set_password(
                org=member.org, actor=member, member=member, password=form.cleaned_data["new_password1"]
            )
        except REFUSED as exc:
            add_service_errors(form, exc)
            return self.form_invalid(form)
        del self.request.session[INTERNAL_RESET_SESSION_TOKEN]
        login(self.request, member)  # a new last_login: the link is spent
        messages.success(self.request, "Welcome! Your password is set and you are signed in.")
        return redirect(self.success_url)


# -- API keys --------------------------------------------------------------------------------------


class ApiKeyForm(UIForm):
    name = forms.CharField(label="Name", required=False, strip=False, help_text="What uses it, e.g. Zapier.")
    scope = forms.ChoiceField(label="Scope", choices=ApiKeyScope.choices, initial=ApiKeyScope.READ_WRITE)
    environment = forms.ChoiceField(label="Environment", choices=ApiKeyEnvironment.choices)


class ApiKeysView(AdminOnly, ListPageView):
    """``/settings/api-keys/``: the organization's keys (never the raw key) and a form to create
    one; the raw key is shown once, on the page that answers the creation."""

    template_name = "accounts/api_keys.html"
    filterset_class = ApiKeyFilterSet
    columns = (
        Column("Name"),
        Column("Key"),
        Column("Scope"),
        Column("Created by"),
        Column("Created", "created_at"),
        Column("Last used"),
        Column("Status"),
        Column(""),
    )
    filters = {"revoked": "Status", "scope": "Scope"}
    form = None

    def get_queryset(self):
        return ApiKey.objects.for_org(self.org).select_related("created_by")

    def filter_choices(self, name):
        if name == "revoked":
            return [("false", "Working"), ("true", "Revoked")]
        return super().filter_choices(name)

    def get_context_data(self):
        return {"section": "api_keys", "add_form": self.form or ApiKeyForm()}

    def post(self, request):
        form = ApiKeyForm(request.POST)
        created = submit(form, lambda data: services.apikey_create(org=self.org, actor=request.user, **data))
        if created:
            context = {"section": "api_keys", "key": created[0], "raw": created[1]}
            return render(request, "accounts/api_key_created.html", context, status=201)
        self.form = form
        response = self.get(request)
        response.status_code = 400
        return response


class ApiKeyRevokeView(AdminOnly, OrgView):
    def post(self, request, id):
        key = object_or_404(ApiKey.objects.for_org(self.org), id)
        services.apikey_revoke(org=self.org, actor=request.user, key=key)
        messages.success(request, f"{key} revoked: it fails on its next request.")
        return redirect("accounts:api_keys")


class SettingsHomeView(View):
    def get(self, request):
        return redirect("accounts:profile")
