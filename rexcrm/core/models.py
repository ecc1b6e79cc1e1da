"""Base models: UUIDv7 primary keys, timestamps, and the organization column of tenancy."""

import datetime

from django.db import models
from django.db.models import Expression
from django.db.models.lookups import Exact, In
from django.db.models.sql.where import AND

from rexcrm.core import clock
from rexcrm.core.ids import encode, uuid7


class BaseModel(models.Model):
    """Every object: a UUIDv7 primary key (shown as a TypeID), created and updated times.

    Subclasses set ``type_prefix`` (``act``, ``cont`` …), the TypeID prefix of their ids.
    """

    type_prefix = ""

    id = models.UUIDField(primary_key=True, default=uuid7, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)  # domain time (see clock)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

    @property
    def typeid(self) -> str:
        return encode(self.type_prefix, self.id)


class OrgQuerySet(models.QuerySet):
    """The one visibility rule: every read of tenant data starts from ``for_org``."""

    def for_org(self, org):
        """``filter(org=org)``. For an organization (every request's case) the condition is
        added as the ``org_id = %s`` lookup that ``filter`` would build, without resolving the
        lookup by name (about 180 Python calls of every API read's fixed cost)."""
        field = self.model._meta.get_field("org")
        if not isinstance(org, field.related_model) or org.pk is None or self.query.is_sliced:
            return self.filter(org=org)  # None, an id, another model's object: Django decides
        clone = self._chain()
        query = clone.query
        query.where.add(Exact(field.get_col(query.get_initial_alias()), org.pk), AND)
        return clone

    def with_pks(self, pks):
        """``filter(pk__in=pks)``, planned on the primary key whatever the statistics say.

        PostgreSQL estimates the rows of an organization from the table's last ``ANALYZE``: one
        created since (or too small to be sampled) is estimated at no rows, so an index
        starting with ``org_id`` looks free, and ``org_id = … AND id = …`` walked every row of
        the organization in such an index (8.6 ms for an organization of 13,000 activities,
        against 0.04 ms on the primary key). Here the organization's condition stays, as a
        filter the planner cannot take for an index condition (``(org_id = …) IS TRUE``).
        """
        clone = self.org_not_indexed()
        query = clone.query
        # ``filter(pk__in=pks)`` without resolving the lookup by name (as ``for_org`` does)
        query.where.add(In(self.model._meta.pk.get_col(query.get_initial_alias()), list(pks)), AND)
        return clone

    def org_not_indexed(self):
        """The same rows, with the organization's condition written so that the planner cannot
        take it for an index condition: for a lookup by a key that an index finds without the
        organization (``with_pks``; an activity's ``(external_id, source)``), which the
        statistics trap above would otherwise send down an index of the organization's rows."""
        clone = self._chain()
        org, where = self.model._meta.get_field("org"), clone.query.where
        if where.connector == AND:
            where.children = [
                _NotAnIndexCondition(child)
                if isinstance(child, Exact) and getattr(child.lhs, "target", None) is org
                else child
                for child in where.children
            ]
        return clone


class _NotAnIndexCondition(Expression):
    """``(<condition>) IS TRUE``: the same rows, but no index condition for the planner."""

    conditional = True
    output_field = models.BooleanField()

    def __init__(self, condition):
        super().__init__()
        self.condition = condition

    def get_source_expressions(self):
        return [self.condition]

    def set_source_expressions(self, expressions):
        (self.condition,) = expressions

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.condition)
        return f"({sql}) IS TRUE", params


class OrgOwnedModel(BaseModel):
    """A tenant-owned row. Every unique constraint and hot index of a subclass starts with org,
    but for a natural key that is found without it (``OrgQuerySet.org_not_indexed``)."""

    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")

    objects = OrgQuerySet.as_manager()

    class Meta:
        abstract = True


class RateLimitBucket(models.Model):
    """Token-bucket state per API key for the database rate-limit backend (GCRA: one number).

    ``tat`` is the theoretical arrival time, in Unix seconds, of the next request that would
    find the bucket exactly full.
    """

    key = models.CharField(max_length=64, primary_key=True)
    tat = models.FloatField()
    allowed = models.BooleanField(default=True)  # the last decision, returned by the same statement

    def __str__(self):
        return self.key


class IdempotencyKeyQuerySet(models.QuerySet):
    def expired(self):
        return self.filter(created_at__lt=clock.now() - IdempotencyKey.TTL)


class IdempotencyKey(models.Model):
    """The first response to a POST sent with an ``Idempotency-Key`` header (API.md §7), kept
    24 hours per organization and key (``rexcrm.core.api.idempotency``)."""

    TTL = datetime.timedelta(hours=24)

    org = models.ForeignKey("accounts.Organization", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)  # SHA-256 of the method, path and body
    status_code = models.PositiveSmallIntegerField(default=0)
    body = models.BinaryField(default=b"")
    created_at = models.DateTimeField(default=clock.now)

    objects = IdempotencyKeyQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["org", "key"], name="idempotencykey_org_key_uniq")]
        indexes = [models.Index(fields=["created_at"], name="idempotencykey_created")]

    def __str__(self):
        return self.key
