from django.urls import path

from contacts import views

app_name = "contacts"
urlpatterns = [
    path("contacts/", views.ContactListView.as_view(), name="contact_list"),
    path("companies/", views.CompanyListView.as_view(), name="company_list"),
    path("contacts/export.csv", views.ContactExportView.as_view(), name="contact_export"),
    path("companies/export.csv", views.CompanyExportView.as_view(), name="company_export"),
]
