from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.decorators import action
from rest_framework.response import Response

from contacts.api.serializers import CompanySerializer, ContactSerializer
from contacts.models import Company, Contact
from deals import services
from deals.api.serializers import (
    DealSerializer,
    DealStageChangeSerializer,
    DealStageMoveSerializer,
    PipelineSerializer,
    PipelineUpdateSerializer,
    ProductSerializer,
    StageCreateSerializer,
    StageReorderSerializer,
    StageSerializer,
)
from deals.filtersets import DealFilterSet, DealStageChangeFilterSet, PipelineFilterSet, ProductFilterSet
from deals.models import Deal, Pipeline, Stage
from rexcrm.accounts.api.serializers import UserSerializer
from rexcrm.core import ids
from rexcrm.core.api.fields import resolve_references, typeid_schema
from rexcrm.core.api.relations import Relation
from rexcrm.core.api.schema import ErrorSerializer
from rexcrm.core.api.views import (
    CrudViewSet,
    ResourceViewSet,
    SubListMixin,
    not_found,
    pk_or_404,
)

_CONFLICT = OpenApiResponse(ErrorSerializer, description="conflict: see the message.")


# -- pipelines and stages --------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List pipelines", tags=["pipelines"]),
    retrieve=extend_schema(summary="Get a pipeline with its stages", tags=["pipelines"]),
    create=extend_schema(summary="Create a pipeline (optionally with stages)", tags=["pipelines"]),
    partial_update=extend_schema(
        summary="Update a pipeline (name, is_default, metadata)",
        tags=["pipelines"],
        request=PipelineUpdateSerializer,
    ),
    destroy=extend_schema(
        summary="Delete a pipeline (409 while deals are in it, and for the default)",
        tags=["pipelines"],
        responses={204: None, 409: _CONFLICT},
    ),
)
class PipelineViewSet(CrudViewSet):
    """Pipelines and their stages. Every organization has one default pipeline."""

    serializer_class = PipelineSerializer
    filterset_class = PipelineFilterSet
    path_prefixes = {"stage_id": Stage.type_prefix}

    writes = services.PIPELINE_WRITES

    @extend_schema(
        summary="Add a stage (appended, or inserted at position)",
        tags=["pipelines"],
        request=StageCreateSerializer,
        responses={201: StageSerializer},
    )
    @action(detail=True, methods=["post"], url_path="stages")
    def stages(self, request, *args, **kwargs):
        self.check_query_params(())
        pipeline = self.get_object()
        serializer = StageCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            stage = services.stage_add(
                org=self.org, actor=self.actor, pipeline=pipeline, **serializer.validated_data
            )
        plan = StageSerializer.output_plan()
        row = Stage.objects.for_org(self.org).with_pks([stage.pk]).values_list(*plan.columns).get()
        return Response({"data": plan.render(row)}, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Reorder the stages (every stage id, in the new order)",
        tags=["pipelines"],
        request=StageReorderSerializer,
        responses={200: PipelineSerializer, 409: _CONFLICT},
    )
    @stages.mapping.put
    def reorder_stages(self, request, *args, **kwargs):
        self.check_query_params(())
        pipeline = self.get_object()
        serializer = StageReorderSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        stage_ids = []
        for index, raw in enumerate(serializer.validated_data["stage_ids"]):
            try:
                stage_ids.append(ids.decode(Stage.type_prefix, raw))
            except ids.InvalidId as exc:
                raise exceptions.ValidationError({"stage_ids": {index: [f"{raw!r} {exc}."]}}) from None
        with transaction.atomic():
            services.stage_reorder(org=self.org, actor=self.actor, pipeline=pipeline, stage_ids=stage_ids)
        return Response(self.detail_body(pipeline.pk))

    @extend_schema(
        summary="Delete a stage (409 while deals are on it, unless move_to is given)",
        tags=["pipelines"],
        parameters=[
            OpenApiParameter(
                "move_to",
                typeid_schema(Stage.type_prefix),
                description="A stage (stg_…) of the same pipeline: the deals on the deleted stage move "
                "there first, each with a history row.",
            )
        ],
        request=None,
        responses={204: None, 409: _CONFLICT},
    )
    @action(detail=True, methods=["delete"], url_path=r"stages/(?P<stage_id>[^/]+)")
    def remove_stage(self, request, *args, **kwargs):
        self.check_query_params({"move_to"})
        pipeline = self.get_object()
        stage = self._stage_of(pipeline)
        move_to = None
        raw = request.query_params.get("move_to")
        if raw is not None:
            try:
                (move_to,) = resolve_references(Stage, [raw], org=self.org)
            except exceptions.ValidationError as exc:
                raise exceptions.ValidationError({"move_to": exc.detail}) from None
        with transaction.atomic():
            services.stage_delete(org=self.org, actor=self.actor, stage=stage, move_to=move_to)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _stage_of(self, pipeline) -> Stage:
        pk = pk_or_404(Stage, self.kwargs["stage_id"])
        stage = Stage.objects.for_org(self.org).filter(pipeline=pipeline, pk=pk).first()
        if stage is None:
            raise not_found(Stage)
        return stage


# -- deals -----------------------------------------------------------------------------------

DEAL_RELATIONS = {
    "contact": Relation("contact", "contact_id", ContactSerializer),
    "company": Relation("company", "company_id", CompanySerializer),
    "owner": Relation("owner", "owner_id", UserSerializer),
    "pipeline": Relation("pipeline", "pipeline_id", PipelineSerializer),
}


class DealListMixin:
    serializer_class = DealSerializer
    filterset_class = DealFilterSet
    relations = DEAL_RELATIONS


@extend_schema_view(
    list=extend_schema(summary="List deals", tags=["deals"]),
    retrieve=extend_schema(summary="Get a deal", tags=["deals"]),
    create=extend_schema(summary="Create a deal", tags=["deals"]),
    partial_update=extend_schema(
        summary="Update a deal (only the fields sent; a new stage_id/pipeline_id is a stage move)",
        tags=["deals"],
    ),
    destroy=extend_schema(summary="Delete a deal", tags=["deals"]),
)
class DealViewSet(DealListMixin, CrudViewSet):
    """Deals moving through a pipeline's stages."""

    writes = services.DEAL_WRITES

    @extend_schema(
        summary="Move the deal to another stage of its pipeline",
        tags=["deals"],
        request=DealStageMoveSerializer,
        responses={200: DealSerializer},
    )
    @action(detail=True, methods=["post"], url_path="stage")
    def stage(self, request, *args, **kwargs):
        self.check_query_params(self.detail_params)
        deal = self.get_object()
        serializer = DealStageMoveSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            services.deal_move_stage(
                org=self.org,
                actor=self.actor,
                deal=deal,
                stage=serializer.validated_data["stage"],
                same_pipeline=True,
            )
        return Response(self.detail_body(deal.pk))


@extend_schema_view(list=extend_schema(summary="A deal's stage changes, oldest first", tags=["deals"]))
class DealHistoryViewSet(SubListMixin, ResourceViewSet):
    serializer_class = DealStageChangeSerializer
    filterset_class = DealStageChangeFilterSet
    parent_model = Deal
    parent_filter = "deal_id"


@extend_schema_view(list=extend_schema(summary="The deals of a pipeline", tags=["deals"]))
class PipelineDealViewSet(SubListMixin, DealListMixin, ResourceViewSet):
    parent_model = Pipeline
    parent_filter = "pipeline_id"


@extend_schema_view(list=extend_schema(summary="The deals of a contact", tags=["deals"]))
class ContactDealViewSet(SubListMixin, DealListMixin, ResourceViewSet):
    parent_model = Contact
    parent_filter = "contact_id"


@extend_schema_view(list=extend_schema(summary="The deals of a company", tags=["deals"]))
class CompanyDealViewSet(SubListMixin, DealListMixin, ResourceViewSet):
    parent_model = Company
    parent_filter = "company_id"


# -- products --------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(summary="List products", tags=["products"]),
    retrieve=extend_schema(summary="Get a product", tags=["products"]),
    create=extend_schema(summary="Create a product (409 if the slug is taken)", tags=["products"]),
    partial_update=extend_schema(summary="Update a product", tags=["products"]),
    destroy=extend_schema(summary="Delete a product (deals simply no longer list it)", tags=["products"]),
)
class ProductViewSet(CrudViewSet):
    serializer_class = ProductSerializer
    filterset_class = ProductFilterSet

    writes = services.PRODUCT_WRITES
