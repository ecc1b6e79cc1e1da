from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import status
from rest_framework.response import Response

from rexcrm.accounts import services
from rexcrm.accounts.api.serializers import ApiKeyCreatedSerializer, ApiKeySerializer, UserSerializer
from rexcrm.accounts.choices import ApiKeyScope
from rexcrm.accounts.filtersets import ApiKeyFilterSet, UserFilterSet
from rexcrm.core.api.views import DestroyMixin, ListMixin, ResourceViewSet, RetrieveMixin


@extend_schema_view(
    list=extend_schema(summary="List team members", tags=["users"]),
    retrieve=extend_schema(summary="Get a team member", tags=["users"]),
)
class UserViewSet(ListMixin, RetrieveMixin, ResourceViewSet):
    """The organization's team members, so that clients can resolve ``owner_id``."""

    serializer_class = UserSerializer
    filterset_class = UserFilterSet


@extend_schema_view(
    list=extend_schema(summary="List API keys (never the raw key)", tags=["apikeys"]),
    create=extend_schema(
        summary="Create an API key",
        tags=["apikeys"],
        request=ApiKeySerializer,
        responses={201: ApiKeyCreatedSerializer},
    ),
    destroy=extend_schema(summary="Revoke an API key (it fails on the next request)", tags=["apikeys"]),
)
class ApiKeyViewSet(ListMixin, DestroyMixin, ResourceViewSet):
    """Key management: a ``read-write`` key is needed, even to list."""

    serializer_class = ApiKeySerializer
    filterset_class = ApiKeyFilterSet
    required_scopes = {ApiKeyScope.READ_WRITE}
    idempotency_redacted = ("key",)  # the raw key is shown once: a replay answers null

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = {"environment": request.auth.environment, **serializer.validated_data}
        key, raw = services.apikey_create(org=self.org, actor=self.actor, **data)
        body = self.detail_body(key.pk)
        body["data"]["key"] = raw
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        services.apikey_revoke(org=self.org, actor=self.actor, key=instance)
