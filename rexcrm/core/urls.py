"""``indexed_include``: Django's ``path(route, include(patterns))``, resolved by first segment.

Django's ``URLResolver`` tries its patterns one by one, and a nested ``path("", include(…))``
that does not match raises ``Resolver404`` with the list of what it tried: under ``/api/``,
about 150 Python calls per request went to finding ``activities/``. The indexed resolver reads
the path's first segment and hands the path to a plain ``URLResolver`` holding only the
patterns that can match that segment, in their order (the nested ``""`` includes lifted into
it): the same ``ResolverMatch`` (view, arguments, url name, route), fewer patterns tried. A
pattern whose first segment is not a literal (a catch-all, a converter) is in every such list,
so the order decides exactly as before. Reversing URLs uses the full list, unchanged.
"""

import re

from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils.functional import cached_property

# ^segment followed by "/" (not made optional), "/?$" or "$": the first segment is exactly it.
_REGEX_SEGMENT = re.compile(r"\^([A-Za-z0-9_-]+)(?:/(?![?*+{])|/\?\$$|\$$)")


def _first_segment(pattern) -> str | None:
    """The literal first path segment every path this pattern matches starts with, or None."""
    if isinstance(pattern.pattern, RegexPattern):
        found = _REGEX_SEGMENT.match(pattern.pattern._regex)
        return found[1] if found else None
    if isinstance(pattern.pattern, RoutePattern):
        route = pattern.pattern._route
        literal = route.split("<", 1)[0]
        if "/" in literal:
            return literal.split("/", 1)[0]
        if literal == route and isinstance(pattern, URLPattern):  # a whole path, no converter
            return route
    return None


def _lifted(patterns):
    """The patterns, with those of plain ``path("", include(…))`` in their place."""
    for pattern in patterns:
        if (
            type(pattern) is URLResolver
            and isinstance(pattern.pattern, RoutePattern)
            and pattern.pattern._route == ""
            and not pattern.default_kwargs
            and pattern.app_name is None
            and pattern.namespace is None
        ):
            yield from _lifted(pattern.url_patterns)
        else:
            yield pattern


class IndexedResolver(URLResolver):
    def resolve(self, path):
        path = str(path)
        match = self.pattern.match(path)
        if not match:
            return super().resolve(path)  # Django's Resolver404
        by_segment, others = self._index
        return by_segment.get(match[0].split("/", 1)[0], others).resolve(path)

    @cached_property
    def _index(self) -> tuple[dict[str, URLResolver], URLResolver]:
        keyed = [(_first_segment(pattern), pattern) for pattern in _lifted(self.url_patterns)]

        def narrowed(segment):
            patterns = [pattern for key, pattern in keyed if key is None or key == segment]
            return URLResolver(self.pattern, patterns, self.default_kwargs, self.app_name, self.namespace)

        segments = {key for key, _ in keyed if key is not None}
        return {segment: narrowed(segment) for segment in segments}, narrowed(None)


def indexed_include(route: str, patterns: list) -> IndexedResolver:
    """``path(route, include(patterns))``, resolved through the index above."""
    return IndexedResolver(RoutePattern(route, is_endpoint=False), patterns)
