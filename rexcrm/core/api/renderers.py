"""JSON out, always: orjson (fast, ``Z`` for UTC) and no content negotiation to fail."""

import orjson
from rest_framework import renderers
from rest_framework.negotiation import DefaultContentNegotiation

_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NON_STR_KEYS


def _default(value):
    # Lazy translation strings (DRF messages) and Decimals.
    return str(value)


def dumps(data) -> bytes:
    return orjson.dumps(data, default=_default, option=_OPTIONS)


class JSONRenderer(renderers.BaseRenderer):
    media_type = "application/json"
    format = "json"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return dumps(data)


class JSONOnlyNegotiation(DefaultContentNegotiation):
    """The API speaks JSON whatever the Accept header says (no 406 for ``Accept: */*`` quirks)."""

    def select_renderer(self, request, renderers, format_suffix=None):
        renderer = renderers[0]
        return renderer, renderer.media_type
