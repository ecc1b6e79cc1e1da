from django.urls import path
from django.views.decorators.cache import never_cache

from rexcrm.accounts import views

app_name = "accounts"
urlpatterns = [
    path("settings/", views.SettingsHomeView.as_view(), name="settings"),
    path("settings/profile/", views.ProfileView.as_view(), name="profile"),
    path("settings/profile/password/", views.PasswordView.as_view(), name="password"),
    # Pages that show a sign-in link or a raw key once are never cached.
    path("settings/team/", never_cache(views.TeamView.as_view()), name="team"),
    path(
        "settings/team/<str:id>/deactivate/",
        views.MemberActionView.as_view(action="deactivate"),
        name="member_deactivate",
    ),
    path(
        "settings/team/<str:id>/reactivate/",
        views.MemberActionView.as_view(action="reactivate"),
        name="member_reactivate",
    ),
    path(
        "settings/team/<str:id>/make-admin/",
        views.MemberActionView.as_view(action="make-admin"),
        name="member_make_admin",
    ),
    path(
        "settings/team/<str:id>/remove-admin/",
        views.MemberActionView.as_view(action="remove-admin"),
        name="member_remove_admin",
    ),
    path(
        "settings/team/<str:id>/signin-link/",
        never_cache(views.MemberActionView.as_view(action="signin-link")),
        name="member_signin_link",
    ),
    path("settings/api-keys/", never_cache(views.ApiKeysView.as_view()), name="api_keys"),
    path("settings/api-keys/<str:id>/revoke/", views.ApiKeyRevokeView.as_view(), name="api_key_revoke"),
    path("login/link/<uidb64>/<token>/", views.SignInLinkView.as_view(), name="signin_link"),
]
