"""Regressions of the fuzzer's findings (tests/contract/run.sh): where the OpenAPI document and
the code disagreed, each test pins what both now say."""

import itertools
import json
import re

import jsonschema
import jsonschema_rs
import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator
from hypothesis import given, strategies
from hypothesis import settings as hypothesis_settings
from rest_framework.exceptions import ValidationError as RequestError

from activities.api.serializers import SubjectField
from contacts.domains import check_api_domain, normalize_domain
from contacts.models import Company
from deals import services as deal_services
from deals.currencies import CURRENCY_CODES
from deals.services import MAX_STAGES
from rexcrm.accounts.models import ApiKey
from rexcrm.core.validators import validate_one_line
from rexcrm.events.models import Webhook
from rexcrm.events.validators import check_url
from tests.conftest import error_of
from tests.contract import hooks
from tests.deals.conftest import stage_ids, tid
from tests.hardening.conftest import fill_existing, snapshot
from tests.helpers.routes import DETAILS, LISTS, SUBLISTS


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def component(schema, name) -> dict:
    return schema["components"]["schemas"][name]


# -- an empty query value is the parameter not given --------------------------------------


def test_every_query_parameter_admits_an_empty_value(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] == "query":
                    assert parameter.get("allowEmptyValue") is True, (method, path, parameter["name"])
                    assert "Empty: as if not given." in parameter["description"], (path, parameter["name"])


def query_names(cls, action) -> set[str]:
    """Every query parameter the view takes (what its check_query_params allows)."""
    if action == "retrieve":
        return set(cls.detail_params)
    names = set(cls.list_params)
    if cls.filterset_class is not None:
        names |= set(cls.filterset_class.base_filters)
    return names


PAGES = [(path, cls, "list") for path, cls in LISTS + SUBLISTS] + [
    (path, cls, "retrieve") for path, cls in DETAILS
]


@pytest.mark.parametrize(("path", "cls", "action"), PAGES, ids=[f"{a} {p}" for p, _, a in PAGES])
def test_an_empty_query_value_is_the_parameter_not_given(api, rows, path, cls, action):
    """The fuzzer found sort=, after=, expected_close_before=, is_active= accepted as absent
    while the document refused them: now every parameter, limit=, cursor=, fields= and
    include= too, is as if not given, and the document says so."""
    url = fill_existing(path, cls, rows)
    plain = api.get(url)
    assert plain.status_code == 200, plain.content[:300]
    for name in sorted(query_names(cls, action)):
        response = api.get(url, **{name: ""})
        assert response.status_code == 200, (name, response.content[:300])
        assert response.json() == plain.json(), name
    # An unknown name is refused all the same, empty or not: a typo never passes silently.
    assert error_of(api.get(url, no_such_parameter=""))["code"] == "unknown_field"


def test_empty_values_among_given_ones(api):
    """Of sort=created_at&sort= the given value counts, not the empty one after it."""
    for email in ("first@example.com", "second@example.com"):
        api.post("/contacts", {"email": email})
    ascending = api.get("/contacts", sort="created_at").json()
    assert ascending != api.get("/contacts").json()
    response = api.client.get("/api/contacts?sort=created_at&sort=", headers=api._headers(None))
    assert response.json() == ascending


def test_an_empty_move_to_is_no_move_to(org, api):
    pipeline = deal_services.pipeline_default(org=org)
    order = stage_ids(pipeline)
    api.post("/deals", {"name": "D", "stage_id": order[1]})
    response = api.delete(f"/pipelines/{tid(pipeline)}/stages/{order[1]}?move_to=")
    assert response.status_code == 409 and error_of(response)["code"] == "conflict"
    assert api.delete(f"/pipelines/{tid(pipeline)}/stages/{order[2]}?move_to=").status_code == 204


# -- bodies -------------------------------------------------------------------------------


def test_text_length_is_counted_as_sent_before_trimming(api):
    """A name of 201 characters (one of them a leading space) was taken, trimmed to 200, while
    the document's maxLength of 200 refuses it."""
    before = snapshot()
    response = api.post("/apikeys", {"name": " " + "k" * 200, "scope": "read"})
    assert response.status_code == 400 and "name" in error_of(response)["fields"]
    response = api.post("/contacts", {"email": "a@example.com", "first_name": "a" * 150 + " "})
    assert response.status_code == 400 and "first_name" in error_of(response)["fields"]
    assert snapshot() == before
    created = api.post("/apikeys", {"name": " " + "k" * 199, "scope": "read"})
    assert created.status_code == 201 and created.json()["data"]["name"] == "k" * 199
    assert ApiKey.objects.filter(name="k" * 199).exists()


def test_webhook_secret_is_a_string_kept_as_given(api, schema):
    """A secret generated by PATCH could never be shown (only the create response holds it):
    null is refused, on create and PATCH alike, and the document says so."""
    for name in ("WebhookRequest", "PatchedWebhookRequest"):
        assert not component(schema, name)["properties"]["secret"].get("nullable"), name
    body = {"name": "Hook", "url": "https://hooks.example.com/rex"}
    response = api.post("/webhooks", {**body, "secret": None})
    assert response.status_code == 400 and "secret" in error_of(response)["fields"]
    assert api.post("/webhooks", {**body, "secret": " " * 16}).status_code == 400
    secret = "  padded secret value  "  # signs deliveries: trimmed, it would not match the receiver's
    created = api.post("/webhooks", {**body, "secret": secret}).json()
    assert created["secret"] == secret and Webhook.objects.get().secret == secret
    response = api.patch(f"/webhooks/{created['data']['id']}", {"secret": None})
    assert response.status_code == 400 and "secret" in error_of(response)["fields"]
    assert Webhook.objects.get().secret == secret


def test_stage_color_takes_a_color_empty_or_null_as_documented(org, api, schema):
    """The color pattern matched "" and so did the blank alternative drf-spectacular adds: a
    oneOf that "" matched twice, so the document refused the "" the API takes."""
    color = dict(component(schema, "StageCreateRequest")["properties"]["color"])
    color.pop("nullable")
    validator = jsonschema.Draft4Validator(color)
    assert validator.is_valid("") and validator.is_valid("#A0b1C2")
    assert not validator.is_valid("red") and not validator.is_valid("#abc")
    pipeline = tid(deal_services.pipeline_default(org=org))
    for value in ("", None, "#A0B1C2"):
        response = api.post(f"/pipelines/{pipeline}/stages", {"name": f"S {value}", "color": value})
        assert response.status_code == 201, (value, response.content[:300])
    stages = api.get(f"/pipelines/{pipeline}").json()["data"]["stages"]
    assert [s["color"] for s in stages[-3:]] == [None, None, "#a0b1c2"]
    assert api.post(f"/pipelines/{pipeline}/stages", {"name": "S", "color": "red"}).status_code == 400


def test_currency_pattern_is_exactly_the_accepted_codes(api, schema):
    """The document said any three letters; the API takes the ISO 4217 codes it lists."""
    pattern = re.compile(component(schema, "ProductRequest")["properties"]["currency"]["pattern"])
    for code in CURRENCY_CODES:
        assert pattern.search(code) and pattern.search(code.lower()) and pattern.search(code.title()), code
    for text in ("PDL", "XXX", "usdx", "US", ""):
        assert not pattern.search(text), text
    assert (
        api.post("/products", {"name": "P", "slug": "p", "currency": "eUr"}).json()["data"]["currency"]
        == "EUR"
    )
    response = api.post("/products", {"name": "Q", "slug": "q", "currency": "PDL"})
    assert response.status_code == 400 and "currency" in error_of(response)["fields"]


@pytest.mark.parametrize(
    "raw", [b'{"name": "\\ud800"}', b'{"metadata": {"\\udc00k": 1}}', b'{"name": "\\ud800\\u0041"}']
)
def test_a_lone_surrogate_is_invalid_json(api, raw):
    """It has no UTF-8 form: refused as invalid_json naming the surrogate (the fuzzer's hook
    accepts that refusal of a document-valid string by this message)."""
    error = error_of(api.post("/products", raw=raw))
    assert error["code"] == "invalid_json"
    assert any(text in error["message"] for text in hooks.SURROGATE_MESSAGES), error["message"]
    json.loads(raw)  # valid JSON to Python, which is why the fuzzer sends it


def test_a_pipeline_may_hold_more_stages_than_a_create_takes(org, api, schema):
    """A pipeline created with 100 stages and given one more answered 101 stages, which the
    response schema (maxItems 100, the create's limit) refused."""
    assert component(schema, "PipelineRequest")["properties"]["stages"]["maxItems"] == MAX_STAGES
    assert "maxItems" not in component(schema, "Pipeline")["properties"]["stages"]
    stages = [{"name": f"S{n}"} for n in range(MAX_STAGES + 1)]
    response = api.post("/pipelines", {"name": "Long", "stages": stages})
    assert response.status_code == 400 and "stages" in error_of(response)["fields"]
    pipeline = api.post("/pipelines", {"name": "Long", "stages": stages[:MAX_STAGES]}).json()["data"]
    assert api.post(f"/pipelines/{pipeline['id']}/stages", {"name": "One more"}).status_code == 201
    assert len(api.get(f"/pipelines/{pipeline['id']}").json()["data"]["stages"]) == MAX_STAGES + 1


def test_every_write_documents_409(schema):
    """Any write may meet a conflict (an object it links to deleted before it commits is a 409,
    rexcrm.core.api.errors); the fuzzer found 409 undocumented on writes of resources without a
    unique rule (PATCH /tasks/:id)."""
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            if method in ("post", "put", "patch"):
                assert "409" in operation["responses"], (method, path)


def test_integer_filters_take_ascii_digits_only(api):
    """value_min=² was a 500 (isdigit() but no int()), and other scripts' digits or 1.0 were
    taken although the document says integer."""
    for path, name in (("/deals", "value_min"), ("/contacts", "icp_score_min")):
        for value in ("²", "١٢", "1.0", " 5", "1e3", "5-"):
            response = api.get(path, **{name: value})
            assert response.status_code == 400 and name in error_of(response)["fields"], (name, value)
        assert api.get(path, **{name: "5"}).status_code == 200
    assert api.get("/deals", value_min="-5", value_max="9" * 30).status_code == 200


def test_every_integer_of_a_request_states_its_maximum(org, api, schema):
    """JSON integers past 64 bits reach the API as floats (orjson), so one the document allows
    (a stage position of 71889990016549724160) was refused as not an integer: every integer a
    request body takes now states the maximum the API takes."""

    def integers(node, where):
        if isinstance(node, dict):
            if node.get("type") == "integer":
                yield where, node
            for key, value in node.items():
                yield from integers(value, f"{where}.{key}")
        elif isinstance(node, list):
            for value in node:
                yield from integers(value, where)

    for name, body in schema["components"]["schemas"].items():
        if name.endswith("Request"):
            for where, node in integers(body, name):
                assert "maximum" in node, where
    pipeline = tid(deal_services.pipeline_default(org=org))
    for position in (2**63, 71889990016549724160):
        response = api.post(f"/pipelines/{pipeline}/stages", raw=f'{{"name": "S", "position": {position}}}')
        assert response.status_code == 400 and "position" in error_of(response)["fields"], position
    response = api.post(f"/pipelines/{pipeline}/stages", {"name": "Last", "position": 2**63 - 1})
    assert response.status_code == 201 and response.json()["data"]["position"] == 6


def test_stored_metadata_numbers_past_64_bits_stay_valid(api):
    """PostgreSQL's jsonb gives a float such as -9.3e18 back as an integer past 64 bits, which
    orjson cannot write: capturing that contact again was refused (metadata "not JSON")."""
    created = api.post("/contacts", {"email": "big@example.com", "metadata": {"a": -9.3e18, "b": 1e300}})
    assert created.status_code == 201
    assert api.post("/capture", {"email": "big@example.com"}).status_code == 200
    assert api.get(f"/contacts/{created.json()['data']['id']}").status_code == 200


def test_a_replay_since_before_year_one_in_utc_is_every_event(org, api):
    """``0001-01-01T00:50:01+06:30`` is a valid date-time the fuzzer sent; UTC puts it in year 0.
    As a bound it means "since the beginning" (as the list filters' bounds): 202, not a 400."""
    hook_id = api.post("/webhooks", {"name": "x", "url": "https://hooks.example/in"}).json()["data"]["id"]
    for since in ("0001-01-01T00:50:01+06:30", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00"):
        response = api.post(f"/webhooks/{hook_id}/replay", {"since": since})
        assert response.status_code == 202, response.content
    response = api.post("/activities", {"type": "note", "occurred_at": "0001-01-01T00:50:01+06:30"})
    assert response.status_code == 400  # a time to be stored must be one the database can hold
    assert error_of(response)["fields"] == {"occurred_at": ["Datetime value out of range."]}


def test_an_open_deal_into_a_pipeline_whose_first_stage_is_won_is_a_conflict(org, api):
    """The fuzzer created ``{"status": "open"}`` deals in a pipeline whose first stage was won:
    valid by the document, which cannot know a stage's type. The stage as it is now decides:
    409 ``conflict`` on ``status`` (documented on every write), and nothing stored."""
    pipeline = api.post(
        "/pipelines", {"name": "Closers", "stages": [{"name": "Won", "type": "won"}, {"name": "Open"}]}
    ).json()["data"]
    response = api.post("/deals", {"name": "D", "pipeline_id": pipeline["id"], "status": "open"})
    assert response.status_code == 409, response.content
    assert error_of(response)["code"] == "conflict" and list(error_of(response)["fields"]) == ["status"]
    assert api.get_ok("/deals").json()["data"] == []
    born_won = api.post("/deals", {"name": "D", "pipeline_id": pipeline["id"]})
    assert born_won.status_code == 201 and born_won.json()["data"]["status"] == "won"


def test_not_blank_text_is_documented_as_trimming_reads_it(api, schema):
    """The fuzzer's stateful phase sent a task title of U+001F alone: ``\\S`` matched it, but
    trimming (``str.strip``) leaves nothing, a 400 for valid data. The document's pattern now
    lists what trimming removes, for every code point, and the API agrees with it both ways."""
    pattern = component(schema, "TaskRequest")["properties"]["title"]["pattern"]
    compiled = re.compile(pattern)
    assert all((compiled.search(chr(c)) is None) == chr(c).isspace() for c in range(0x110000))
    for text in ("\x1f", "\x85", "\u3000", " \t"):
        assert not jsonschema_rs.is_valid({"type": "string", "pattern": pattern}, text)
        assert api.post("/tasks", {"title": text}).status_code == 400
    for text in ("\ufeff", "x", " x "):
        assert jsonschema_rs.is_valid({"type": "string", "pattern": pattern}, text)
        assert api.post("/tasks", {"title": text}).status_code == 201


@pytest.mark.parametrize("value", ["a%,b", "%s", "%(x)s", "100%"])
def test_a_filter_value_holding_a_percent_sign_is_a_400(api, value):
    """``?deal_id=…%,…`` was a 500: django-filter formatted the message quoting the value with
    ``%``. Django's rule now: format only an error that has params."""
    for path, names in (("/activities", {"deal_id", "company_id"}), ("/deals", {"company_id"})):
        response = api.get(path, **dict.fromkeys(names, value))
        assert response.status_code == 400, response.content
        assert set(error_of(response)["fields"]) == names


def test_long_query_strings_reach_the_api(api):
    """The fuzzer's 6 KB query strings got gunicorn's own HTML 414 (its request line stopped at
    4,094 bytes): ``gunicorn.conf.py`` lifts that bound to gunicorn's 1 MiB, so the API answers
    them itself, with its envelope. Django's bound on the number of parameters stays: a 400."""
    long_value = "x" * 20_000
    response = api.get("/activities", search=long_value)
    assert response.status_code == 200 and response.json()["data"] == []
    response = api.get(f"/activities?{'&'.join(['type=call'] * 1001)}")
    assert response.status_code == 400 and response["Content-Type"] == "application/json"
    assert error_of(response)["code"]


def test_gunicorn_reads_request_lines_up_to_its_own_bound():
    from pathlib import Path

    settings = {}
    exec((Path(__file__).resolve().parents[2] / "gunicorn.conf.py").read_text(), settings)
    assert settings["limit_request_line"] == 0  # gunicorn: no limit of its own below 1 MiB


def test_a_subject_is_one_line_as_the_document_says(api, schema):
    """The fuzzer's stateful phase sent a subject holding a CR: valid by the document, which said
    nothing of lines, refused by the API (one line). The pattern now says it, for trimmed text:
    every string of up to four characters from the telling ones gets the same answer from the
    API's field and rule, Python's regexes and the fuzzer's validator (ECMA-262)."""
    subject = component(schema, "ActivityRequest")["properties"]["subject"]
    document = jsonschema_rs.validator_for(subject)  # a oneOf: the pattern or ""
    pattern = subject["oneOf"][0]["pattern"]
    field = SubjectField(required=False, allow_blank=True, max_length=500)

    def accepted(text) -> bool:
        try:
            validate_one_line(field.run_validation(text))
        except (ValidationError, RequestError):
            return False
        return True

    alphabet = ["a", " ", "\n", "\r", "\x85", "\u2028", "\x1f"]
    for size in range(5):
        for text in map("".join, itertools.product(alphabet, repeat=size)):
            assert accepted(text) == document.is_valid(text) == (text == "" or bool(re.search(pattern, text)))
    assert api.post("/activities", {"type": "note", "subject": "a\r b"}).status_code == 400
    assert api.post("/activities", {"type": "note", "subject": "\r\na b \n"}).status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        "https://a.aaaaaa*",  # the fuzzer's: no host name holds a *
        "HTTPS://hooks.example.com/",
        " https://hooks.example.com/",
        "https://hooks.example.com/#top",
        "https://hooks.example.com:65536/",
        "https://hooks.example.com:0/",
        "https://hooks.example.com./",
        "https://-hooks.example.com/",
        "https://intranet/hook",
        "https://010.0.0.1/",
        "https://8.8.8.8/hook",
        "https://[2606:4700:4700::1111]/",
        "https://hooks.example.com/ä",
        "https://hooks.example.com/a b",
    ],
)
def test_a_webhook_url_the_document_refuses_is_refused(org, api, schema, url):
    pattern = component(schema, "WebhookRequest")["properties"]["url"]["pattern"]
    assert not jsonschema_rs.is_valid({"type": "string", "pattern": pattern}, url)
    with override_settings(REX_WEBHOOKS={**settings.REX_WEBHOOKS, "ALLOW_LOOPBACK": False}):
        response = api.post("/webhooks", {"name": "x", "url": url})
    assert response.status_code == 400 and set(error_of(response)["fields"]) == {"url"}
    assert not Webhook.objects.filter(org=org).exists()


def test_every_webhook_url_the_document_takes_is_accepted(api, schema):
    """Drawn from the document's pattern as the fuzzer draws them (its closing $ read as \\Z)."""
    pattern = component(schema, "WebhookRequest")["properties"]["url"]["pattern"]
    document = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})

    @hypothesis_settings(max_examples=500, deadline=None, database=None)
    @given(strategies.from_regex(pattern[:-1] + r"\Z").filter(lambda url: len(url) <= 2000))
    def accepted(url):
        assert document.is_valid(url)
        check_url(url)

    with override_settings(REX_WEBHOOKS={**settings.REX_WEBHOOKS, "ALLOW_LOOPBACK": False}):
        accepted()
        for url in ("https://hooks.example.com/rex", "https://Hooks.xn--bcher-kva.de:8443/a/b?c=d&e=%20"):
            assert api.post("/webhooks", {"name": "x", "url": url}).status_code == 201


@pytest.mark.parametrize(
    "query",
    ["q=a&q=b", "q=a&q=&q=b", "generated_by=x&generated_by=x", "limit=5&limit=5", "type=call&type=email"],
)
def test_a_query_parameter_given_twice_is_a_400(api, query):
    """The fuzzer sent ``q`` three times (the document says one string) and the API answered with
    the last: now a 400 naming it, on every route alike."""
    name = query.partition("=")[0]
    for path in ("/activities", "/contacts"):
        response = api.get(f"{path}?{query}")
        assert response.status_code == 400 and set(error_of(response)["fields"]) == {name}
    assert api.get("/activities?type=call,email&q=a").status_code == 200
    assert api.get("/activities?q=a&q=").status_code == 200  # an empty value is none


@pytest.mark.parametrize("value", [",", "{id},", ",{id}", "{id},,{id}"])
def test_a_list_filter_with_an_empty_item_is_a_400(org, api, value):
    """The fuzzer's ``contact_id=,`` (two empty ids, each invalid by the document) answered an
    empty list: now a 400 naming the filter, for every comma-separated filter."""
    contact = api.post("/contacts", {"email": "a@example.com"}).json()["data"]["id"]
    query = value.format(id=contact)
    for path, name in (("/deals", "contact_id"), ("/activities", "contact_id"), ("/contacts", "stage")):
        response = api.get(path, **{name: query if name != "stage" else query.replace(contact, "lead")})
        assert response.status_code == 400 and set(error_of(response)["fields"]) == {name}, response.content
    assert api.get("/activities", contact_id=contact).status_code == 200


def test_an_empty_item_of_a_free_text_list_is_the_blank_value(org, api):
    """Free-text list filters document no pattern, so ``industry=,Retail`` is valid (found when
    the rule above also refused it): "" is a value there, the blank one."""
    api.post("/companies", {"name": "Blank"})
    api.post("/companies", {"name": "Shop", "industry": "Retail"})
    api.post("/companies", {"name": "Bank", "industry": "Finance"})
    response = api.get("/companies", industry=",Retail")
    assert response.status_code == 200
    assert sorted(row["name"] for row in response.json()["data"]) == ["Blank", "Shop"]
    assert api.get("/activities", subtype=",x", source="api,", generated_by=",").status_code == 200


@pytest.mark.parametrize(
    "domain",
    [
        "http://acme.com/a^b",
        " acme.com",
        "user@acme.com",
        "acme.com:port",
        "acme.com/a b",
        "bücher.de",
        "acme",
        "1.2.3.4",
        "ftp://acme.com",
        "a.b.c.d.e.acme.com",
        "acme.com/a,b",
    ],
)
def test_a_company_domain_the_document_refuses_is_refused(org, api, schema, domain):
    pattern = component(schema, "CompanyRequest")["properties"]["domain"]["oneOf"][0]["pattern"]
    assert not jsonschema_rs.is_valid({"type": "string", "pattern": pattern}, domain)
    for path in ("/companies", "/companies/upsert"):
        response = api.post(path, {"name": "Acme", "domain": domain})
        assert response.status_code == 400 and set(error_of(response)["fields"]) == {"domain"}
    response = api.get("/companies", domain=domain)
    assert response.status_code == 400 and set(error_of(response)["fields"]) == {"domain"}
    assert not Company.objects.filter(org=org).exists()


def test_every_company_domain_the_document_takes_is_accepted(org, api, schema):
    """Drawn from the document's pattern as the fuzzer draws them (its closing $ read as \\Z)."""
    pattern = component(schema, "CompanyRequest")["properties"]["domain"]["oneOf"][0]["pattern"]
    document = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})

    @hypothesis_settings(max_examples=500, deadline=None, database=None)
    @given(strategies.from_regex(pattern[:-1] + r"\Z"))
    def accepted(domain):
        assert document.is_valid(domain)
        check_api_domain(domain)
        assert normalize_domain(domain)

    accepted()
    for domain, stored in (
        ("http://Nuyxa0W.l.XoUf/W.IOTHC4tQ*", "nuyxa0w.l.xouf"),  # the fuzzer's, outside the old pattern
        ("https://www.Acme.com/about?x=1#team", "acme.com"),
        ("www.com", "www.com"),
        ("shop.acme.co.uk.", "shop.acme.co.uk"),
        ("acme.org:8080", "acme.org"),
    ):
        response = api.post("/companies", {"name": domain, "domain": domain})
        assert response.status_code == 201 and response.json()["data"]["domain"] == stored, response.content


def test_an_empty_webhook_secret_is_refused_as_the_document_says(org, api):
    """The fuzzer's ``"secret": ""`` (under the document's minLength of 16) made a webhook with a
    generated secret; now a 400, on create and PATCH alike. Leaving it out still generates one."""
    url = "https://hooks.example.com/rex"
    response = api.post("/webhooks", {"name": "x", "url": url, "secret": ""})
    assert response.status_code == 400 and set(error_of(response)["fields"]) == {"secret"}
    assert not Webhook.objects.filter(org=org).exists()
    created = api.post("/webhooks", {"name": "x", "url": url})
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    hook = created.json()["data"]["id"]
    response = api.patch(f"/webhooks/{hook}", {"secret": ""})
    assert response.status_code == 400 and set(error_of(response)["fields"]) == {"secret"}


def test_the_hook_reads_typed_query_values_as_the_api_does():
    """A query holding a type-changed free-text value and an integer (``subtype=-1.1e-90&limit=54``,
    the fuzzer's) is judged as sent, integers and booleans by their text."""
    assert hooks._typed("54", {"type": "integer"}) == 54
    assert hooks._typed("5.0", {"type": "integer"}) is None
    assert hooks._typed("true", {"type": "boolean"}) is True
    assert hooks._typed("yes", {"type": "boolean"}) is None
    assert hooks._typed("-1.1e-90", {"type": "array"}) == ["-1.1e-90"]
