"""The API's routes, read from the URL configuration, for tests that walk every resource (so a
resource added later is covered without editing them)."""

import re

from django.urls import get_resolver

from rexcrm.core import ids
from rexcrm.core.api.views import ResourceViewSet


def routes() -> list[tuple[str, type, dict]]:
    """(path template, viewset, action map) of every ResourceViewSet route under /api/."""
    found = []

    def walk(patterns, prefix):
        for pattern in patterns:
            text = prefix + str(pattern.pattern).lstrip("^").rstrip("$").replace("/?", "")
            if hasattr(pattern, "url_patterns"):
                walk(pattern.url_patterns, text)
                continue
            cls = getattr(pattern.callback, "cls", None)
            actions = getattr(pattern.callback, "actions", None)
            if cls and issubclass(cls, ResourceViewSet) and actions:
                found.append((text, cls, actions))

    walk(get_resolver().url_patterns, "/")
    return found


def fill(path: str, cls, **values: str) -> str:
    """The path with its parameters set: ``values`` by name (``id="cont_…"``), the others fresh
    (so missing) ids of the right prefixes."""
    prefixes = {"id": cls.serializer_class.Meta.model.type_prefix, "stage_id": "stg"}
    if getattr(cls, "parent_model", None):
        prefixes[cls.parent_kwarg] = cls.parent_model.type_prefix

    def value(match):
        name = match.group(1)
        return values[name] if name in values else ids.encode(prefixes[name], ids.uuid7())

    return re.sub(r"\(\?P<(\w+)>[^)]*\)", value, path)


ROUTES = routes()
LISTS = [(path, cls) for path, cls, actions in ROUTES if actions.get("get") == "list" and "(?P<" not in path]
DETAILS = [(path, cls) for path, cls, actions in ROUTES if actions.get("get") == "retrieve"]
SUBLISTS = [(path, cls) for path, cls, actions in ROUTES if actions.get("get") == "list" and "(?P<" in path]
VIEWSETS = list(dict.fromkeys(cls for _, cls, _ in ROUTES))  # every routed ResourceViewSet, once
