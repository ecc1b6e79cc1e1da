"""Settings of pipelines and their stages (``/settings/pipelines/…``), for the organization's
administrators: add and rename pipelines, choose the default; add, rename, recolour and reorder
stages (drag and drop, or the keyboard's Move up / Move down buttons), and remove a stage,
moving its deals to another one. Every write goes through ``deals.services``, so the rules are
the API's (``/api/pipelines/:id/stages``)."""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from deals import services
from deals.choices import StageType
from deals.models import Deal, Pipeline, Stage
from rexcrm.core import ids
from rexcrm.core.admin import service_error_messages
from rexcrm.core.exceptions import REFUSED, ConflictError
from rexcrm.core.forms import UIForm, add_service_errors, submit
from rexcrm.core.views import AdminOnly, OrgView, object_or_404


class PipelineForm(UIForm):
    name = forms.CharField(label="Name", strip=False)
    is_default = forms.BooleanField(
        label="Default pipeline", required=False, help_text="New deals go here unless told otherwise."
    )


class NewPipelineForm(UIForm):
    name = forms.CharField(
        label="Name", strip=False, help_text="It starts with the standard six stages; change them next."
    )


class StageForm(UIForm):
    name = forms.CharField(label="Name", strip=False)
    color = forms.CharField(label="Colour", widget=forms.TextInput(attrs={"type": "color"}))


class NewStageForm(StageForm):
    type = forms.ChoiceField(
        label="Type", choices=StageType.choices, help_text="Deals on a won or lost stage are closed."
    )
    field_order = ["name", "type", "color"]


class MoveToForm(UIForm):
    move_to = forms.ChoiceField(label="Move its deals to", required=False)


def _stage_form(stage, data=None) -> StageForm:
    return StageForm(
        data, prefix=stage.typeid, initial={"name": stage.name, "color": stage.color or "#64748b"}
    )


class PipelinesView(AdminOnly, OrgView):
    """``/settings/pipelines/``: the pipelines, and a form to add one."""

    def get(self, request, form=None, status=200):
        pipelines = (
            Pipeline.objects.for_org(self.org)
            .annotate(stage_count=Count("stages"))
            .order_by("-is_default", "name")
        )
        context = {"section": "pipelines", "pipelines": pipelines, "add_form": form or NewPipelineForm()}
        return render(request, "deals/settings_pipelines.html", context, status=status)

    def post(self, request):
        form = NewPipelineForm(request.POST)
        pipeline = submit(
            form,
            lambda data: services.pipeline_create(
                org=self.org, actor=request.user, name=data["name"], stages=services.DEFAULT_STAGES
            ),
        )
        if pipeline:
            messages.success(request, f"Pipeline {pipeline.name} added.")
            return redirect("deals:settings_pipeline", pipeline.typeid)
        return self.get(request, form=form, status=400)


class PipelineView(AdminOnly, OrgView):
    """``/settings/pipelines/<id>/``: the pipeline's name and default flag (POST here), its
    stages in order with their forms, and the form to add a stage."""

    def get_pipeline(self, pipe_id) -> Pipeline:
        return object_or_404(Pipeline.objects.for_org(self.org), pipe_id)

    def get(self, request, pipe_id):
        return self.page(request, self.get_pipeline(pipe_id))

    def page(
        self, request, pipeline, *, form=None, stage_form=None, new_stage_form=None, status=200, announce=""
    ):
        stages = list(Stage.objects.for_org(self.org).filter(pipeline=pipeline).order_by("position"))
        deal_counts = dict(
            Deal.objects.for_org(self.org)
            .filter(pipeline=pipeline)
            .values_list("stage_id")
            .annotate(count=Count("id"))
            .order_by()
        )
        rows = []
        for index, stage in enumerate(stages):
            bound = stage_form if stage_form is not None and stage_form.prefix == stage.typeid else None
            stage.deal_count = deal_counts.get(stage.pk, 0)
            rows.append({"stage": stage, "form": bound or _stage_form(stage), "first": index == 0,
                         "last": index == len(stages) - 1})  # fmt: skip
        context = {
            "section": "pipelines",
            "pipeline": pipeline,
            "rows": rows,
            "form": form or PipelineForm(initial={"name": pipeline.name, "is_default": pipeline.is_default}),
            "new_stage_form": new_stage_form or NewStageForm(initial={"color": "#64748b"}),
            "announce": announce,
        }
        return render(request, "deals/settings_pipeline.html", context, status=status)

    def post(self, request, pipe_id):
        pipeline = self.get_pipeline(pipe_id)
        form = PipelineForm(request.POST)

        def write(data):
            # the default moves by making another one the default: only True is sent
            default = {"is_default": True} if data["is_default"] else {}
            return services.pipeline_update(
                org=self.org, actor=request.user, pipeline=pipeline, name=data["name"], **default
            )

        saved = submit(form, write)
        if saved:
            messages.success(request, f"Pipeline {saved.name} saved.")
            return redirect("deals:settings_pipeline", saved.typeid)
        return self.page(request, pipeline, form=form, status=400)


class StageAddView(PipelineView):
    http_method_names = ["post"]

    def post(self, request, pipe_id):
        pipeline = self.get_pipeline(pipe_id)
        form = NewStageForm(request.POST)
        stage = submit(
            form, lambda data: services.stage_add(org=self.org, actor=request.user, pipeline=pipeline, **data)
        )
        if stage:
            messages.success(request, f"Stage {stage.name} added.")
            return redirect("deals:settings_pipeline", pipeline.typeid)
        return self.page(request, pipeline, new_stage_form=form, status=400)


class StageView(PipelineView):
    """A stage of the pipeline in the URL (another pipeline's stage is a 404); POST only."""

    http_method_names = ["post"]

    def get_stage(self, pipeline, stage_id) -> Stage:
        return object_or_404(Stage.objects.for_org(self.org).filter(pipeline=pipeline), stage_id)


class StageUpdateView(StageView):
    """Rename and recolour a stage."""

    def post(self, request, pipe_id, stage_id):
        pipeline = self.get_pipeline(pipe_id)
        stage = self.get_stage(pipeline, stage_id)
        form = _stage_form(stage, request.POST)
        saved = submit(
            form, lambda data: services.stage_update(org=self.org, actor=request.user, stage=stage, **data)
        )
        if saved:
            messages.success(request, f"Stage {saved.name} saved.")
            return redirect("deals:settings_pipeline", pipeline.typeid)
        return self.page(request, pipeline, stage_form=form, status=400)


class StageMoveView(StageView):
    """Move up / Move down (``direction``), the keyboard's way to reorder. htmx swaps the new
    list in (and says what moved); without JavaScript the page reloads."""

    def post(self, request, pipe_id, stage_id):
        pipeline = self.get_pipeline(pipe_id)
        stage = self.get_stage(pipeline, stage_id)
        step = {"up": -1, "down": 1}.get(request.POST.get("direction"))
        if step is None:
            messages.error(request, "Move a stage up or down.")
            return redirect("deals:settings_pipeline", pipeline.typeid)
        order = list(Stage.objects.for_org(self.org).filter(pipeline=pipeline).order_by("position"))
        index = next(i for i, s in enumerate(order) if s.pk == stage.pk)
        target = index + step
        if 0 <= target < len(order):
            order[index], order[target] = order[target], order[index]
            services.stage_reorder(
                org=self.org, actor=request.user, pipeline=pipeline, stage_ids=[s.pk for s in order]
            )
        position = min(max(target, 0), len(order) - 1) + 1
        text = f"{stage.name} is now stage {position} of {len(order)}."
        return _reordered(request, self, pipeline, text)


class StageOrderView(StageView):
    """The order after a drag and drop: every stage id of the pipeline (``stage_ids``), in order."""

    def post(self, request, pipe_id):
        pipeline = self.get_pipeline(pipe_id)
        try:
            stage_ids = [ids.decode(Stage.type_prefix, value) for value in request.POST.getlist("stage_ids")]
            services.stage_reorder(org=self.org, actor=request.user, pipeline=pipeline, stage_ids=stage_ids)
        except ids.InvalidId:
            return _refused(request, pipeline, "stage_ids: not stage ids.")
        except REFUSED as exc:
            return _refused(request, pipeline, " ".join(service_error_messages(exc)))
        return _reordered(request, self, pipeline, "Stages reordered.")


def _reordered(request, view, pipeline, text):
    if request.htmx:
        return view.page(request, pipeline, announce=text)
    messages.success(request, text)
    return redirect("deals:settings_pipeline", pipeline.typeid)


def _refused(request, pipeline, text):
    """A refused order (a stage added or removed meanwhile): the page again, with the message
    and the stored order (htmx navigates there whole)."""
    messages.error(request, f"Not reordered: {text}")
    url = reverse("deals:settings_pipeline", args=[pipeline.typeid])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


class StageDeleteView(StageView):
    """``…/stages/<id>/delete/``: how many deals are on the stage and where they go (required
    when there are some), then the stage is removed through ``stage_delete``."""

    http_method_names = ["get", "post"]

    def form(self, pipeline, stage, data=None) -> MoveToForm:
        form = MoveToForm(data)
        others = Stage.objects.for_org(self.org).filter(pipeline=pipeline).exclude(pk=stage.pk)
        form.fields["move_to"].choices = [
            ("", "Choose a stage…"),
            *[(s.typeid, s.name) for s in others.order_by("position")],
        ]
        return form

    def render_page(self, request, pipeline, stage, form, status=200):
        context = {
            "section": "pipelines",
            "pipeline": pipeline,
            "stage": stage,
            "deal_count": Deal.objects.for_org(self.org).filter(stage=stage).count(),
            "form": form,
        }
        return render(request, "deals/settings_stage_delete.html", context, status=status)

    def get(self, request, pipe_id, stage_id):
        pipeline = self.get_pipeline(pipe_id)
        stage = self.get_stage(pipeline, stage_id)
        return self.render_page(request, pipeline, stage, self.form(pipeline, stage))

    def post(self, request, pipe_id, stage_id):
        pipeline = self.get_pipeline(pipe_id)
        stage = self.get_stage(pipeline, stage_id)
        form = self.form(pipeline, stage, request.POST)
        if form.is_valid():
            value = form.cleaned_data["move_to"]
            move_to = (
                Stage.objects.for_org(self.org).with_pks([ids.decode(Stage.type_prefix, value)]).get()
                if value
                else None
            )
            try:
                services.stage_delete(org=self.org, actor=request.user, stage=stage, move_to=move_to)
            except ConflictError as exc:
                form.add_error("move_to", exc.message)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                moved = f", its deals moved to {move_to.name}" if move_to else ""
                messages.success(request, f"Stage {stage.name} removed{moved}.")
                return redirect(reverse("deals:settings_pipeline", args=[pipeline.typeid]))
        return self.render_page(request, pipeline, stage, form, status=400)
