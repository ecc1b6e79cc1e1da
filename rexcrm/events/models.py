"""The event log (a transactional outbox), webhooks and their delivery attempts.

The log's order is its position ``(txid, id)``: the writing transaction's id, then the row's
auto-increment. Readers see only the events of transactions that can no longer be overtaken
(``EventQuerySet.committed``), so walking the log by position never skips an event that
commits late: on PostgreSQL, a transaction's events become visible together, once every
transaction with a lower id has ended; on SQLite, writers are serialized (``BEGIN IMMEDIATE``)
and ``txid`` is 0, so the auto-increment alone is the commit order.
"""

from django.db import connections, models
from django.db.models import Func, Q
from django.db.models.expressions import RawSQL

from rexcrm.core import clock
from rexcrm.core.ids import encode, uuid7
from rexcrm.core.models import OrgOwnedModel, OrgQuerySet
from rexcrm.core.validators import validate_metadata
from rexcrm.events.choices import DeliveryStatus, WebhookStatus


class CurrentTransactionId(Func):
    """The id of the writing transaction (``pg_current_xact_id()``) on PostgreSQL; 0 elsewhere."""

    output_field = models.BigIntegerField()

    def as_sql(self, compiler, connection, **extra_context):
        return "0", []

    def as_postgresql(self, compiler, connection, **extra_context):
        return "pg_current_xact_id()::text::bigint", []


# Every transaction below the horizon has ended (PostgreSQL: the snapshot's xmin), and so have
# their events' fates; a reader's own transaction's events are visible to it too.
_HORIZON = "pg_snapshot_xmin(pg_current_snapshot())::text::bigint"
_OWN = "pg_current_xact_id_if_assigned()::text::bigint"


class EventQuerySet(OrgQuerySet):
    def committed(self):
        """The events no later commit can precede in the log (see the module docstring)."""
        if connections[self.db].vendor != "postgresql":
            return self
        return self.filter(Q(txid__lt=RawSQL(_HORIZON, [])) | Q(txid=RawSQL(_OWN, [])))

    def after(self, txid: int, pk: int):
        """The events after the position ``(txid, pk)``."""
        return self.filter(Q(txid__gt=txid) | Q(txid=txid, id__gt=pk))

    def in_log_order(self):
        return self.order_by("txid", "id")

    def end(self) -> tuple[int, int]:
        """A position that every event committed later comes after: where a new webhook starts.
        (PostgreSQL: just below the oldest transaction still running, which may let a few events
        committed a moment before through; SQLite: the last event, writers being serialized.)"""
        if connections[self.db].vendor != "postgresql":
            return 0, self.order_by("-id").values_list("id", flat=True).first() or 0
        with connections[self.db].cursor() as cursor:
            cursor.execute(f"SELECT {_HORIZON}")
            (horizon,) = cursor.fetchone()
        return horizon - 1, 2**63 - 1


class Event(models.Model):
    """One change of one object, appended by the service that made it, in its transaction.

    ``data`` is the JSON text of ``{"object": …, "previous": …}`` (plus extras such as a merge's
    ``duplicate_ids``), written with the API's encoder and served as is.
    """

    type_prefix = "evt"

    id = models.BigAutoField(primary_key=True)  # the position within a transaction (see txid)
    uuid = models.UUIDField(default=uuid7, unique=True, editable=False)  # the public evt_ id
    txid = models.BigIntegerField(db_default=CurrentTransactionId(), editable=False)
    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    # A ping is for one webhook only (and not in GET /events); deleted with it (webhook_delete).
    webhook = models.ForeignKey("Webhook", on_delete=models.DO_NOTHING, null=True, related_name="+")
    type = models.CharField(max_length=40)
    occurred_at = models.DateTimeField(default=clock.now)
    actor_id = models.CharField(max_length=40, blank=True, help_text="user_… or key_…; empty: the system")
    data = models.TextField()

    objects = EventQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["org", "txid", "id"], name="event_org_position"),
            models.Index(fields=["org", "type", "txid", "id"], name="event_org_type_position"),
            models.Index(fields=["org", "occurred_at"], name="event_org_occurred"),  # pruning, replay
        ]

    def __str__(self):
        return f"{self.type} {self.typeid}"

    @property
    def typeid(self) -> str:
        return encode(self.type_prefix, self.uuid)


class Webhook(OrgOwnedModel):
    """A subscription: events of the organization matching ``event_types`` are POSTed to ``url``.

    Its delivery state is the worker's: ``cursor_*`` is the position of the last event it has
    finished with (delivered, skipped as not matching, or given up), the head event being the
    next one. A worker holds the webhook while ``lease_expires_at`` is ahead (``lease_token``
    says which worker), so one worker at a time delivers its events, in order.
    """

    type_prefix = "whk"
    editable_fields = ("name", "url", "event_types", "secret", "status", "metadata")
    untrimmed_fields = ("secret",)  # a signing key: used exactly as the receiver has it

    name = models.CharField(max_length=200)
    url = models.CharField(max_length=2000)
    event_types = models.JSONField(default=list)
    secret = models.CharField(max_length=200)
    status = models.CharField(max_length=10, choices=WebhookStatus.choices, default=WebhookStatus.ACTIVE)
    metadata = models.JSONField(default=dict, blank=True, validators=[validate_metadata])
    failure_count = models.PositiveIntegerField(default=0, editable=False)  # failed events in a row

    cursor_txid = models.BigIntegerField(default=0, editable=False)
    cursor_id = models.BigIntegerField(default=0, editable=False)
    attempt = models.PositiveSmallIntegerField(default=0, editable=False)  # made on the head event
    next_attempt_at = models.DateTimeField(null=True, blank=True, editable=False)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [
            models.Index(fields=["org", "created_at", "id"], name="webhook_org_created"),
            models.Index(fields=["org", "updated_at", "id"], name="webhook_org_updated"),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due"),
        ]

    def __str__(self):
        return self.name


class Delivery(OrgOwnedModel):
    """One attempt to deliver one event to one webhook."""

    type_prefix = "dlv"

    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    # Deleted before their events (retention.prune), so events delete in one statement.
    event = models.ForeignKey(Event, on_delete=models.DO_NOTHING, related_name="+")
    attempt = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField()
    error = models.CharField(max_length=500, blank=True)
    next_retry_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        indexes = [
            models.Index(fields=["org", "webhook", "created_at", "id"], name="delivery_org_webhook_created"),
            models.Index(
                fields=["org", "webhook", "status", "created_at", "id"], name="delivery_org_webhook_status"
            ),
        ]

    def __str__(self):
        return f"{self.webhook_id} {self.event_id} #{self.attempt}"
