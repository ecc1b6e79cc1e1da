import factory
from django.utils import timezone

from rexcrm.accounts.models import ApiKey, Organization, User


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Organization {n}")


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    org = factory.SubFactory(OrganizationFactory)
    email = factory.Sequence(lambda n: f"member{n}@example.com")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    password = factory.django.Password("pw-123456")


class ApiKeyFactory(factory.django.DjangoModelFactory):
    """A key row as stored (a hash of no real key): for lists; tests that call the API with a
    key use the ``make_api`` fixture."""

    class Meta:
        model = ApiKey

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Key {n}")
    key_hash = factory.Sequence(lambda n: f"{n:064x}")
    last4 = factory.Sequence(lambda n: f"{n % 10000:04d}")


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contacts.Company"

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Faker("company")
    domain = factory.Sequence(lambda n: f"company{n}.example")


class ContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "contacts.Contact"

    org = factory.SubFactory(OrganizationFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.Sequence(lambda n: f"contact{n}@example.com")


class PipelineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "deals.Pipeline"

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Pipeline {n}")


class StageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "deals.Stage"

    pipeline = factory.SubFactory(PipelineFactory)
    org = factory.SelfAttribute("pipeline.org")
    name = factory.Sequence(lambda n: f"Stage {n}")
    position = factory.Sequence(lambda n: n)


class DealFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "deals.Deal"

    org = factory.SubFactory(OrganizationFactory)
    pipeline = factory.SubFactory(PipelineFactory, org=factory.SelfAttribute("..org"))
    stage = factory.SubFactory(StageFactory, pipeline=factory.SelfAttribute("..pipeline"))
    name = factory.Sequence(lambda n: f"Deal {n}")


class DealStageChangeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "deals.DealStageChange"

    deal = factory.SubFactory(DealFactory)
    org = factory.SelfAttribute("deal.org")
    from_stage = factory.SelfAttribute("deal.stage")
    to_stage = factory.SelfAttribute("deal.stage")
    changed_at = factory.LazyFunction(timezone.now)


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "deals.Product"

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Product {n}")
    slug = factory.Sequence(lambda n: f"product-{n}")


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "activities.Activity"

    org = factory.SubFactory(OrganizationFactory)
    type = "note"
    subject = factory.Sequence(lambda n: f"Activity {n}")


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "activities.Task"

    org = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Task {n}")


class WebhookFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "events.Webhook"

    org = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Webhook {n}")
    url = factory.Sequence(lambda n: f"https://hooks.example.com/{n}")
    secret = "whsec_factory_secret_0123456789"


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "events.Event"

    org = factory.SubFactory(OrganizationFactory)
    webhook = None  # a ping's event names its webhook; a change's does not
    type = "contact.created"
    data = "{}"


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "events.Delivery"

    org = factory.SubFactory(OrganizationFactory)
    webhook = factory.SubFactory(WebhookFactory, org=factory.SelfAttribute("..org"))
    event = factory.SubFactory(EventFactory, org=factory.SelfAttribute("..org"))
    attempt = 1
    status = "succeeded"
    status_code = 200
    duration_ms = 12


FACTORIES = {  # model -> its factory above
    factory_class._meta.get_model_class(): factory_class
    for factory_class in factory.django.DjangoModelFactory.__subclasses__()
    if factory_class.__module__ == __name__
}


def factory_for(model):
    """The factory of ``model`` above (every model the API lists must have one)."""
    try:
        return FACTORIES[model]
    except KeyError:
        raise LookupError(f"No factory for {model.__name__}: add one to tests/factories.py.") from None
