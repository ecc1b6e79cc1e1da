"""Web UI of imports: upload (``/imports/new/``), map and preview, then watch it run
(``/imports/<id>/``, whose progress fragment htmx polls until the job is finished), and the
failed rows (``/imports/<id>/errors.csv``)."""

import csv

from django import forms
from django.core.exceptions import ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse_lazy

from imports import services
from imports.models import ImportJob, ImportResource, ImportStatus
from rexcrm.core.export import BOM, Lines, neutralise
from rexcrm.core.views import OrgView, object_or_404

LISTS = {
    ImportResource.CONTACTS: reverse_lazy("contacts:contact_list"),
    ImportResource.COMPANIES: reverse_lazy("contacts:company_list"),
    ImportResource.ACTIVITIES: reverse_lazy("activities:activity_list"),
}


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file")
    resource = forms.ChoiceField(label="Import into", choices=ImportResource.choices)


def _job(view, id) -> ImportJob:
    return object_or_404(ImportJob.objects.for_org(view.org), id)


class ImportNewView(OrgView):
    template_name = "imports/new.html"

    def get(self, request):
        form = UploadForm(initial={"resource": request.GET.get("resource", ImportResource.CONTACTS)})
        return self.page(request, form)

    def post(self, request):
        form = UploadForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                job = services.import_create(
                    org=self.org,
                    actor=request.user,
                    upload=form.cleaned_data["file"],
                    resource=form.cleaned_data["resource"],
                )
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, messages)
            else:
                return redirect("imports:detail", job.typeid)
        return self.page(request, form, status=400)

    def page(self, request, form, status=200):
        recent = ImportJob.objects.for_org(self.org).order_by("-created_at")[:10]
        context = {"form": form, "recent": recent, "limit": services.size_limit()}
        return render(request, self.template_name, context, status=status)


class ImportDetailView(OrgView):
    template_name = "imports/detail.html"

    def get(self, request, id):
        job = _job(self, id)
        if request.htmx and job.status != ImportStatus.MAPPING:
            return render(
                request, f"{self.template_name}#progress", {"job": job, "list_url": LISTS[job.resource]}
            )
        return self.page(request, job, job.mapping)

    def post(self, request, id):
        job = _job(self, id)
        mapping = [request.POST.get(f"column-{n}", "") for n in range(len(job.headers))]
        errors = []
        if request.POST.get("action") == "start":
            try:
                services.import_start(org=self.org, actor=request.user, job=job, mapping=mapping)
            except ValidationError as exc:
                errors = exc.messages
            else:
                return redirect("imports:detail", job.typeid)
        return self.page(request, job, mapping, errors=errors, status=400 if errors else 200)

    def page(self, request, job, mapping, errors=(), status=200):
        context = {"job": job, "errors": errors, "list_url": LISTS[job.resource]}
        if job.status == ImportStatus.MAPPING:
            target = services.TARGETS[job.resource]
            choices = [("", "Skip"), *((f, target.extra.get(f, f)) for f in target.fields)]
            context["columns"] = [
                {"n": n, "header": header, "field": field, "choices": choices}
                for n, (header, field) in enumerate(zip(job.headers, mapping, strict=True))
            ]
            context["required"] = target.required
            try:
                context["preview"] = services.preview(job, services.clean_mapping(job, mapping))
            except ValidationError as exc:
                context["preview"] = None
                context["errors"] = [*errors, *(m for m in exc.messages if m not in errors)]
        return render(request, self.template_name, context, status=status)


class ImportErrorsView(OrgView):
    """The failed rows as CSV: the file's columns, then the row number and the reason."""

    def get(self, request, id):
        job = _job(self, id)
        writer = csv.writer(Lines())

        def lines():
            yield BOM + writer.writerow([*job.headers, "row", "reason"])
            width = len(job.headers)
            for failure in job.failures.order_by("row").iterator(chunk_size=2000):
                values = (list(failure.values) + [""] * width)[:width]
                yield writer.writerow([*map(neutralise, values), failure.row, neutralise(failure.reason)])

        response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="import-{job.typeid}-errors.csv"'
        return response
