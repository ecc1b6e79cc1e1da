"""Settings of webhooks (``/settings/webhooks/…``), for the organization's administrators:
the webhooks, a form to add one (its signing secret is shown once, on the page that answers
the creation), pause and resume, and each webhook's deliveries (newest first, keyset pages,
the API's ``/webhooks/:id/deliveries`` query). Writes go through ``rexcrm.events.services``."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render

from rexcrm.core.forms import UIForm, submit
from rexcrm.core.views import AdminOnly, Column, ListPageView, OrgView, object_or_404
from rexcrm.events import services
from rexcrm.events.choices import WebhookStatus
from rexcrm.events.filtersets import DeliveryFilterSet, WebhookFilterSet
from rexcrm.events.models import Delivery, Webhook


class WebhookForm(UIForm):
    name = forms.CharField(label="Name", strip=False)
    url = forms.CharField(
        label="URL",
        help_text="https:// to a public host.",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    event_types = forms.CharField(
        label="Events",
        initial="*",
        help_text="Comma-separated: * for every event, deal.* for a resource's, or types such as contact.created.",
    )

    def clean_event_types(self):
        return [value.strip() for value in self.cleaned_data["event_types"].split(",") if value.strip()]


class WebhooksView(AdminOnly, ListPageView):
    template_name = "events/webhooks.html"
    filterset_class = WebhookFilterSet
    columns = (
        Column("Name"),
        Column("URL"),
        Column("Events"),
        Column("Status"),
        Column("Created", "created_at"),
        Column(""),
    )
    filters = {"status": "Status"}
    form = None

    def get_queryset(self):
        return Webhook.objects.for_org(self.org)

    def get_context_data(self):
        return {"section": "webhooks", "add_form": self.form or WebhookForm()}

    def post(self, request):
        form = WebhookForm(request.POST)
        webhook = submit(form, lambda data: services.webhook_create(org=self.org, actor=request.user, **data))
        if webhook:
            context = {"section": "webhooks", "webhook": webhook}
            return render(request, "events/webhook_created.html", context, status=201)
        self.form = form
        response = self.get(request)
        response.status_code = 400
        return response


class WebhookStatusView(AdminOnly, OrgView):
    """``POST …/<id>/status/`` with ``status`` active (resume) or paused (pause)."""

    def post(self, request, id):
        webhook = object_or_404(Webhook.objects.for_org(self.org), id)
        status = request.POST.get("status")
        if status not in (WebhookStatus.ACTIVE, WebhookStatus.PAUSED):
            messages.error(request, "Choose to pause or to resume the webhook.")
        else:
            services.webhook_update(org=self.org, actor=request.user, webhook=webhook, status=status)
            if status == WebhookStatus.ACTIVE:
                messages.success(request, f"{webhook.name} resumed: it receives what happened meanwhile.")
            else:
                messages.success(request, f"{webhook.name} paused: events wait for it (30 days).")
        if request.POST.get("next") == "detail":
            return redirect("events:webhook", webhook.typeid)
        return redirect("events:webhooks")


class WebhookView(AdminOnly, ListPageView):
    """``/settings/webhooks/<id>/``: the webhook and its deliveries (every attempt, newest first)."""

    template_name = "events/webhook.html"
    filterset_class = DeliveryFilterSet
    columns = (
        Column("When", "created_at"),
        Column("Event"),
        Column("Attempt"),
        Column("Result"),
        Column("Status code"),
        Column("Duration", css="num"),
        Column("Next retry"),
    )
    filters = {"status": "Result"}

    def get(self, request, id):
        self.webhook = object_or_404(Webhook.objects.for_org(self.org), id)
        return super().get(request)

    def get_queryset(self):
        return Delivery.objects.for_org(self.org).filter(webhook=self.webhook).select_related("event")

    def get_context_data(self):
        return {"section": "webhooks", "webhook": self.webhook}
