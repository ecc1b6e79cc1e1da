"""Web UI of deals: the deals list, the deal form, stage moves and the pipeline board (a deal's
record page, which shows its activities and tasks, is in ``rexcrm.workspace``)."""

from functools import cached_property
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, F, Sum, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse, reverse_lazy
from rest_framework import exceptions

from deals.api.serializers import DealSerializer
from deals.choices import DealStatus
from deals.filtersets import DealFilterSet
from deals.forms import DealForm
from deals.models import Deal, Pipeline, Stage
from deals.services import DEAL_WRITES, deal_move_stage
from rexcrm.accounts.models import User
from rexcrm.core.admin import service_error_messages
from rexcrm.core.api.lists import error_fields, filter_queryset, list_query
from rexcrm.core.api.pagination import encode_cursor, parse_sort
from rexcrm.core.export import CSVExportView
from rexcrm.core.views import (
    BulkAction,
    Column,
    ListPageView,
    OrgView,
    RecordFormView,
    next_url,
    object_or_404,
)

BOARD_CARDS = 20  # cards per column, then "Show more" fetches the next keyset page
BOARD_SORT = "expected_close"  # soonest close first, undated last
DEAL_RELATED = ("company", "contact", "owner", "stage", "pipeline")


class DealListView(ListPageView):
    template_name = "deals/deal_list.html"
    filterset_class = DealFilterSet
    export_url = reverse_lazy("deals:deal_export")
    columns = (
        Column("Name", "name"),
        Column("Company"),
        Column("Stage"),
        Column("Status"),
        Column("Value", "value", "num"),
        Column("Expected close", "expected_close"),
        Column("Owner"),
        Column("Created", "created_at"),
    )
    filters = {
        "search": "Search",
        "status": "Status",
        "pipeline_id": "Pipeline",
        "stage_id": "Stage",
        "owner_id": "Owner",
        "expected_close_after": "Closing from",
        "expected_close_before": "Closing before",
    }

    writes = DEAL_WRITES

    def get_queryset(self):
        return Deal.objects.for_org(self.org).select_related(*DEAL_RELATED)

    @cached_property
    def stages(self) -> list[tuple[str, str]]:
        stages = Stage.objects.for_org(self.org).select_related("pipeline")
        return [
            (s.typeid, f"{s.pipeline.name}: {s.name}") for s in stages.order_by("pipeline__name", "position")
        ]

    def filter_choices(self, name):
        if name == "pipeline_id":
            return [(p.typeid, p.name) for p in Pipeline.objects.for_org(self.org).order_by("name")]
        if name == "stage_id":
            return self.stages
        return super().filter_choices(name)

    def bulk_actions(self):
        return {
            "owner": self.owner_action(),
            "stage": BulkAction("Move to stage", "stage", tuple(self.stages)),
            "status": BulkAction("Set status", "status", tuple(DealStatus.choices)),
            "delete": BulkAction("Delete"),
        }

    def bulk_changes(self, action, value):
        changes = super().bulk_changes(action, value)
        if action.field == "stage":  # a stage implies its pipeline (through deal_move_stage)
            changes["pipeline"] = changes["stage"].pipeline
        return changes


class DealFormView(RecordFormView):
    form_class = DealForm
    title = "deal"

    def get_queryset(self):
        return Deal.objects.for_org(self.org).select_related(*DEAL_RELATED)

    def success_url(self, deal):
        return reverse("workspace:deal_detail", args=[deal.typeid])

    def list_url(self):
        return reverse("deals:deal_list")


class DealMoveStageView(OrgView):
    """``POST /deals/<id>/stage/`` (``stage``: a stage id of the deal's pipeline): the move of
    the deal page's stage progress and of the board (its drag and drop and its "Move to stage"
    control), through ``deal_move_stage`` like ``POST /api/deals/:id/stage``. Then back to
    ``next`` (the board redraws itself from it), with a flash message."""

    def post(self, request, id):
        deal = object_or_404(Deal.objects.for_org(self.org), id)
        back = next_url(request, reverse("workspace:deal_detail", args=[deal.typeid]))
        try:
            stage = object_or_404(Stage.objects.for_org(self.org), request.POST.get("stage", ""))
        except Http404:
            messages.error(request, "Not moved: pick one of the pipeline's stages.")
            return HttpResponseRedirect(back)
        try:
            moved = deal_move_stage(
                org=self.org, actor=request.user, deal=deal, stage=stage, same_pipeline=True
            )
        except ValidationError as exc:
            messages.error(request, "Not moved: " + " ".join(service_error_messages(exc)))
        else:
            messages.success(request, f"“{moved.name}” is in {stage.name} now.")
        return HttpResponseRedirect(back)


def _board_deals(org, pipeline, params, request):
    """The pipeline's deals, narrowed by the board's filters (the deals list's FilterSet)."""
    deals = Deal.objects.for_org(org).filter(pipeline=pipeline)
    return filter_queryset(
        DealFilterSet, {k: v for k, v in params.items() if k == "owner_id"}, deals, request
    )


class PipelineBoardView(OrgView):
    """One column per stage, in position order: the first cards of every column (one query,
    however many stages) and each column's total value, per currency (one grouped query)."""

    def get(self, request, pipe_id=None):
        pipelines = list(Pipeline.objects.for_org(self.org).order_by("-is_default", "name"))
        if pipe_id is None:
            pipeline = next((p for p in pipelines if p.is_default), None)
        else:
            pipeline = object_or_404(Pipeline.objects.for_org(self.org), pipe_id)
        context = {
            "pipelines": pipelines,
            "pipeline": pipeline,
            "members": User.objects.for_org(self.org).order_by("first_name", "last_name", "email"),
            "owner_id": request.GET.get("owner_id", ""),
            "columns": [],
            "errors": {},
            "board_url": request.get_full_path(),
        }
        if pipeline is not None:
            try:
                context["columns"] = self.columns(
                    pipeline, _board_deals(self.org, pipeline, request.GET, request)
                )
                context["stages"] = self.stages
            except exceptions.APIException as exc:
                context["errors"] = error_fields(exc)
        return render(request, "deals/pipeline_board.html", context)

    def columns(self, pipeline, deals) -> list[dict]:
        stages = self.stages = list(
            Stage.objects.for_org(self.org).filter(pipeline=pipeline).order_by("position")
        )
        totals: dict = {}
        for row in (
            deals.order_by().values("stage_id", "currency").annotate(total=Sum("value"), count=Count("id"))
        ):
            totals.setdefault(row["stage_id"], []).append(row)
        sort = parse_sort(
            BOARD_SORT, model=deals.model, allowed=DealFilterSet.sort_fields, default=BOARD_SORT
        )
        ranked = deals.annotate(
            board_row=Window(RowNumber(), partition_by=[F("stage_id")], order_by=sort.order_by())
        ).filter(board_row__lte=BOARD_CARDS + 1)
        cards: dict = {}
        for deal in ranked.select_related(*DEAL_RELATED).order_by(*sort.order_by()):
            cards.setdefault(deal.stage_id, []).append(deal)
        columns = []
        for stage in stages:
            stage_cards = cards.get(stage.pk, [])
            more = len(stage_cards) > BOARD_CARDS
            stage_cards = stage_cards[:BOARD_CARDS]
            last = stage_cards[-1] if more else None
            cursor = (
                encode_cursor(deals.model._meta.label_lower, sort, last.expected_close, last.pk)
                if last
                else None
            )
            stage_totals = sorted(totals.get(stage.pk, []), key=lambda t: -t["count"])
            columns.append(
                {
                    "stage": stage,
                    "cards": stage_cards,
                    "next_cursor": cursor,
                    "totals": stage_totals,
                    "count": sum(t["count"] for t in stage_totals),
                }
            )
        return columns


class PipelineColumnView(OrgView):
    """``…/stages/<stage_id>/cards/?cursor=…``: the next cards of one column (htmx swaps them in),
    through the deals list's own query: ``/api/deals?stage_id=…&sort=expected_close&cursor=…``."""

    def get(self, request, pipe_id, stage_id):
        pipeline = object_or_404(Pipeline.objects.for_org(self.org), pipe_id)
        stage = object_or_404(Stage.objects.for_org(self.org).filter(pipeline=pipeline), stage_id)
        params = {"sort": BOARD_SORT, "limit": str(BOARD_CARDS), "cursor": request.GET.get("cursor", "")}
        if request.GET.get("owner_id"):
            params["owner_id"] = request.GET["owner_id"]
        deals = Deal.objects.for_org(self.org).filter(stage=stage).select_related(*DEAL_RELATED)
        try:
            page = list_query(deals, params, DealFilterSet, request=request).page()
        except exceptions.APIException:
            raise Http404("No such page of this column.") from None
        board_url = reverse("deals:pipeline_detail", args=[pipeline.typeid])
        context = {
            "pipeline": pipeline,
            "column": {"stage": stage, "cards": page.rows, "next_cursor": page.next_cursor},
            "owner_id": params.get("owner_id", ""),
            "stages": Stage.objects.for_org(self.org).filter(pipeline=pipeline).order_by("position"),
            "board_url": f"{board_url}?{urlencode({'owner_id': params['owner_id']})}"
            if "owner_id" in params
            else board_url,
        }
        return render(request, "deals/pipeline_board.html#cards", context)


class DealExportView(CSVExportView):
    serializer_class = DealSerializer
    filterset_class = DealFilterSet
