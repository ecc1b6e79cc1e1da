from django.urls import path

from imports import views

app_name = "imports"
urlpatterns = [
    path("imports/new/", views.ImportNewView.as_view(), name="new"),
    path("imports/<str:id>/", views.ImportDetailView.as_view(), name="detail"),
    path("imports/<str:id>/errors.csv", views.ImportErrorsView.as_view(), name="errors"),
]
