"""Admin for the event log, webhooks and their deliveries. Events and deliveries are written by
the services and the worker only: shown here, never edited. Webhooks go through
``rexcrm.events.services`` (their secret is shown once, when added)."""

import json

from django import forms
from django.contrib import admin, messages
from django.db.models import Min

from rexcrm.core.admin import ReadOnlyAdmin, ServiceAdmin, ServiceModelForm, pretty_json
from rexcrm.events import services, types
from rexcrm.events.choices import DeliveryStatus
from rexcrm.events.filtersets import DeliveryFilterSet, WebhookFilterSet
from rexcrm.events.models import Delivery, Event, Webhook


class EventTypeFilter(admin.SimpleListFilter):
    """The known types (no scan of the log for its distinct values)."""

    title = "type"
    parameter_name = "type"

    def lookups(self, request, model_admin):
        return [(name, name) for name in (*types.EVENT_TYPES, types.PING)]

    def queryset(self, request, queryset):
        return queryset.filter(type=self.value()) if self.value() else queryset


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    """The log in its order, newest first."""

    id_field = "uuid"
    list_display = ["prefixed_id", "type", "occurred_at", "actor_id", "webhook", "org"]
    list_filter = [EventTypeFilter, "org"]
    search_fields = ["actor_id"]
    search_help_text = "A pasted evt_… id, or an actor (user_… or key_…) exactly."
    ordering = ["-txid", "-id"]
    fields = ["prefixed_id", "type", "occurred_at", "actor_id", "webhook", "org", "payload"]

    def get_search_results(self, request, queryset, search_term):
        if search_term.strip().startswith(("user_", "key_")):
            return queryset.filter(actor_id__iexact=search_term.strip()), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description="Data")
    def payload(self, event):
        return pretty_json(json.loads(event.data))


class WebhookAdminForm(ServiceModelForm):
    """The secret is never shown again: left empty on add it is generated (and shown once on
    the next page); typed on change, it replaces the old one."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "secret" in self.fields:
            self.fields["secret"] = forms.CharField(
                required=False,
                widget=forms.PasswordInput,
                help_text="At least 16 characters. Empty: a new webhook gets a generated one; "
                "a webhook keeps its own.",
            )

    @property
    def changed_data(self):
        changed = super().changed_data
        return [name for name in changed if name != "secret" or self.cleaned_data.get("secret")]


@admin.register(Webhook)
class WebhookAdmin(ServiceAdmin):
    writes = services.WEBHOOK_WRITES
    form = WebhookAdminForm
    filterset_class = WebhookFilterSet
    list_display = ["name", "url", "status", "failure_count", "org", "created_at"]
    list_filter = ["status", "org"]
    search_fields = ["name", "url"]
    search_help_text = "Name or URL, or a pasted whk_… id."
    readonly_fields = ["failure_count", "next_attempt_at", "created_at", "updated_at"]
    actions = [*ServiceAdmin.actions, "replay_failed"]

    def response_add(self, request, obj, post_url_continue=None):
        return self.shown_once(request, obj, label="Signing secret", secret=obj.secret)

    @admin.action(description="Replay failed deliveries of selected webhooks")
    def replay_failed(self, request, queryset):
        """Each webhook delivers again, in order, every event since its oldest failed delivery
        still kept (``webhook_replay``)."""
        replayed = 0
        for webhook in queryset.select_related("org"):
            since = Delivery.objects.filter(webhook=webhook, status=DeliveryStatus.FAILED).aggregate(
                since=Min("event__occurred_at")
            )["since"]
            if since is not None:
                services.webhook_replay(org=webhook.org, actor=request.user, webhook=webhook, since=since)
                replayed += 1
        level = messages.SUCCESS if replayed else messages.WARNING
        self.message_user(
            request, f"{replayed} webhook(s) will deliver again from their oldest failed event.", level
        )


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    filterset_class = DeliveryFilterSet
    list_display = ["prefixed_id", "webhook", "event", "attempt", "status", "status_code", "duration_ms", "created_at", "org"]  # fmt: skip
    list_filter = ["status", "webhook", "org"]
    search_fields = ["error"]
    search_help_text = "A pasted dlv_…, whk_… or evt_… id, or words of the error."
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
