from django.contrib.auth import views as auth_views
from django.urls import path

from rexcrm.workspace import views

app_name = "workspace"
urlpatterns = [
    path("", views.TodayView.as_view(), name="today"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("search/", views.SearchView.as_view(), name="search"),
    path("suggest/<str:kind>/", views.SuggestView.as_view(), name="suggest"),
    path("contacts/<str:id>/", views.ContactDetailView.as_view(), name="contact_detail"),
    path(
        "contacts/<str:id>/timeline/", views.ContactDetailView.as_view(fragment=True), name="contact_timeline"
    ),
    path("companies/<str:id>/", views.CompanyDetailView.as_view(), name="company_detail"),
    path(
        "companies/<str:id>/timeline/",
        views.CompanyDetailView.as_view(fragment=True),
        name="company_timeline",
    ),
    path("deals/<str:id>/", views.DealDetailView.as_view(), name="deal_detail"),
    path("deals/<str:id>/timeline/", views.DealDetailView.as_view(fragment=True), name="deal_timeline"),
]
