from django.apps import AppConfig


class ContactsConfig(AppConfig):
    name = "contacts"
    verbose_name = "Contacts and companies"

    def ready(self):
        # Events render contacts and companies in their API shape.
        from contacts.api.serializers import CompanySerializer, ContactSerializer
        from contacts.models import Company, Contact
        from rexcrm.events import outbox

        outbox.register(Contact, ContactSerializer)
        outbox.register(Company, CompanySerializer)
