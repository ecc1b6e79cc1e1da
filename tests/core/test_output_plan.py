"""The fast output path renders exactly what DRF's serializer would, for every resource, and a
serializer field it cannot render is an error when the serializer class is defined."""

import orjson
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules
from rest_framework import serializers

from contacts.api.serializers import CompanySerializer
from contacts.models import Contact
from rexcrm.accounts.services import apikey_create
from rexcrm.core.api.renderers import dumps
from rexcrm.core.api.serializers import ResourceSerializer
from tests.factories import ActivityFactory, CompanyFactory, ContactFactory, DealFactory, UserFactory
from tests.helpers.routes import VIEWSETS


@pytest.fixture
def samples(org):
    """One stored object per model, with every optional value set (extend with each resource)."""
    user = UserFactory(org=org)
    key, _ = apikey_create(actor=None, org=org, name="k", scope="read")
    key.last_used_at = timezone.now()
    key.save()
    company = CompanyFactory(
        org=org,
        industry="Software",
        size="51-200",
        website="https://acme.example",
        phone="+1 555 0100",
        description="Makes anvils.",
        address={"street": "1 Main St", "city": "Springfield", "country": "US"},
        owner=user,
        metadata={"tier": 1},
        last_activity_at=timezone.now(),
    )
    contact = ContactFactory(
        org=org,
        phone="+1 555 0101",
        title="CTO",
        linkedin_url="https://www.linkedin.com/in/ada",
        stage="customer",
        source="referral",
        source_detail="Spring campaign",
        company=company,
        owner=user,
        icp_score=87,
        icp_score_reason="Fits the profile",
        icp_scored_at=timezone.now(),
        metadata={"plan": "pro", "seats": [1, 2]},
        last_activity_at=timezone.now(),
        next_task_due_at=timezone.now(),
    )
    deal = DealFactory(org=org, contact=contact, company=company, owner=user, value=12345)
    activity = ActivityFactory(
        org=org,
        contact=contact,
        company=company,
        deal=deal,
        owner=user,
        duration=60,
        direction="inbound",
        external_id="e-1",
        metadata={"a": [1, 2]},
        confidence_score=0.5,
        model="m",
        generated_by="agent",
    )
    return {
        type(obj): obj
        for obj in [
            user,
            key,
            company,
            contact,
            deal,
            activity,
            *deals_samples(org, user),
            *events_samples(org),
        ]
    }


def events_samples(org):
    """A webhook, the latest event (recorded by the services above) and a failed delivery of it."""
    from rexcrm.events.models import Delivery, Event
    from rexcrm.events.services import webhook_create

    webhook = webhook_create(
        org=org, actor=None, name="Sync", url="https://hooks.example.com/rex", event_types=["deal.*"],
        metadata={"team": "ops"},
    )  # fmt: skip
    event = Event.objects.for_org(org).order_by("-id").first()
    delivery = Delivery.objects.create(
        org=org, webhook=webhook, event=event, attempt=2, status="failed", status_code=500, duration_ms=12,
        error="HTTP 500", next_retry_at=timezone.now(),
    )  # fmt: skip
    return [webhook, event, delivery]


def deals_samples(org, user):
    """A pipeline, a closed deal with products and every link, its history row, a product."""
    import datetime

    from activities.services import task_create
    from deals import services as deals_services
    from tests.factories import CompanyFactory, ContactFactory

    pipeline = deals_services.pipeline_default(org=org)
    stages = list(pipeline.stages.order_by("position"))
    products = [
        deals_services.product_create(
            actor=None,
            org=org,
            name=f"Plan {n}",
            slug=f"plan-{n}",
            description="d",
            price=100 * n,
            metadata={"n": n},
        )
        for n in range(2)
    ]
    deal = deals_services.deal_create(
        actor=None,
        org=org,
        name="Big deal",
        contact=ContactFactory(org=org),
        company=CompanyFactory(org=org),
        owner=user,
        value=123_45,
        currency="EUR",
        expected_close=datetime.date(2026, 5, 1),
        source="referral",
        lost_reason="",
        metadata={"a": {"b": 1}},
        products=products,
    )
    deal = deals_services.deal_move_stage(org=deal.org, deal=deal, stage=stages[-2], actor=user)
    task = task_create(
        actor=None,
        org=org,
        title="Call back",
        description="About the plan",
        contact=deal.contact,
        company=deal.company,
        deal=deal,
        owner=user,
        due_at=timezone.now() - datetime.timedelta(days=1),
        priority="high",
        metadata={"k": "v"},
    )
    return [pipeline, deal, deal.stage_changes.get(), products[0], task]


def test_plan_matches_drf_representation(samples):
    serializers = {viewset.serializer_class for viewset in VIEWSETS}
    assert serializers
    for serializer_class in serializers:
        model = serializer_class.Meta.model
        instance = samples[model]
        instance.refresh_from_db()
        plan = serializer_class.output_plan()
        row = model.objects.filter(pk=instance.pk).values_list(*plan.columns).get()
        fast = orjson.loads(dumps(plan.render(row)))
        slow = orjson.loads(dumps(serializer_class(instance).data))
        assert fast == slow, serializer_class.__name__
        assert list(fast) == list(serializer_class.readable_field_names())


def test_sparse_plan_selects_only_needed_columns():
    from rexcrm.accounts.api.serializers import UserSerializer

    plan = UserSerializer.output_plan(frozenset({"id", "email"}))
    assert plan.columns == ["id", "email"]
    plan = UserSerializer.output_plan(frozenset({"id", "name"}), extra_columns=("created_at", "id"))
    assert plan.columns == ["id", "first_name", "last_name", "email", "created_at"]


def all_subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from all_subclasses(subclass)


def test_every_serializer_compiles_its_plan_when_defined():
    autodiscover_modules("api.serializers")  # a field a plan cannot render fails this import
    defined = {
        cls for cls in all_subclasses(ResourceSerializer) if cls.__module__.endswith(".api.serializers")
    }
    assert {viewset.serializer_class for viewset in VIEWSETS} <= defined
    assert all(cls.output_plan().columns for cls in defined)


class Shouting(serializers.CharField):
    def to_representation(self, value):
        return value.upper()


@pytest.mark.parametrize(
    ("field", "problem"),
    [
        pytest.param(serializers.SerializerMethodField(), "a SerializerMethodField", id="method"),
        pytest.param(CompanySerializer(source="company", read_only=True), "a CompanySerializer", id="nested"),
        pytest.param(
            CompanySerializer(source="company", many=True, read_only=True),
            "a ListSerializer",
            id="nested-many",
        ),
        pytest.param(
            serializers.PrimaryKeyRelatedField(source="company", read_only=True),
            "a PrimaryKeyRelatedField",
            id="related",
        ),
        pytest.param(serializers.ReadOnlyField(source="*"), "a ReadOnlyField", id="read-only-whole-object"),
        pytest.param(
            serializers.CharField(source="*", read_only=True), "a CharField with source='*'", id="star"
        ),
        pytest.param(
            serializers.CharField(source="company.name", read_only=True),
            "a CharField with source='company.name', which would read a related object per row",
            id="dotted",
        ),
        pytest.param(
            serializers.CharField(source="typeid"),
            "a CharField over 'typeid', which is not a plain column of Contact",
            id="property",
        ),
        pytest.param(
            serializers.CharField(source="company"),
            "a CharField over 'company', which is not a plain column of Contact",
            id="foreign-key",
        ),
        pytest.param(
            Shouting(source="email"),
            "a Shouting, which changes the value in to_representation",
            id="converts",
        ),
    ],
)
def test_a_field_the_plan_cannot_render_fails_when_the_serializer_is_defined(field, problem):
    with pytest.raises(ImproperlyConfigured) as error:

        class ContactExtraSerializer(ResourceSerializer):
            extra = field

            class Meta:
                model = Contact
                fields = ["id", "email", "extra"]

    assert str(error.value) == (
        f"ContactExtraSerializer.extra: the output plan cannot render {problem}. Declare it as a "
        "ComputedField (a value computed from columns of the row), a BatchedField (a value from one "
        "query per page) or a RefField (a link to another object)."
    )


def test_a_relation_in_meta_fields_fails_too():
    with pytest.raises(
        ImproperlyConfigured, match=r"ContactLinkSerializer\.company: .* PrimaryKeyRelatedField"
    ):

        class ContactLinkSerializer(ResourceSerializer):
            class Meta:
                model = Contact
                fields = ["id", "company"]


def test_write_only_fields_need_no_plan():
    class ContactInputSerializer(ResourceSerializer):
        secret = serializers.CharField(write_only=True)

        class Meta:
            model = Contact
            fields = ["id", "email", "secret"]

    assert ContactInputSerializer.output_plan().columns == ["id", "email"]


def test_a_plan_renders_a_page_with_one_now_and_converts_no_null(monkeypatch):
    """A ``now=True`` computed field gets the same ``clock.now()`` for every row of a page (read
    once), a one-column converter is not called for None, ids are encoded inline."""
    import datetime
    import uuid

    from rexcrm.core import clock, ids
    from rexcrm.core.api.fields import ComputedField, RefField
    from rexcrm.core.api.serializers import OutputPlan

    moment = datetime.datetime(2026, 3, 16, tzinfo=datetime.UTC)
    calls = []
    monkeypatch.setattr(clock, "now", lambda: calls.append(1) or moment)
    age = ComputedField(columns=("a",), func=lambda a, now: (now - a).days, schema={}, now=True)
    both = ComputedField(columns=("a", "b"), func=lambda a, b, now: (a, b, now), schema={}, now=True)
    ref = RefField(Contact)
    plan = OutputPlan(
        [
            ("id", ("id",), ids.Encoder("act")),
            ("contact_id", ("c",), ref.plan_convert()),
            ("age", ("a",), age.plan_convert()),
            ("both", ("a", "b"), both.plan_convert()),
        ]
    )
    a, b = uuid.UUID(int=1), uuid.UUID(int=2)
    day = moment - datetime.timedelta(days=3)
    rows = [(a, b, day, None), (b, None, None, 7)]
    assert plan.render_rows(rows) == [
        {
            "id": ids.encode("act", a),
            "contact_id": ids.encode("cont", b),
            "age": 3,
            "both": (day, None, moment),
        },
        {"id": ids.encode("act", b), "contact_id": None, "age": None, "both": (None, 7, moment)},
    ]
    assert len(calls) == 1
