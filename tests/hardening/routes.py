"""Every route of the URL configuration, for the tenancy and scope matrices: walked from
``django.urls.get_resolver()`` so that a route added later is found (and fails the matrices
until their tables say what its path ids are)."""

import re
from dataclasses import dataclass
from functools import cached_property

from django.urls import URLResolver, get_resolver

_PARAM = re.compile(r"\(\?P<(\w+)>[^)]*\)|<(?:\w+:)?(\w+)>")
_HANDLERS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True)
class Route:
    name: str  # "contact-detail" (API), "contacts:contact_edit" (UI), "admin:…", or the pattern
    template: str  # the pattern as the URLconf spells it, from the root
    callback: object

    @cached_property
    def params(self) -> tuple[str, ...]:
        return tuple(a or b for a, b in _PARAM.findall(self.template))

    def path(self, **values: str) -> str:
        """The path with every parameter set (``values`` by name)."""
        text = _PARAM.sub(lambda m: values[m.group(1) or m.group(2)], self.template)
        return "/" + text.replace("^", "").replace("$", "").replace("/?", "")

    @property
    def view_class(self):
        return getattr(self.callback, "cls", None) or getattr(self.callback, "view_class", None)

    @property
    def actions(self) -> dict[str, str]:
        """``{method: action}`` of a DRF viewset route, ``{method: method}`` of another view."""
        actions = getattr(self.callback, "actions", None)
        if actions:
            return dict(actions)
        cls = self.view_class
        return {method: method for method in _HANDLERS if cls is not None and hasattr(cls, method)}

    @property
    def door(self) -> str:
        if self.template.startswith("api/") or self.template == "^api$":
            return "api"
        return "admin" if self.template.startswith("admin/") else "ui"


def all_routes() -> list[Route]:
    found = []

    def walk(patterns, prefix, namespace):
        for pattern in patterns:
            text = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = [*namespace, pattern.namespace] if pattern.namespace else namespace
                walk(pattern.url_patterns, text, inner)
                continue
            name = ":".join([*namespace, pattern.name]) if pattern.name else text
            found.append(Route(name, text, pattern.callback))

    walk(get_resolver().url_patterns, "", [])
    return found


ROUTES = all_routes()
