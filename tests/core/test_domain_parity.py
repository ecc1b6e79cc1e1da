"""The services refuse exactly what the API refuses, in the same words.

One table per resource: each bad input goes once through the API (JSON, as a client sends it)
and once straight to the service (Python values, as the admin, the UI, an import or the shell
pass them), and the two errors must be equal: status (400 or 409), code, and the messages
keyed by field. The API's serializers only translate the wire, so the domain decides both.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError

from activities import services as activity_services
from contacts import services as contact_services
from deals import services as deal_services
from rexcrm.accounts import services as account_services
from rexcrm.core import ids
from rexcrm.core.api.errors import from_service_error, validation_error_parts
from rexcrm.core.exceptions import ConflictError
from tests.conftest import error_of
from tests.factories import CompanyFactory, ContactFactory, UserFactory


def tid(obj) -> str:
    return ids.encode(obj.type_prefix, obj.pk)


def api_error(response) -> tuple:
    error = error_of(response)
    return response.status_code, error["code"], error.get("fields"), error.get("existing_id")


def service_error(call) -> tuple:
    try:
        call()
    except ValidationError as exc:
        code, _, fields = validation_error_parts(from_service_error(exc).detail)
        return 400, code, fields, None
    except ConflictError as exc:
        existing = exc.existing.typeid if exc.existing is not None else None
        return 409, "conflict", {exc.field: [exc.message]} if exc.field else None, existing
    raise AssertionError("the service accepted it")


def to_python(body: dict) -> dict:
    """A JSON body as service keyword arguments: ``x_id`` TypeIDs become the objects, lists of
    ids (``product_ids``) lists of objects, ISO times datetimes."""
    fields = {}
    for key, value in body.items():
        if key.endswith("_id") and value in OBJECTS:
            fields[key.removesuffix("_id")] = OBJECTS[value]
        elif key.endswith("_ids") and isinstance(value, list):
            fields[key.removesuffix("_ids") + "s"] = [OBJECTS[text] for text in value]
        elif key.endswith("_at") and isinstance(value, str):
            fields[key] = datetime.datetime.fromisoformat(value)
        else:
            fields[key] = value
    return fields


OBJECTS: dict = {}  # TypeID -> object, for to_python


def remember(obj):
    OBJECTS[tid(obj)] = obj
    return tid(obj)


@pytest.fixture
def refs(org, other_org):
    """Objects of this and of another organization, by TypeID."""
    OBJECTS.clear()
    pipeline = deal_services.pipeline_default(org=org)
    other_pipeline = deal_services.pipeline_create(
        org=org, actor=None, name="Renewals", stages=[{"name": "Open"}, {"name": "Won", "type": "won"}]
    )
    stages = list(pipeline.stages.order_by("position"))
    foreign_pipeline = deal_services.pipeline_default(org=other_org)
    return {
        "pipeline": remember(pipeline),
        "won_stage": remember(stages[4]),
        "other_pipeline": remember(other_pipeline),
        "other_pipeline_stage": remember(other_pipeline.stages.order_by("position").first()),
        "foreign_contact": remember(ContactFactory(org=other_org)),
        "foreign_company": remember(CompanyFactory(org=other_org)),
        "foreign_user": remember(UserFactory(org=other_org)),
        "foreign_stage": remember(foreign_pipeline.stages.first()),
        "foreign_product": remember(
            deal_services.product_create(org=other_org, actor=None, name="P", slug="p")
        ),
        "foreign_deal": remember(
            deal_services.deal_create(org=other_org, actor=None, name="Theirs", pipeline=foreign_pipeline)
        ),
    }


def check(api, path, service, org, body):
    """The API and the service refuse ``body`` alike, and neither stores anything."""
    expected = service_error(lambda: service(org=org, actor=None, **to_python(body)))
    assert api_error(api.post(path, body)) == expected


# -- contacts and companies --------------------------------------------------------------------

CONTACT_CASES = [
    {"email": "nope"},
    {"email": ""},
    {"email": "   "},
    {"email": "a" * 250 + "@x.io"},
    {"email": "ada@example.com", "first_name": "x" * 151},
    {"email": "ada@example.com", "stage": "vip"},
    {"email": "ada@example.com", "source": "tv"},
    {"email": "ada@example.com", "linkedin_url": "not a url"},
    {"email": "ada@example.com", "icp_score": 101},
    {"email": "ada@example.com", "icp_score": -1},
    {"email": "ada@example.com", "metadata": {"k": "v" * 17000}},
    {"email": "ada@example.com", "metadata": {"a": {"b": {"c": {"d": {"e": {"f": 1}}}}}}},
    {"email": "nope", "stage": "vip", "icp_score": 300},  # every problem at once
    {"email": "ada@example.com", "company_id": "foreign_company"},
    {"email": "ada@example.com", "owner_id": "foreign_user"},
    {"email": "TAKEN@example.com"},  # 409, naming the contact that has it
]


def resolve(body: dict, refs: dict) -> dict:
    return {
        key: ([refs.get(v, v) for v in value] if isinstance(value, list) else refs.get(value, value))
        if isinstance(value, (str, list))
        else value
        for key, value in body.items()
    }


@pytest.mark.parametrize("body", CONTACT_CASES)
def test_contacts(api, org, refs, body):
    remember(contact_services.contact_create(org=org, actor=None, email="taken@example.com"))
    check(api, "/contacts", contact_services.contact_create, org, resolve(body, refs))


COMPANY_CASES = [
    {"name": ""},
    {"name": "x" * 256},
    {"name": "Acme", "domain": "a b"},
    {"name": "Acme", "size": "huge"},
    {"name": "Acme", "website": "acme"},
    {"name": "Acme", "address": {"planet": "Earth"}},
    {"name": "Acme", "address": {"city": "x" * 256}},
    {"name": "Acme", "address": {"city": 5}},
    {"name": "Acme", "owner_id": "foreign_user"},
    {"name": "Acme", "domain": "https://www.Taken.com/about"},  # 409
]


@pytest.mark.parametrize("body", COMPANY_CASES)
def test_companies(api, org, refs, body):
    contact_services.company_create(org=org, actor=None, name="Taken", domain="taken.com")
    check(api, "/companies", contact_services.company_create, org, resolve(body, refs))


def test_contact_updates(api, org, refs):
    contact = contact_services.contact_create(org=org, actor=None, email="ada@example.com")
    contact_services.contact_create(org=org, actor=None, email="bob@example.com")
    for body in [{"stage": "vip"}, {"email": "BOB@example.com"}, {"company_id": refs["foreign_company"]}]:
        expected = service_error(
            lambda body=body: contact_services.contact_update(
                org=org, actor=None, contact=contact, **to_python(body)
            )
        )
        assert api_error(api.patch(f"/contacts/{tid(contact)}", body)) == expected


# -- pipelines, stages, deals and products -----------------------------------------------------

DEAL_CASES = [
    {"name": ""},
    {"name": "x" * 256},
    {"name": "D", "value": -1},
    {"name": "D", "value": 2**53},
    {"name": "D", "currency": "ABC"},
    {"name": "D", "currency": "usd1"},
    {"name": "D", "status": "closed"},
    {"name": "D", "stage_id": "won_stage", "status": "open"},  # a won stage means won
    {"name": "D", "pipeline_id": "pipeline", "stage_id": "other_pipeline_stage"},  # not its stage
    {"name": "D", "stage_id": "foreign_stage"},
    {"name": "D", "contact_id": "foreign_contact"},
    {"name": "D", "company_id": "foreign_company"},
    {"name": "D", "product_ids": ["foreign_product"]},
    {"name": "D", "metadata": {"k": "v" * 17000}},
]


@pytest.mark.parametrize("body", DEAL_CASES)
def test_deals(api, org, refs, body):
    check(api, "/deals", deal_services.deal_create, org, resolve(body, refs))


PRODUCT_CASES = [
    {"name": "", "slug": "p"},
    {"name": "P", "slug": "bad slug"},
    {"name": "P", "slug": "s" * 101},
    {"name": "P", "slug": "p", "price": -1},
    {"name": "P", "slug": "p", "currency": "XAU"},
    {"name": "P", "slug": "GROWTH"},  # 409
]


@pytest.mark.parametrize("body", PRODUCT_CASES)
def test_products(api, org, body):
    deal_services.product_create(org=org, actor=None, name="Growth", slug="growth")
    check(api, "/products", deal_services.product_create, org, body)


PIPELINE_CASES = [
    {"name": ""},
    {"name": "x" * 201},
    {"name": "P", "stages": [{"name": ""}]},
    {"name": "P", "stages": [{"name": "S", "type": "closed"}]},
    {"name": "P", "stages": [{"name": "S", "color": "red"}]},
    {"name": "P", "stages": [{"name": "S"}] * 101},
]


@pytest.mark.parametrize("body", PIPELINE_CASES)
def test_pipelines(api, org, body):
    check(api, "/pipelines", deal_services.pipeline_create, org, body)


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "S", "type": "x"},
        {"name": "S", "color": "#12345"},
    ],
)
def test_stages(api, org, refs, body):
    pipeline = OBJECTS[refs["pipeline"]]
    expected = service_error(
        lambda: deal_services.stage_add(org=org, actor=None, pipeline=pipeline, **to_python(body))
    )
    assert api_error(api.post(f"/pipelines/{tid(pipeline)}/stages", body)) == expected


def test_deal_updates(api, org, refs):
    deal = deal_services.deal_create(org=org, actor=None, name="D")
    for body in [
        {"stage_id": refs["other_pipeline_stage"]},  # another pipeline's stage without pipeline_id
        {"pipeline_id": refs["pipeline"], "stage_id": refs["other_pipeline_stage"]},
        {"stage_id": refs["won_stage"], "status": "lost"},
        {"value": -5},
        {"currency": ""},
    ]:
        expected = service_error(
            lambda body=body: deal_services.deal_update(org=org, actor=None, deal=deal, **to_python(body))
        )
        assert api_error(api.patch(f"/deals/{tid(deal)}", body)) == expected


# -- activities and tasks ------------------------------------------------------------------------

ACTIVITY_CASES = [
    {},
    {"type": "calls"},
    {"type": "call", "subject": "x" * 501},
    {"type": "call", "subject": "two\nlines"},
    {"type": "call", "status": "done"},
    {"type": "call", "duration": 2**31},
    {"type": "call", "direction": "sideways"},
    {"type": "call", "confidence_score": 1.5},
    {"type": "call", "source": ""},
    {"type": "call", "external_id": "x" * 256},
    {"type": "call", "model": "x" * 256},
    {"type": "call", "body": "x" * 1_000_001},
    {"type": "call", "contact_id": "foreign_contact"},
    {"type": "call", "deal_id": "foreign_deal"},
]


@pytest.mark.parametrize("body", ACTIVITY_CASES, ids=lambda body: ",".join(body) or "empty")
def test_activities(api, org, refs, body):
    check(api, "/activities", activity_services.activity_create, org, resolve(body, refs))


def test_activity_updates(api, org):
    first, _ = activity_services.activity_create(org=org, actor=None, type="email", external_id="m-1")
    second, _ = activity_services.activity_create(org=org, actor=None, type="email", external_id="m-2")
    for body in [{"external_id": "m-1"}, {"subject": "a\rb"}]:  # a clash (409), a rule (400)
        expected = service_error(
            lambda body=body: activity_services.activity_update(
                org=org, actor=None, activity=second, **to_python(body)
            )
        )
        assert api_error(api.patch(f"/activities/{tid(second)}", body)) == expected
    assert first.external_id == "m-1"


TASK_CASES = [
    {"title": ""},
    {"title": "x" * 501},
    {"title": "T", "priority": "critical"},
    {"title": "T", "status": "done"},
    {"title": "T", "deal_id": "foreign_deal"},
]


@pytest.mark.parametrize("body", TASK_CASES)
def test_tasks(api, org, refs, body):
    check(api, "/tasks", activity_services.task_create, org, resolve(body, refs))


@pytest.mark.parametrize(
    "body",
    [
        {"scope": "admin"},
        {"scope": "read", "environment": "prod"},
        {"scope": "read", "name": "x" * 201},
    ],
)
def test_apikeys(api, org, body):
    check(api, "/apikeys", account_services.apikey_create, org, body)
