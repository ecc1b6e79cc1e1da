"""Schemathesis hooks for tests/contract/run.sh (loaded through SCHEMATHESIS_HOOKS).

Two checks are replaced, for limits of the fuzzer and of any document (each argued below; nothing
else is excluded): ``positive_data_acceptance`` expects every request valid by the document to
succeed, but the document can describe the shape of an id or a cursor, not whether it names
something that exists. A well-formed id of no object in this
organization is a 400 ``invalid_reference`` and a cursor the server did not sign a 400
``invalid_cursor`` (API.md: an id is never checked only by its shape), and random data hits
both all the time. So the replacement accepts a 400 with exactly those two codes and runs the
built-in check on every other response: any other refusal of a valid request still fails.
"""

import re
from urllib.parse import parse_qsl, urlsplit

import jsonschema
import schemathesis
from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

UNKNOWABLE_STATE = frozenset({"invalid_reference", "invalid_cursor"})

# A second limit of the document, not of the API: PostgreSQL cannot store the NUL character, so
# text holding one is a 400 everywhere (README, API conventions). OpenAPI 3.0 cannot say so for
# metadata keys (no propertyNames), and a pattern on every other string would replace the
# patterns some already have. A 400 whose every message is the NUL message is accepted.
NUL_MESSAGE = "The NUL character (\\u0000) is not allowed in text."

# The same limit for times: RFC 3339's date-time (and JSON Schema's ``format``) takes any year
# 0000-9999 with any offset, but a time to be stored must be an instant between years 1 and 9999
# in UTC (``0001-01-01T00:50:01+06:30`` is in year 0). No keyword of OpenAPI 3.0 bounds a
# date-time, so a 400 whose every message is DRF's out-of-range message is accepted. Bounds
# (filters, a replay's ``since``) take such times (``clock.utc_bound``) and never answer it.
OUT_OF_RANGE_MESSAGE = "Datetime value out of range."


# A third limit of JSON Schema: its strings are sequences of code points, and a lone UTF-16
# surrogate (``"\ud800"`` unpaired) is one of them to the fuzzer, but no text: it has no UTF-8
# form, so it can be neither stored nor sent on. JSON allows the escape but leaves its meaning
# open (RFC 8259 §8.2), I-JSON (RFC 7493 §2.1) forbids it, and the API refuses such a body as
# 400 ``invalid_json`` (the API description and README say so). Accepted only for that message.
SURROGATE_MESSAGES = ("no low surrogate", "invalid low surrogate", "invalid high surrogate")  # orjson's


def _refuses_only_surrogate(error) -> bool:
    message = error.get("message") or ""
    return error.get("code") == "invalid_json" and any(text in message for text in SURROGATE_MESSAGES)


# A limit of the stateful phase: a link copies a response's value into the next request's query,
# and a null there (a deal_id of an activity without a deal) goes out as the text "None", which
# the fuzzer still counts as valid. No document can say otherwise; the API refuses it (a 400),
# rightly, and only positive_data_acceptance is skipped for such a case.
def _null_in_query(case) -> bool:
    values = (case.query or {}).values()
    return any(value is None or (isinstance(value, list) and None in value) for value in values)


def _error(response) -> dict:
    try:
        return response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return {}


def _refuses_only_unstorable(error) -> bool:
    messages = [m for ms in (error.get("fields") or {}).values() for m in ms]
    return bool(messages) and all(m in (NUL_MESSAGE, OUT_OF_RANGE_MESSAGE) for m in messages)


@schemathesis.check
def positive_data_acceptance_but_unknown_ids(ctx, response, case):
    """positive_data_acceptance, except a 400 for an id or cursor that names nothing here, for
    NUL or a lone surrogate in text or a time outside years 1-9999 in UTC, and a case whose
    query a stateful link filled with null."""
    error = _error(response) if response.status_code == 400 else {}
    if (
        error.get("code") in UNKNOWABLE_STATE
        or _refuses_only_unstorable(error)
        or _refuses_only_surrogate(error)
    ):
        return None
    if _null_in_query(case):
        return None
    return positive_data_acceptance(ctx, response, case)


# A limit of the fuzzer with query strings: a query value has no type on the wire. A "negative"
# value made by changing a parameter's type (the boolean false for a list of free-text strings,
# ``subtype=false``) goes out as text that is a valid value of the parameter, and the API rightly
# takes it (schemathesis issue #3056: arrays of strings in the query). So when the request *as
# sent* is valid by the document — only the query was negated, every query value sent (a
# comma-separated list for ``explode: false``) valid against its parameter's schema, and no
# parameter the document lacks — a 2xx is no accepted negative data; anything else still fails.
def _sent_query_is_valid(response, case) -> bool:
    meta = case.meta
    if meta is None or not meta.is_negative_at(ParameterLocation.QUERY):
        return False
    if any(
        meta.is_negative_at(location)
        for location in (ParameterLocation.PATH, ParameterLocation.HEADER, ParameterLocation.BODY)
    ):
        return False
    sent = parse_qsl(urlsplit(response.request.url).query, keep_blank_values=True)
    names = [name for name, _ in sent]
    given = [name for name, text in sent if text != ""]  # an empty value is no value (README)
    if len(given) != len(set(given)):
        return False  # a repeated key: the API refuses it (a 400), so a 2xx is a failure
    for name, text in sent:
        parameter = case.operation.query.get(name)
        if parameter is None:
            return False
        definition = parameter.definition
        schema = definition.get("schema", {})
        if text == "" and definition.get("allowEmptyValue"):
            continue
        value = _typed(text, schema)
        if value is None:
            return False
        try:
            jsonschema.validate(value, schema)
        except jsonschema.ValidationError:
            return False
    return all(parameter.name in names for parameter in case.operation.query if parameter.is_required)


def _typed(text: str, schema: dict):
    """A query value as its parameter's type reads it (None: not of that type): a list splits
    on commas; an integer is ASCII digits, a boolean true or false (as the API parses them)."""
    kind = schema.get("type")
    if kind == "array":
        return text.split(",")
    if kind in ("string", None):
        return text
    if kind == "integer" and re.fullmatch(r"-?[0-9]+", text):
        return int(text)
    if kind == "boolean" and text in ("true", "false"):
        return text == "true"
    return None


@schemathesis.check
def negative_data_rejection_as_sent(ctx, response, case):
    """negative_data_rejection, except a request whose query, as sent, is valid by the document."""
    if 200 <= response.status_code < 300 and _sent_query_is_valid(response, case):
        return None
    return negative_data_rejection(ctx, response, case)
