"""OpenAPI (drf-spectacular): the envelope, the errors, the key header and TypeIDs, described
once here for every resource.
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.openapi import AutoSchema as BaseAutoSchema
from drf_spectacular.plumbing import build_parameter_type
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

from rexcrm.core.api.fields import typeid_schema

ERROR_CODES = [
    "validation_error",
    "invalid_json",
    "unknown_field",
    "invalid_reference",
    "invalid_cursor",
    "unauthorized",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "conflict",
    "payload_too_large",
    "unsupported_media_type",
    "rate_limit_exceeded",
    "internal_error",
]


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=ERROR_CODES)
    message = serializers.CharField()
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Per-field messages, keyed by field name (dotted for nested keys).",
    )
    existing_id = serializers.CharField(required=False, help_text="On 409: the id of the existing object.")
    request_id = serializers.CharField(help_text="Also sent as the X-Request-Id header.")


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


_ERROR_DESCRIPTIONS = {
    "400": "Bad request: validation_error, invalid_json, unknown_field, invalid_reference or invalid_cursor.",
    "401": "unauthorized: missing, unknown or revoked API key.",
    "403": "forbidden: the key's scope does not allow this request.",
    "404": "not_found: no such object in this organization.",
    "409": "conflict: a unique rule is broken (existing_id names the existing object), the stored "
    "state refuses the change, or an object it links to was deleted meanwhile.",
    "413": "payload_too_large: the body is above the limit.",
    "415": "unsupported_media_type: the body is not JSON.",
    "429": "rate_limit_exceeded: retry after the Retry-After header's seconds.",
}

_RATE_HEADERS = {
    "X-Request-Id": "The request id (the client's X-Request-Id if it sent one).",
    "X-RateLimit-Limit": "Requests allowed per minute for this key.",
    "X-RateLimit-Remaining": "Requests left in the bucket now.",
    "X-RateLimit-Reset": "Unix time (seconds) at which the bucket is full again.",
}


def strip_trailing_slashes(endpoints, **kwargs):
    """Preprocessing hook: document ``/api/contacts``, the form Rex clients call."""
    return [(path.rstrip("/") or path, regex, method, view) for path, regex, method, view in endpoints]


def _names(names) -> dict:
    """A comma-separated list of known names (``fields=``, ``include=``): an array, exploded=false."""
    return {"type": "array", "items": {"type": "string", "enum": sorted(names)}}


# A character that trimming (``str.strip``) keeps, as a pattern every regex dialect reads alike:
# ``\S`` would not do, as "white space" differs between them (ECMA-262 has U+FEFF but not
# U+001C-U+001F or U+0085; Python has those but not U+FEFF), and a title of U+001F alone matched
# ``\S`` for the fuzzer but is blank once trimmed (found by its stateful phase). The characters
# are written as themselves, so no dialect's escapes are needed.
_SPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())  # none above U+3000
NOT_BLANK = f"[^{_SPACE}]"

# One line once trimmed (``validate_one_line``, after the serializer's ``str.strip``): white space
# only, or a text that starts and ends with a non-space and holds no CR or LF between white space
# (leading and trailing line breaks are trimmed away). Not the empty string: drf-spectacular
# offers that as a oneOf's second choice, and oneOf must match exactly one.
ONE_LINE = f"^(?:[{_SPACE}]+|[{_SPACE}]*[^{_SPACE}](?:[^\r\n]*[^{_SPACE}])?[{_SPACE}]*)$"


def forbid_unknown_request_fields(result, generator, request, public):
    """Postprocessing hook: request bodies refuse unknown fields (400 ``unknown_field``), so every
    object schema of a request says ``additionalProperties: false`` unless it already says what
    its extra keys may be (``metadata`` takes any); and a text that must not be blank must hold
    something besides whitespace (text is trimmed)."""

    def close(schema):
        if isinstance(schema, dict):
            if "properties" in schema and "additionalProperties" not in schema:
                schema["additionalProperties"] = False
            if schema.get("minLength", 0) >= 1 and not {"pattern", "enum", "format"} & set(schema):
                schema["pattern"] = NOT_BLANK  # text is trimmed: whitespace alone is blank
            for value in schema.values():
                close(value)
        elif isinstance(schema, list):
            for value in schema:
                close(value)

    for name, schema in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            close(schema)
        elif "id" in schema.get("properties", {}) and "id" in schema.get("required", ()):
            # fields= narrows every object to the fields asked for: only id is always there.
            schema["required"] = ["id"]
    return result


class ListParameters:
    """Plays DRF's paginator for drf-spectacular: documents list parameters and the envelope."""

    def get_schema_operation_parameters(self, view):
        sorting = "sort" in view.list_params  # the event log, for one, has its own order
        sorts = [f for name in view.sort_fields for f in (name, f"-{name}")] if sorting else None
        params = [
            ("cursor", OpenApiTypes.STR, "Opaque cursor: the next_cursor of the previous page.", None),
            ("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}, "Page size.", None),
            (
                "sort",
                OpenApiTypes.STR,
                f"Sort field, - prefix for descending (default {view.default_sort})." if sorting else "",
                sorts,
            ),
            (
                "fields",
                _names(view.serializer_class.readable_field_names()),
                "Comma-separated fields to return (id is always included).",
                None,
            ),
        ]
        includes = list(getattr(view, "relations", {}))
        if includes:
            params.append(("include", _names(includes), f"Comma-separated: {', '.join(includes)}.", None))
        return [
            build_parameter_type(
                name=name,
                schema=schema if isinstance(schema, dict) else {"type": "string"},
                location=OpenApiParameter.QUERY,
                description=description,
                enum=enum,
                explode=False if isinstance(schema, dict) and schema.get("type") == "array" else None,
            )
            for name, schema, description, enum in params
            if name in view.list_params  # the event log, for one, has its own order and no fields=
        ]

    def get_paginated_response_schema(self, schema):
        cursor = {"type": "string", "nullable": True, "description": "Pass as cursor for the next page."}
        return {
            "type": "object",
            "required": ["data", "has_more", "next_cursor", "meta"],
            "properties": {
                "data": schema,
                "has_more": {"type": "boolean"},
                "next_cursor": cursor,
                "meta": {
                    "type": "object",
                    "properties": {"cursor": cursor, "has_more": {"type": "boolean"}},
                    "required": ["cursor", "has_more"],
                },
            },
        }


class AutoSchema(BaseAutoSchema):
    def _get_parameters(self):
        # An empty query value (sort=, after=, as a form's empty field sends it) is the parameter
        # not given, on every parameter (rexcrm.core.api.views.without_empty_values).
        parameters = super()._get_parameters()
        for parameter in parameters:
            if parameter["in"] == OpenApiParameter.QUERY:
                parameter["allowEmptyValue"] = True
                description = str(parameter.get("description") or "").rstrip(".")
                parameter["description"] = f"{description}. Empty: as if not given.".lstrip(". ")
        return parameters

    def _get_response_for_code(self, serializer, status_code, media_types=None, direction="response"):
        response = super()._get_response_for_code(serializer, status_code, media_types, direction)
        if status_code.startswith("2") and not self._is_list_view(serializer) and "content" in response:
            for media in response["content"].values():
                media["schema"] = {
                    "type": "object",
                    "required": ["data"],
                    "properties": {"data": media["schema"]},
                }
        return response

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        codes = ["400", "401", "403", "429"]
        if "{" in self.path:  # a path id: the object, or the parent of a sub-list
            codes.append("404")
        if self.method in ("POST", "PUT", "PATCH"):
            # Any write may meet a conflict: at the least, an object it links to deleted by
            # another request before it commits (rexcrm.core.api.errors: IntegrityError).
            codes += ["409", "413", "415"]
        for code in sorted(codes):
            if code not in responses:
                responses[code] = self._get_response_for_code(ErrorSerializer, code, direction=direction)
                responses[code]["description"] = _ERROR_DESCRIPTIONS[code]
        return responses

    def _get_response_headers_for_code(self, status_code, direction="response"):
        headers = super()._get_response_headers_for_code(status_code, direction)
        for name, description in _RATE_HEADERS.items():
            schema = {"type": "string"} if name == "X-Request-Id" else {"type": "integer"}
            headers.setdefault(name, {"schema": schema, "description": description})
        if status_code == "429":
            headers["Retry-After"] = {"schema": {"type": "integer"}, "description": "Seconds to wait."}
        return headers

    def _resolve_path_parameters(self, variables):
        model = getattr(getattr(self.view, "serializer_class", None), "Meta", None)
        prefixes = dict(getattr(self.view, "path_prefixes", {}))
        if model is not None:
            prefixes.setdefault(getattr(self.view, "lookup_url_kwarg", "id"), model.model.type_prefix)
        parameters = [
            build_parameter_type(
                name=variable,
                location=OpenApiParameter.PATH,
                schema=typeid_schema(prefixes[variable]),
                description="Object id.",
            )
            for variable in variables
            if variable in prefixes
        ]
        rest = [v for v in variables if v not in prefixes]
        return parameters + (super()._resolve_path_parameters(rest) if rest else [])


class PlannedFieldSchema(OpenApiSerializerFieldExtension):
    target_class = "rexcrm.core.api.fields.PlannedField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return self.target.openapi_schema()
