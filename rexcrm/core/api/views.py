"""Thin, generic API views: every resource is a ``ResourceViewSet`` plus its serializer,
FilterSet and services. Reads go through the org-scoped queryset, the FilterSet and the
keyset paginator, and render through the serializer's fast ``OutputPlan``; writes go through
the resource's services.
"""

from functools import partial

import orjson
from django.db import connection
from django.http import QueryDict
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, status, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from rexcrm.core import ids
from rexcrm.core.api import idempotency
from rexcrm.core.api.errors import ApiError
from rexcrm.core.api.lists import filter_queryset, list_query
from rexcrm.core.api.pagination import list_envelope
from rexcrm.core.api.parsers import NUL_MESSAGE
from rexcrm.core.api.relations import Relation, detail_relationships, embed_summaries, parse_include
from rexcrm.core.api.schema import ListParameters
from rexcrm.core.rows import instances, values_rows

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})
_READS = frozenset({"GET", "HEAD"})


class ApiViewMixin:
    """Request checks in contract order: key (401), rate limit (429), scope (403), media type (415).

    The rate limit comes before the scope check so that every request made with a valid key
    counts and carries the rate-limit headers, including refused ones. A read is counted there
    but its decision is read later, before its first SQL statement (``dispatch``): a 429 then
    still replaces any answer the read would have given. A POST that passed them
    with an ``Idempotency-Key`` header runs under the key's rules (``rexcrm.core.api.idempotency``).
    """

    idempotency_redacted: tuple[str, ...] = ()  # response fields a replay answers as null
    _pending_rates: list | tuple = ()  # (throttle, the function reading its decision)

    def dispatch(self, request, *args, **kwargs):
        """A read's rate decision is read from Redis before its first SQL statement (or its
        answer, if it runs none), not at once: the round trip overlaps the work before the
        query (``check_throttles``)."""
        self._pending_rates = ()
        if request.method not in _READS:
            return super().dispatch(request, *args, **kwargs)
        with connection.execute_wrapper(self._rate_before_statement):
            return super().dispatch(request, *args, **kwargs)

    def check_throttles(self, request):
        """For a write as DRF does; a read (GET, HEAD) is counted now and decided before it
        queries anything (``rate_decided``), so a refused read costs no query either."""
        if request.method not in _READS:
            return super().check_throttles(request)
        pending = []
        for throttle in self.get_throttles():
            start = getattr(throttle, "start", None)
            if start is None:
                if not throttle.allow_request(request, self):
                    self.throttled(request, throttle.wait())
            elif (decision := start(request)) is not None:
                pending.append((throttle, decision))
        self._pending_rates = pending

    def rate_decided(self) -> None:
        """Read the pending rate decisions (once); 429 ``rate_limit_exceeded`` if one refuses."""
        # Emptied first: while Redis is down the database decides, by a statement of its own.
        pending, self._pending_rates = self._pending_rates, ()
        waits = [
            throttle.wait()
            for throttle, decision in pending
            if not throttle.decided(self.request, decision())
        ]
        if waits:
            self.throttled(self.request, max(waits))

    def _rate_before_statement(self, execute, sql, params, many, context):
        self.rate_decided()
        return execute(sql, params, many, context)

    def finalize_response(self, request, response, *args, **kwargs):
        try:
            self.rate_decided()  # a read that ran no statement (a 400, a 404 from the URL)
        except exceptions.Throttled as exc:
            response = self.handle_exception(exc)  # the contract's order: 429 before 403, 400, 404
        return super().finalize_response(request, response, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        self.format_kwarg = self.get_format_suffix(**kwargs)
        request.accepted_renderer, request.accepted_media_type = self.perform_content_negotiation(request)
        request.version, request.versioning_scheme = self.determine_version(request, *args, **kwargs)
        self.perform_authentication(request)
        self.check_throttles(request)
        self.check_permissions(request)
        check_no_nul(request.query_params)
        check_given_once(request.query_params)
        self.query_names = frozenset(request.query_params)  # unknown names are refused, even empty
        if any("" in values for _, values in request._request.GET.lists()):
            request._request.GET = without_empty_values(request._request.GET)
        if request.method in _BODY_METHODS and not request.content_type and _has_body(request):
            raise exceptions.UnsupportedMediaType(
                "", detail="Send the body as JSON with Content-Type: application/json."
            )
        key = request.META.get(idempotency.META_KEY)  # not request.headers: it copies every header
        if request.method == "POST" and key is not None and hasattr(self, "post"):
            # dispatch() looks the handler up after initial(): it finds this one.
            self.post = partial(idempotency.run, self, self.post, key)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if self.request is not None and self.request.auth is not None:
            context["org"] = self.request.auth.org
        return context


def check_no_nul(params) -> None:
    """A NUL character in a query parameter is a 400 (PostgreSQL cannot compare text holding one)."""
    bad = sorted(
        {name for name, values in params.lists() if "\x00" in name or any("\x00" in v for v in values)}
    )
    if bad:
        names = [name.replace("\x00", "\\u0000") for name in bad]
        raise ApiError(
            f"The NUL character is not allowed in query parameters: {', '.join(names)}.",
            fields={name: [NUL_MESSAGE] for name in names},
        )


def check_given_once(params) -> None:
    """A query parameter given twice is a 400: every parameter holds one value (a list is one
    comma-separated value), and which of two a server would take is a guess (found by the
    fuzzer: ``q=a&q=b`` answered as ``q=b``). An empty value is none (``without_empty_values``),
    so ``sort=created_at&sort=`` gives ``sort`` once."""
    repeated = sorted(name for name, values in params.lists() if len(values) - values.count("") > 1)
    if repeated:
        raise ApiError(
            f"Give each query parameter once (a list is comma-separated): {', '.join(repeated)}.",
            fields={name: ["Given more than once."] for name in repeated},
        )


def without_empty_values(params: QueryDict) -> QueryDict:
    """The query as given: an empty value (``sort=``, ``limit=``, as a form's empty field sends
    it) is no value, and a parameter left without one is not given (the OpenAPI document's
    ``allowEmptyValue``), for every parameter alike, as django-filter treats its filters."""
    given = QueryDict(mutable=True)
    for name, values in params.lists():
        if kept := [value for value in values if value != ""]:
            given.setlist(name, kept)
    given._mutable = False
    return given


def _has_body(request) -> bool:
    meta = request.META
    return meta.get("CONTENT_LENGTH", "0") not in ("", "0") or "chunked" in meta.get(
        "HTTP_TRANSFER_ENCODING", ""
    )


def not_found(model) -> exceptions.NotFound:
    return exceptions.NotFound(f"{model._meta.verbose_name.capitalize()} not found.")


def pk_or_404(model, text):
    """The UUID of a TypeID in a URL path; a malformed or wrong-prefix one is a 404, like a
    missing object (API.md §2)."""
    try:
        return ids.decode(model.type_prefix, text)
    except ids.InvalidId:
        raise not_found(model) from None


class ApiView(ApiViewMixin, APIView):
    pass


class FilterBackend(DjangoFilterBackend):
    """django-filter, raising 400 ``validation_error`` for bad values (never an empty list),
    through the list query every door shares (``rexcrm.core.api.lists``)."""

    raise_exception = True

    def filter_queryset(self, request, queryset, view):
        if view.filterset_class is None:
            return queryset
        return filter_queryset(view.filterset_class, request.query_params, queryset, request)


class ResourceViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """Base of every resource. Subclasses set ``serializer_class`` (whose ``Meta.model`` gives
    the queryset and the id prefix) and ``filterset_class``, whose ``sort_fields``,
    ``default_sort`` and ``sort_columns`` are the list's sorts (the web UI's too).
    """

    filter_backends = [FilterBackend]
    pagination_class = ListParameters  # documents cursor, limit, sort, fields, include
    lookup_url_kwarg = "id"
    lookup_value_regex = "[^/]+"
    # Links that ``include=`` may embed; GET one names them all under ``relationships`` and
    # puts ``default_include`` (when no include= is sent) in ``included``.
    relations: dict[str, Relation] = {}
    default_include: tuple[str, ...] = ()
    list_params = frozenset({"cursor", "limit", "sort", "fields", "include"})
    detail_params = frozenset({"fields", "include"})

    @property
    def sort_fields(self) -> tuple[str, ...]:
        return self.filterset_class.sort_fields

    @property
    def default_sort(self) -> str:
        return self.filterset_class.default_sort

    @property
    def model(self):
        return self.serializer_class.Meta.model

    @property
    def org(self):
        if getattr(self, "swagger_fake_view", False):  # OpenAPI generation: no request key
            return None
        return self.request.auth.org

    @property
    def actor(self):
        """Who writes: the request's API key (keys belong to the organization, not a person)."""
        return self.request.auth

    def get_queryset(self):
        """The one visibility rule. Subclasses usually return their org-scoped selector."""
        return self.model.objects.for_org(self.org)

    def not_found(self) -> exceptions.NotFound:
        return not_found(self.model)

    def object_pk(self):
        return pk_or_404(self.model, self.kwargs[self.lookup_url_kwarg])

    def get_object(self):
        found = instances(self.get_queryset().with_pks([self.object_pk()]))
        if not found:
            raise self.not_found()
        return found[0]

    def check_query_params(self, allowed) -> None:
        allowed = set(allowed)
        if self.filterset_class is not None and self.action == "list":
            allowed |= set(self.filterset_class.base_filters)
        unknown = sorted(self.query_names - allowed)
        if unknown:
            raise ApiError(
                f"Unknown query parameter(s): {', '.join(unknown)}.",
                code="unknown_field",
                fields={name: ["Unknown query parameter."] for name in unknown},
            )

    # -- rendering through the fast output path ---------------------------------------------

    def requested_fields(self):
        return self.serializer_class.parse_fields_param(self.request.query_params.get("fields"))

    def requested_include(self, default=()) -> list[Relation]:
        raw = self.request.query_params.get("include")
        return parse_include(",".join(default) if raw is None else raw, self.relations)

    def relation_columns(self) -> tuple[str, ...]:
        return tuple(relation.column for relation in self.relations.values())

    def detail_body(self, pk) -> dict:
        """``{"data": …}`` for one object, plus ``relationships`` and ``included`` where it has links."""
        plan = self.serializer_class.output_plan(
            self.requested_fields(), extra_columns=self.relation_columns()
        )
        rows = values_rows(self.get_queryset().with_pks([pk]), plan.columns)
        if not rows:
            raise self.not_found()
        (row,) = rows
        links = {column: row[plan.columns.index(column)] for column in self.relation_columns()}
        return self.with_relationships(plan.render(row), links)

    def written_body(self, instance) -> dict:
        """The answer to a create or an update: the object as its event rendered it, read back
        in the write's own transaction (``outbox.record``: what GET answers once it commits),
        without reading it again; else (a write that records no event) read as GET reads it."""
        rendered = getattr(instance, "rendered_json", None)
        if rendered is None:
            return self.detail_body(instance.pk)
        data, fields = orjson.loads(rendered), self.requested_fields()
        if fields is not None:
            data = {name: value for name, value in data.items() if name in fields}
        links = {column: getattr(instance, column) for column in self.relation_columns()}
        return self.with_relationships(data, links)

    def with_relationships(self, data: dict, links: dict) -> dict:
        if not self.relations:
            return {"data": data}
        include = self.requested_include(self.default_include)
        included = detail_relationships(self.org, links, data, self.relations, include)
        return {"data": data, "included": included}

    def list_response(self, queryset) -> Response:
        self.check_query_params(self.list_params)
        query = list_query(queryset, self.request.query_params, self.filterset_class, request=self.request)
        include = self.requested_include()
        links = (c for relation in include for c in (relation.column, relation.summary_column))
        extra = (*query.sort.key_columns, *links)
        plan = self.serializer_class.output_plan(self.requested_fields(), extra_columns=extra)
        page = query.page(plan.columns)
        data = plan.render_rows(page.rows)
        embed_summaries(page.rows, data, plan.columns, include)
        return Response(list_envelope(data, page))


class ListMixin:
    def list(self, request, *args, **kwargs):
        return self.list_response(self.get_queryset())


class RetrieveMixin:
    def retrieve(self, request, *args, **kwargs):
        self.check_query_params(self.detail_params)
        return Response(self.detail_body(self.object_pk()))


class CreateMixin:
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # Every resource's services are atomic themselves (``Writes``): no savepoint around them.
        instance, created = self.perform_create(serializer.validated_data)
        status_code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(self.written_body(instance), status=status_code)

    def perform_create(self, data: dict):
        """Call the resource's create service; return ``(instance, created)``."""
        return self.writes.create_one(org=self.org, actor=self.actor, **data)


class UpdateMixin:
    def partial_update(self, request, *args, **kwargs):
        instance = self.get_object()
        serializer = self.get_serializer(instance, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        instance = self.perform_update(instance, serializer.validated_data)
        return Response(self.written_body(instance))

    def perform_update(self, instance, data: dict):
        return self.writes.update_one(org=self.org, actor=self.actor, obj=instance, **data)


class DestroyMixin:
    def destroy(self, request, *args, **kwargs):
        instance = self.get_object()
        self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def perform_destroy(self, instance) -> None:
        self.writes.delete_one(org=self.org, actor=self.actor, obj=instance)


class SubListMixin:
    """A list under a parent, e.g. ``/contacts/:contact_id/activities``: the same filters,
    sort, cursors and envelope as the top-level list; 404 naming the parent's kind for an
    unknown parent or another organization's.

    Subclasses set ``parent_model``, ``parent_kwarg`` (the URL's name for the parent id) and
    ``parent_filter`` (a lookup on the listed model taking the parent's pk), or override
    ``filter_by_parent`` for anything else (a company's timeline also holds its contacts').
    """

    parent_model = None
    parent_kwarg = "id"
    parent_filter = ""

    @property
    def path_prefixes(self):  # documents the URL's parent id as the parent's TypeID
        return {self.parent_kwarg: self.parent_model.type_prefix}

    def parent_pk(self):
        pk = pk_or_404(self.parent_model, self.kwargs[self.parent_kwarg])
        if not self.parent_model.objects.for_org(self.org).with_pks([pk]).exists():
            raise not_found(self.parent_model)
        return pk

    def filter_by_parent(self, queryset, parent_pk):
        return queryset.filter(**{self.parent_filter: parent_pk})

    def list(self, request, *args, **kwargs):
        return self.list_response(self.filter_by_parent(self.get_queryset(), self.parent_pk()))


class CrudViewSet(ListMixin, RetrieveMixin, CreateMixin, UpdateMixin, DestroyMixin, ResourceViewSet):
    """A resource with the five standard endpoints: list, create, get, PATCH and delete, writing
    through its services (``writes``: a ``rexcrm.core.services.Writes``)."""

    writes = None
