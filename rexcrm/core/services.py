"""What every app's services share: the domain's rules for a dict of field values.

Services are the one write path (API, UI, admin, imports, the shell): keyword-only, the
organization first, then ``actor`` (the team member or API key acting; None for the system),
atomic where more than one row changes, and an update locks and reloads its row (``lock``)
before it computes what changed. ``apply_changes`` validates and sets a dict of changes for
every resource, so every door refuses exactly the same input with the same field-keyed messages
and codes (the API's own words: its serializers only translate JSON, ids and names).

Errors are keyed by the API's field names (``company_id`` for the ``company`` link,
``product_ids`` for the ``products`` list): ``api_name``.
"""

import datetime
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache, lru_cache

from django.core import validators
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils import timezone

MESSAGES = {
    "required": "This field is required.",
    "null": "This field may not be null.",
    "blank": "This field may not be blank.",
    "max_length": "Ensure this field has no more than {max_length} characters.",
    "invalid_choice": '"{input}" is not a valid choice.',
    "invalid_reference": "No {kind} with id {id} in this organization.",
    "not_a_string": "Must be a string.",
    "not_an_integer": "Must be an integer.",
    "not_a_number": "Must be a number.",
    "not_a_boolean": "Must be true or false.",
    "not_a_datetime": "Must be a date and time.",
    "not_a_date": "Must be a date.",
    "not_an_object": "Must be a {kind} or null.",
}


def error(key: str, **params) -> ValidationError:
    """One domain error in the shared wording of ``key`` (its code; ``invalid`` for a wrong type)."""
    return ValidationError(MESSAGES[key].format(**params), code="invalid" if key.startswith("not_") else key)


def field_errors(field: str, *errors: ValidationError) -> ValidationError:
    return ValidationError({field: list(errors)})


def api_name(field: models.Field) -> str:
    """The name the API (and every error) uses: ``company_id`` for a link, ``product_ids`` for a
    list of links, the field's own name otherwise."""
    if field.many_to_many:
        return f"{field.related_model._meta.model_name}_ids"
    if field.is_relation:
        return field.attname
    return field.name


def editable_api_names(model) -> list[str]:
    """The API names of the model's ``editable_fields``, in order: what a serializer takes."""
    return [api_name(model._meta.get_field(name)) for name in model.editable_fields]


def check_same_org(org_id, field: str, obj) -> None:
    """A linked object must belong to the organization: else 400 ``invalid_reference`` on
    ``field`` (e.g. ``contact_id``), the same for another organization's object as for a
    missing one."""
    if obj is not None and obj.org_id != org_id:
        raise field_errors(field, reference_error(obj))


def reference_error(obj) -> ValidationError:
    return error("invalid_reference", kind=obj._meta.verbose_name, id=obj.typeid)


def lock(model, *, org, pk):
    """The row ``pk`` of the organization, reloaded and locked until the transaction ends
    (``SELECT … FOR UPDATE``), so an update computes its changes from the committed state and
    concurrent writers queue. ``model.DoesNotExist`` if it is gone (or not the organization's)."""
    return model.objects.for_org(org).with_pks([pk]).select_for_update().get()


@cache
def lock_rank(model) -> int:
    """The length of the longest chain of foreign keys leading out of ``model`` (an activity 5:
    activity → deal → contact → company → user → organization).

    Every write locks rows in one order, **a row before the rows it points at**: by rank,
    highest first, then by model and primary key. A write locks its own row, then updates the
    rows it points at (an activity raising its contact's ``last_activity_at``, a task its
    contact's ``next_task_due_at``), so a delete or merge locks the rows pointing at its row
    before that row (``hold_dependents``); were any two writers to take two rows in opposite
    orders, each would wait for the other and PostgreSQL would end one with a deadlock error
    (the fuzzer found one: a 503 on ``DELETE /contacts/:id`` racing an activity's PATCH)."""
    return max(
        (
            1 + lock_rank(field.related_model)
            for field in model._meta.concrete_fields
            if field.many_to_one and field.related_model is not model
        ),
        default=0,
    )


def lock_order(row: tuple[type, object]) -> tuple:
    """The sort key of a row ``(model, pk)`` in the one lock order (``lock_rank``)."""
    model, pk = row
    return -lock_rank(model), model._meta.label, str(pk)


def hold(rows: Iterable[tuple[type, object]]) -> set[tuple[type, object]]:
    """Lock the rows ``(model, pk)`` until the transaction ends, in the one lock order
    (``lock_rank``), and return those that do not exist (deleted or merged meanwhile).

    The lock is ``FOR NO KEY UPDATE``, the one an ``UPDATE`` of the row takes: taken before a
    write that will update these rows (or must not lose them to a concurrent delete or merge),
    it makes that delete or merge wait for the write and then unlink or move what it wrote.
    One statement per table. SQLite lets one writer in at a time: a plain read is enough there."""
    by_model: dict[type, list] = {}
    for model, pk in sorted({row for row in rows if row[1] is not None}, key=lock_order):
        by_model.setdefault(model, []).append(pk)
    missing = set()
    for model, pks in by_model.items():
        with connection.cursor() as cursor:
            params = [model._meta.pk.get_db_prep_value(pk, connection) for pk in pks]
            cursor.execute(_hold_sql(model, connection.vendor, len(pks)), params)
            present = {model._meta.pk.to_python(row[0]) for row in cursor.fetchall()}
        missing.update((model, pk) for pk in pks if pk not in present)
    return missing


@lru_cache(maxsize=256)
def _hold_sql(model, vendor: str, n: int) -> str:
    """``SELECT pk … WHERE pk IN (%s, …) [ORDER BY pk FOR NO KEY UPDATE]``, written once per
    model and count (the ORM built and compiled it for every write: a quarter of a millisecond)."""
    quote = connection.ops.quote_name
    pk = quote(model._meta.pk.column)
    sql = f"SELECT {pk} FROM {quote(model._meta.db_table)} WHERE {pk} IN ({', '.join(['%s'] * n)})"
    return sql + f" ORDER BY {pk} FOR NO KEY UPDATE" if vendor == "postgresql" else sql


def hold_links(instance, *names: str, also: Iterable[tuple[type, object]] = ()) -> None:
    """Hold (``hold``) the rows ``instance`` links to through the foreign keys ``names``, and the
    rows ``also``, until the transaction ends: a concurrent merge or delete of one waits for
    this write and then moves or unlinks the new link with the others, instead of the write
    failing at commit or the two deadlocking. A linked row already gone (merged or deleted
    meanwhile) is a 400 ``invalid_reference`` on its field, as for any unknown id."""
    fields = [type(instance)._meta.get_field(name) for name in names]
    links = {field: (field.related_model, getattr(instance, field.attname)) for field in fields}
    missing = hold([*links.values(), *also])
    for field, (related, pk) in links.items():
        if (related, pk) in missing:
            raise field_errors(api_name(field), reference_error(related(pk=pk)))


def hold_dependents(model, pks: Iterable) -> None:
    """Before deleting or merging away the rows ``pks`` of ``model``: lock the rows that point at
    them (those the delete will unlink or delete, the merge move), in the one lock order, so
    that a write holding one of them and waiting for a row of ``model`` finishes first instead
    of deadlocking with the delete (``lock_rank``). PostgreSQL only (SQLite has one writer)."""
    pks = list(pks)
    if connection.vendor != "postgresql" or not pks:
        return
    relations = [
        relation
        for relation in model._meta.related_objects
        if relation.one_to_many and relation.on_delete is not models.DO_NOTHING
    ]
    for relation in sorted(
        relations, key=lambda r: (-lock_rank(r.related_model), r.related_model._meta.label)
    ):
        rows = relation.related_model._base_manager.filter(**{f"{relation.field.attname}__in": pks})
        list(rows.order_by("pk").select_for_update(no_key=True).values_list("pk", flat=True))


def apply_changes(instance, changes: dict, *, creating: bool = False) -> list[str]:
    """Validate ``changes`` (model field name -> value) against the rules of ``instance``'s
    model and set them on it; return the names of the fields whose value changed.

    Names must be among the model's ``editable_fields`` (anything else is a programming
    error: ``TypeError``); a many-to-many list is validated but left to the service to store. Every value is checked as a whole (type, null, blank after trimming,
    length, choices, the model field's validators, same-organization links) and all the
    problems are raised at once as one ``ValidationError`` keyed by API field names. With
    ``creating``, the model's required fields that are missing are reported too.
    """
    model = type(instance)
    unknown = sorted(set(changes) - set(model.editable_fields))
    if unknown:
        raise TypeError(f"{model.__name__}: unknown or read-only field(s) {', '.join(unknown)}")
    errors: dict[str, list] = {}
    cleaned = {}
    for name, value in changes.items():
        field = model._meta.get_field(name)
        try:
            cleaned[name] = clean_value(model, field, value, org_id=getattr(instance, "org_id", None))
        except ValidationError as exc:
            errors.setdefault(api_name(field), []).extend(exc.error_list)
    if creating:
        for name in _required_names(model):
            if name not in changes:
                errors.setdefault(api_name(model._meta.get_field(name)), []).append(error("required"))
    if errors:
        raise ValidationError(errors)
    changed = []
    for name, value in cleaned.items():
        field = model._meta.get_field(name)
        if field.many_to_many:
            continue  # validated here, stored by the service once the row exists
        if field.is_relation:  # compare ids: reading the relation would query it
            if getattr(instance, field.attname) == (value.pk if value is not None else None):
                continue
        elif not creating and getattr(instance, name) == value:
            continue
        setattr(instance, name, value)
        changed.append(name)
    return changed


def is_required(field: models.Field) -> bool:
    return not (field.blank or field.null or field.has_default() or field.many_to_many)


@cache
def _required_names(model) -> tuple[str, ...]:
    return tuple(name for name in model.editable_fields if is_required(model._meta.get_field(name)))


def clean_value(model, field: models.Field, value, *, org_id):
    """One field's value, normalised (text trimmed, naive times as UTC, null text as "") and
    validated; raises ``ValidationError`` with the field's problems."""
    if value is None:
        if field.null:
            return None
        if field.blank and isinstance(field, models.JSONField):
            return field.get_default()
        if field.blank and isinstance(field, (models.CharField, models.TextField)) and not field.choices:
            return ""  # null clears an optional text
        raise error("null")
    if field.many_to_many:
        return _clean_links(field, value, org_id)
    if field.is_relation:
        if not isinstance(value, field.related_model):
            raise error("not_an_object", kind=field.related_model._meta.verbose_name)
        if value.org_id != org_id:
            raise reference_error(value)
        return value
    # The length as sent, before trimming: what a client (and the OpenAPI document's maxLength) counts.
    if isinstance(value, str) and field.max_length is not None and len(value) > field.max_length:
        raise error("max_length", max_length=field.max_length)
    value = _clean_type(model, field, value)
    if value == "":
        if not field.blank:
            raise error("blank")
        return None if field.null else value  # an empty optional value: nothing to validate
    if field.choices and value not in _choice_values(field):
        raise error("invalid_choice", input=value)
    problems = []
    for validator in field.validators:
        if isinstance(validator, validators.MaxLengthValidator):
            continue  # reported above, in the API's words
        try:
            validator(value)
        except ValidationError as exc:
            problems.extend(exc.error_list)
    if problems:
        raise ValidationError(problems)
    return value


@cache
def _choice_values(field: models.Field) -> frozenset:
    """The values a field with choices takes (Django flattens its choices again at every call)."""
    return frozenset(choice for choice, _ in field.flatchoices)


# (model field class, the Python types it takes, the ones it refuses, the error) in lookup order.
_TYPES = (
    (models.BooleanField, bool, (), "not_a_boolean"),
    (models.IntegerField, int, bool, "not_an_integer"),
    (models.FloatField, (int, float), bool, "not_a_number"),
    (models.DateTimeField, datetime.datetime, (), "not_a_datetime"),
    (models.DateField, datetime.date, datetime.datetime, "not_a_date"),
)


def _clean_type(model, field, value):
    if isinstance(field, (models.CharField, models.TextField)):
        if not isinstance(value, str):
            raise error("not_a_string")
        return value if field.name in getattr(model, "untrimmed_fields", ()) else value.strip()
    for field_class, accepted, refused, key in _TYPES:
        if isinstance(field, field_class):
            if not isinstance(value, accepted) or isinstance(value, refused):
                raise error(key)
            break
    if isinstance(field, models.FloatField):
        return float(value)
    if isinstance(field, models.DateTimeField) and timezone.is_naive(value):
        return timezone.make_aware(value, datetime.UTC)
    return value


def _clean_links(field, values, org_id) -> list:
    values = list(values)
    for value in values:
        if not isinstance(value, field.related_model):
            raise error("not_an_object", kind=field.related_model._meta.verbose_name)
        if value.org_id != org_id:
            raise reference_error(value)
    return values


@dataclass(frozen=True)
class Writes:
    """A resource's three standard writes, for the doors that drive them generically (the API's
    CRUD endpoints, the admin, the web UI's forms): ``create(*, org, actor, **fields)``,
    ``update(*, org, actor, <model_name>=obj, **changes)``, ``delete(*, org, actor,
    <model_name>=obj)``. ``create_finds`` says the create may return an existing row (dedup)
    as ``(obj, created)``."""

    model: type
    create: Callable
    update: Callable
    delete: Callable
    create_finds: bool = False

    def create_one(self, *, org, actor, **fields) -> tuple:
        """``(obj, created)``."""
        result = self.create(org=org, actor=actor, **fields)
        return result if self.create_finds else (result, True)

    def update_one(self, *, org, actor, obj, **changes):
        return self.update(org=org, actor=actor, **{self.model._meta.model_name: obj}, **changes)

    def delete_one(self, *, org, actor, obj) -> None:
        self.delete(org=org, actor=actor, **{self.model._meta.model_name: obj})
