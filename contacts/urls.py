from django.urls import path

from contacts import views

app_name = "contacts"
urlpatterns = [
    path("contacts/", views.ContactListView.as_view(), name="contact_list"),
    path("contacts/new/", views.ContactFormView.as_view(), name="contact_new"),
    path("contacts/<str:id>/edit/", views.ContactFormView.as_view(), name="contact_edit"),
    path("companies/", views.CompanyListView.as_view(), name="company_list"),
    path("companies/new/", views.CompanyFormView.as_view(), name="company_new"),
    path("companies/<str:id>/edit/", views.CompanyFormView.as_view(), name="company_edit"),
    path("contacts/export.csv", views.ContactExportView.as_view(), name="contact_export"),
    path("companies/export.csv", views.CompanyExportView.as_view(), name="company_export"),
]
