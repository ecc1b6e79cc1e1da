import factory

from rexcrm.accounts.models import Organization, User


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
