"""The fixed per-request cost's shortcuts give what Django's and redis-py's own paths give:
the CSP header built once, the API's URLs resolved by first segment, ``for_org``'s lookup, the
cursor's signature, and the rate limiter's own Redis connection (bench/README.md, fourth pass)."""

import os
import re
import time
from unittest import mock

import pytest
from django.core import signing
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.middleware.csp import ContentSecurityPolicyMiddleware as DjangoCSP
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils.csp import CSP

from activities.models import Activity
from contacts.models import Contact
from rexcrm.core import middleware
from rexcrm.core.api import pagination, ratelimit
from rexcrm.core.urls import IndexedResolver


def _csp_header(middleware_class, nonce_used):
    """The policy header of one response, and the request's nonce."""
    request = RequestFactory().get("/")
    instance = middleware_class(lambda request: HttpResponse())
    instance.process_request(request)
    if nonce_used:  # a template read the nonce before the response went out
        str(request._csp_nonce)
    response = instance.process_response(request, HttpResponse())
    return response[str(CSP.HEADER_ENFORCE)], request._csp_nonce


@pytest.mark.parametrize("nonce_used", [False, True])
def test_the_csp_header_is_djangos(settings, nonce_used):
    settings.SECURE_CSP = {"default-src": [CSP.SELF], "script-src": [CSP.SELF, CSP.NONCE]}
    for _ in range(2):  # built, then kept
        ours, our_nonce = _csp_header(middleware.ContentSecurityPolicyMiddleware, nonce_used)
        django, django_nonce = _csp_header(DjangoCSP, nonce_used)
        if nonce_used:  # each request's own nonce
            assert ours == django.replace(str(django_nonce), str(our_nonce)) != django
        else:
            assert ours == django == "default-src 'self'; script-src 'self'"
    settings.SECURE_CSP = {"default-src": [CSP.NONE]}  # another configuration, another header
    assert _csp_header(middleware.ContentSecurityPolicyMiddleware, nonce_used)[0] == "default-src 'none'"


def test_api_responses_carry_the_policy(api):
    assert "default-src 'self'" in api.get("/contacts")["Content-Security-Policy"]


def _endpoints(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern).removeprefix("^").removesuffix("$")
        if isinstance(pattern, URLResolver):
            yield from _endpoints(pattern, route)
        else:
            yield route


def test_the_api_resolves_as_djangos_resolver_would():
    indexed = next(p for p in get_resolver().url_patterns if isinstance(p, IndexedResolver))
    plain = URLResolver(indexed.pattern, indexed.url_patterns)
    paths = ["api/", "api/x", "api//contacts", "api/contactsx", "api/openapi.json", "api/docs/", "api/docs"]
    for route in _endpoints(indexed, "api/"):
        path = re.sub(r"\(\?P<\w+>\[\^/\]\+\)", "id_2", route).replace("/?", "/")
        paths += [path, path.rstrip("/"), path + "extra"]
    for path in paths:
        ours, django = indexed.resolve(path), plain.resolve(path)
        assert (ours.func, ours.args, ours.kwargs, ours.url_name, ours.route, ours.namespace) == (
            django.func,
            django.args,
            django.kwargs,
            django.url_name,
            django.route,
            django.namespace,
        ), path
    assert isinstance(indexed.url_patterns[-1], URLPattern)  # reverse() sees the full list


@pytest.mark.django_db
def test_for_org_is_filter_org(org):
    queries = [
        lambda rows: rows.filter(type="email").order_by("-occurred_at")[:2],
        lambda rows: rows.select_related("contact").filter(contact__first_name="Ada"),
        lambda rows: Contact.objects.filter(pk__in=rows.values("contact")),
        lambda rows: Contact.objects.filter(Exists(rows.filter(contact=OuterRef("pk")))),
    ]
    for query in queries:
        assert str(query(Activity.objects.for_org(org)).query) == str(
            query(Activity.objects.filter(org=org)).query
        )
    assert str(Activity.objects.for_org(None).query) == str(Activity.objects.filter(org=None).query)


def test_cursors_are_djangos_signed_strings():
    for position in (
        ["activities.activity", "-occurred_at", "2026-01-01T00:00:00+00:00", "0" * 32],
        ["contacts.contact", "name", "é" * 200, "f" * 32, 3],
    ):  # compressed
        with mock.patch("time.time", return_value=1764400000.5):
            ours = pagination._signed(position)
            assert ours == signing.dumps(position, salt=pagination._SALT, compress=True)
        assert signing.loads(ours, salt=pagination._SALT) == position


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
def test_the_limiter_recovers_a_closed_connection_and_a_flushed_script():
    limiter = ratelimit.RedisLimiter(os.environ["REDIS_URL"])
    bucket = f"test:{time.time_ns()}"
    assert limiter.hit(bucket, 1.0, 3)[0]
    limiter._connection()._sock.close()  # as if the server had closed it
    assert limiter.hit(bucket, 1.0, 3)[0]
    limiter.script.sha = "0" * 40  # a script the server does not hold, as after its restart
    assert limiter.hit(bucket, 1.0, 3)[0]
    assert not limiter.hit(bucket, 1.0, 3)[0]  # exact: the third token was the last
