"""Every write to pipelines, stages, deals and products.

Keyword-only, atomic, validating: the API, the admin and (later) the UI call these and
nothing else. Bad input raises Django's ``ValidationError`` (keyed by the API's field names);
a write the current state forbids raises ``ConflictError``.

Invariants kept here:
- one default pipeline per organization (a partial unique constraint backs it; changes of the
  default lock the organization row so that two concurrent changes queue instead of failing);
- stage positions are 0..n-1 in each pipeline (stage writes lock the pipeline row);
- ``deal_move_stage`` is the only code that changes a deal's stage: it locks the deal, writes
  exactly one ``DealStageChange`` per real change and keeps ``status``/``closed_at`` in step.

No events are emitted yet (there is no events app); the points where ``deal.stage_changed``,
``deal.won`` and ``deal.lost`` belong are marked.
"""

from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone

from deals.choices import DealStatus, StageType
from deals.models import Deal, DealProduct, DealStageChange, Pipeline, Product, Stage
from rexcrm.accounts.models import Organization, User
from rexcrm.core import clock, ids
from rexcrm.core.exceptions import ConflictError
from rexcrm.core.services import check_same_org

DEFAULT_PIPELINE_NAME = "Sales Pipeline"
DEFAULT_STAGES: tuple[dict, ...] = (
    {"name": "Discovery", "type": StageType.OPEN, "color": "#64748b"},
    {"name": "Qualification", "type": StageType.OPEN, "color": "#3b82f6"},
    {"name": "Proposal", "type": StageType.OPEN, "color": "#8b5cf6"},
    {"name": "Negotiation", "type": StageType.OPEN, "color": "#f59e0b"},
    {"name": "Closed Won", "type": StageType.WON, "color": "#16a34a"},
    {"name": "Closed Lost", "type": StageType.LOST, "color": "#dc2626"},
)

_CLOSED_STATUSES = frozenset({DealStatus.WON, DealStatus.LOST})
# Positions move through this offset while a pipeline is renumbered, so that the unique
# (org, pipeline, position) constraint holds after every row of every statement.
_POSITION_OFFSET = 1_000_000


def _error(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


# -- pipelines -------------------------------------------------------------------------------


def pipeline_default(*, org: Organization) -> Pipeline:
    """The organization's default pipeline, created (with the six standard stages) if it has
    none, e.g. an organization created before pipelines existed."""
    pipeline = Pipeline.objects.for_org(org).filter(is_default=True).first()
    if pipeline is not None:
        return pipeline
    with transaction.atomic():
        # The lock makes concurrent first deals of an organization create one default, not two.
        Organization.objects.select_for_update().filter(pk=org.pk).values_list("pk", flat=True).first()
        pipeline = Pipeline.objects.for_org(org).filter(is_default=True).first()
        if pipeline is None:
            pipeline = pipeline_create(
                org=org, name=DEFAULT_PIPELINE_NAME, is_default=True, stages=DEFAULT_STAGES
            )
        return pipeline


def _clear_default(org_id) -> None:
    """Unset the current default (the caller then sets the new one, in the same transaction)."""
    Organization.objects.select_for_update().filter(pk=org_id).values_list("pk", flat=True).first()
    Pipeline.objects.for_org(org_id).filter(is_default=True).update(
        is_default=False, updated_at=timezone.now()
    )


@transaction.atomic
def pipeline_create(
    *,
    org: Organization,
    name: str,
    is_default: bool = False,
    stages: Iterable[dict] = (),
    metadata: dict | None = None,
    actor: User | None = None,
) -> Pipeline:
    """A pipeline with its stages (``{"name", "type", "color"}`` each, in order). Making it
    the default unsets the previous default in the same transaction."""
    now = clock.now()
    if is_default:
        _clear_default(org.pk)
    pipeline = Pipeline.objects.create(
        org=org, name=name, is_default=is_default, metadata=metadata or {}, created_at=now
    )
    Stage.objects.bulk_create(
        [
            Stage(
                org=org,
                pipeline=pipeline,
                position=position,
                name=stage["name"],
                type=stage.get("type") or StageType.OPEN,
                color=stage.get("color") or None,
                created_at=now,
            )
            for position, stage in enumerate(stages)
        ]
    )
    return pipeline


_PIPELINE_FIELDS = frozenset({"name", "is_default", "metadata"})


@transaction.atomic
def pipeline_update(*, pipeline: Pipeline, actor: User | None = None, **changes) -> Pipeline:
    """Change ``name``, ``metadata`` and/or ``is_default`` (only the fields given).

    An organization always has one default pipeline: ``is_default=True`` moves the default
    here; ``is_default=False`` on the default itself is refused (make another one the default).
    """
    unknown = set(changes) - _PIPELINE_FIELDS
    if unknown:
        raise TypeError(f"pipeline_update: unknown field(s) {sorted(unknown)}")
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    fields = []
    if "is_default" in changes and changes["is_default"] != pipeline.is_default:
        if not changes["is_default"]:
            raise _error(
                "is_default",
                "An organization always has one default pipeline: make another pipeline the default instead.",
            )
        _clear_default(pipeline.org_id)
        pipeline.is_default = True
        fields.append("is_default")
    for field in ("name", "metadata"):
        if field in changes:
            setattr(pipeline, field, changes[field])
            fields.append(field)
    if fields:
        pipeline.save(update_fields=[*fields, "updated_at"])
    return pipeline


@transaction.atomic
def pipeline_delete(*, pipeline: Pipeline, actor: User | None = None) -> None:
    """Delete a pipeline and its stages; refused (409) for the default one and while deals
    are in it."""
    pipeline = Pipeline.objects.select_for_update().get(pk=pipeline.pk)
    if pipeline.is_default:
        raise ConflictError(
            "The default pipeline cannot be deleted: make another pipeline the default first."
        )
    count = Deal.objects.for_org(pipeline.org_id).filter(pipeline=pipeline).count()
    if count:
        raise ConflictError(f"The pipeline still has {count} deal(s): move or delete them first.")
    try:
        with transaction.atomic():
            pipeline.delete()
    except (ProtectedError, IntegrityError):  # a deal arrived meanwhile
        raise ConflictError("The pipeline still has deals: move or delete them first.") from None


def _touch(pipeline: Pipeline) -> None:
    """Stages are part of the pipeline's representation: a stage change updates it."""
    Pipeline.objects.filter(pk=pipeline.pk).update(updated_at=timezone.now())  # a sync mark: real time


def _lock_pipeline(pipeline: Pipeline) -> Pipeline:
    return Pipeline.objects.select_for_update().get(pk=pipeline.pk)


def _stage_ids(pipeline: Pipeline) -> list:
    return list(Stage.objects.filter(pipeline=pipeline).order_by("position").values_list("pk", flat=True))


def _renumber(pipeline: Pipeline, ordered_ids: Sequence) -> None:
    """Give the pipeline's stages the positions 0..n-1 in ``ordered_ids`` order (two statements)."""
    Stage.objects.filter(pipeline=pipeline).update(position=F("position") + _POSITION_OFFSET)
    stages = [Stage(pk=pk, position=position) for position, pk in enumerate(ordered_ids)]
    Stage.objects.bulk_update(stages, ["position"])


# -- stages ----------------------------------------------------------------------------------


@transaction.atomic
def stage_add(
    *,
    pipeline: Pipeline,
    name: str,
    type: str = StageType.OPEN,
    color: str | None = None,
    position: int | None = None,
    actor: User | None = None,
) -> Stage:
    """Append a stage, or insert it at ``position`` (0..n) and shift the later ones down."""
    pipeline = _lock_pipeline(pipeline)
    order = _stage_ids(pipeline)
    if position is None:
        position = len(order)
    elif not 0 <= position <= len(order):
        raise _error("position", f"Must be from 0 to {len(order)} (the number of stages, to append).")
    stage = Stage(
        org_id=pipeline.org_id,
        pipeline=pipeline,
        name=name,
        type=type,
        color=color or None,
        position=len(order) + 2 * _POSITION_OFFSET,  # placed for real below
        created_at=clock.now(),
    )
    if position == len(order):
        stage.position = position
        stage.save()
    else:
        stage.save()
        order.insert(position, stage.pk)
        _renumber(pipeline, order)
        stage.position = position
    _touch(pipeline)
    return stage


@transaction.atomic
def stage_reorder(*, pipeline: Pipeline, stage_ids: Sequence, actor: User | None = None) -> Pipeline:
    """Put the pipeline's stages in the order of ``stage_ids`` (UUIDs), which must name every
    stage of the pipeline exactly once."""
    pipeline = _lock_pipeline(pipeline)
    current = _stage_ids(pipeline)
    problems = []
    code = "invalid"
    seen = set()
    duplicates = [pk for pk in stage_ids if pk in seen or seen.add(pk)]
    if duplicates:
        problems.append(
            "Duplicated: " + ", ".join(ids.encode("stg", pk) for pk in dict.fromkeys(duplicates)) + "."
        )
    foreign = [pk for pk in dict.fromkeys(stage_ids) if pk not in set(current)]
    if foreign:
        in_org = set(
            Stage.objects.for_org(pipeline.org_id).filter(pk__in=foreign).values_list("pk", flat=True)
        )
        others = [pk for pk in foreign if pk in in_org]
        unknown = [pk for pk in foreign if pk not in in_org]
        if others:
            problems.append(
                "Not stages of this pipeline: " + ", ".join(ids.encode("stg", pk) for pk in others) + "."
            )
        if unknown:
            code = "invalid_reference"
            problems.append(
                "No stage with id "
                + ", ".join(ids.encode("stg", pk) for pk in unknown)
                + " in this organization."
            )
    missing = [pk for pk in current if pk not in seen]
    if missing:
        problems.append("Missing: " + ", ".join(ids.encode("stg", pk) for pk in missing) + ".")
    if problems:
        raise ValidationError(
            {
                "stage_ids": [
                    ValidationError(
                        "Send every stage id of the pipeline exactly once, in the new order. "
                        + " ".join(problems),
                        code=code,
                    )
                ]
            }
        )
    if list(stage_ids) != current:
        _renumber(pipeline, stage_ids)
        _touch(pipeline)
        pipeline.refresh_from_db(fields=["updated_at"])
    return pipeline


@transaction.atomic
def stage_delete(*, stage: Stage, move_to: Stage | None = None, actor: User | None = None) -> None:
    """Delete a stage. Refused (409) while deals are on it, unless ``move_to`` (a stage of the
    same pipeline) is given: then each deal moves there through ``deal_move_stage`` (history
    rows included) first. The later stages move up, so positions stay contiguous."""
    pipeline = _lock_pipeline(stage.pipeline)
    if move_to is not None:
        if move_to.pk == stage.pk:
            raise _error("move_to", "Must be another stage than the one being deleted.")
        if move_to.pipeline_id != pipeline.pk:
            if move_to.org_id != pipeline.org_id:
                raise _error(
                    "move_to", f"No stage with id {move_to.typeid} in this organization.", "invalid_reference"
                )
            raise _error("move_to", "Must be a stage of the same pipeline.")
    deals = list(Deal.objects.filter(stage=stage).select_for_update().order_by("pk"))
    if deals and move_to is None:
        raise ConflictError(
            f"{len(deals)} deal(s) are on this stage: move them first, or pass move_to=<stage id>."
        )
    for deal in deals:
        deal_move_stage(deal=deal, stage=move_to, actor=actor)
    try:
        with transaction.atomic():
            stage.delete()
    except (ProtectedError, IntegrityError):  # a deal moved onto it meanwhile
        raise ConflictError("Deals are on this stage: move them first, or pass move_to=<stage id>.") from None
    remaining = list(
        Stage.objects.filter(pipeline=pipeline).order_by("position").values_list("pk", "position")
    )
    if [position for _, position in remaining] != list(range(len(remaining))):
        _renumber(pipeline, [pk for pk, _ in remaining])
    _touch(pipeline)


# -- deals -----------------------------------------------------------------------------------


def _first_stage(pipeline: Pipeline) -> Stage:
    stage = Stage.objects.filter(pipeline=pipeline).order_by("position").first()
    if stage is None:
        raise _error("pipeline_id", "The pipeline has no stages: add one first.")
    return stage


def _status_effects(deal: Deal, status: str, now) -> list[str]:
    """Set ``status``; entering won/lost records ``closed_at``, leaving them clears it."""
    was_closed = deal.status in _CLOSED_STATUSES
    deal.status = status
    if status in _CLOSED_STATUSES and not was_closed:
        deal.closed_at = now
    elif status not in _CLOSED_STATUSES:
        deal.closed_at = None
    return ["status", "closed_at"]


def _check_status_against_stage(stage: Stage, status) -> None:
    if status is not None and stage.is_closed and status != stage.type:
        raise _error(
            "status",
            f"The deal goes to a {stage.type} stage, so its status is {stage.type}: "
            f"omit status or send {stage.type}.",
        )


def _set_products(deal: Deal, products: Iterable[Product]) -> None:
    wanted = {product.pk: product for product in products}
    for product in wanted.values():
        check_same_org(deal.org_id, "product_ids", product)
    current = set(DealProduct.objects.filter(deal=deal).values_list("product_id", flat=True))
    removed = current - set(wanted)
    if removed:
        DealProduct.objects.filter(deal=deal, product_id__in=removed).delete()
    DealProduct.objects.bulk_create(
        [DealProduct(org_id=deal.org_id, deal=deal, product_id=pk) for pk in wanted if pk not in current]
    )


@transaction.atomic
def deal_create(
    *,
    org: Organization,
    name: str,
    pipeline: Pipeline | None = None,
    stage: Stage | None = None,
    products: Iterable[Product] = (),
    status: str | None = None,
    actor: User | None = None,
    **fields,
) -> Deal:
    """Create a deal. ``pipeline`` defaults to the stage's pipeline, else to the organization's
    default pipeline; ``stage`` defaults to the pipeline's first stage and must belong to the
    pipeline. On a won/lost stage the deal is born closed."""
    check_same_org(org.pk, "pipeline_id", pipeline)
    check_same_org(org.pk, "stage_id", stage)
    for field in ("contact", "company", "owner"):
        check_same_org(org.pk, f"{field}_id", fields.get(field))
    if pipeline is None:
        pipeline = stage.pipeline if stage is not None else pipeline_default(org=org)
    if stage is None:
        stage = _first_stage(pipeline)
    elif stage.pipeline_id != pipeline.pk:
        raise _error("stage_id", "The stage belongs to another pipeline than pipeline_id.")
    _check_status_against_stage(stage, status)
    now = clock.now()
    deal = Deal(
        org=org,
        name=name,
        pipeline=pipeline,
        stage=stage,
        stage_entered_at=now,
        created_at=now,
        **fields,
    )
    _status_effects(deal, stage.type if stage.is_closed else (status or DealStatus.OPEN), now)
    deal.save()
    _set_products(deal, products)
    return deal


@transaction.atomic
def deal_move_stage(
    *, deal: Deal, stage: Stage, actor: User | None = None, same_pipeline: bool = False
) -> Deal:
    """Move a deal to ``stage``: the only code that changes a deal's stage.

    Locks the deal row, so concurrent moves queue and each sees the stage the previous one
    left. A real change writes one history row, resets ``stage_entered_at``, moves the deal to
    the stage's pipeline, and on a won/lost stage sets ``status`` and ``closed_at`` (moving
    from a won/lost stage to an open one reopens the deal). Moving to the current stage
    changes nothing. ``same_pipeline`` refuses a stage of another pipeline (the stage
    endpoint). Returns the fresh, updated deal.
    """
    # No join in the locking read: PostgreSQL re-checks a join against the newest deal row
    # after waiting for the lock, and would then find no row at all.
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    check_same_org(locked.org_id, "stage_id", stage)
    if same_pipeline and stage.pipeline_id != locked.pipeline_id:
        raise _error(
            "stage_id", "Must be a stage of the deal's pipeline (PATCH pipeline_id to move it to another)."
        )
    if stage.pk == locked.stage_id:
        return locked
    previous = Stage.objects.get(pk=locked.stage_id)
    now = clock.now()
    locked.stage = stage
    locked.pipeline_id = stage.pipeline_id
    locked.stage_entered_at = now
    fields = ["stage", "pipeline", "stage_entered_at", "updated_at"]
    if stage.is_closed:
        locked.status = DealStatus.OPEN  # re-closing (won -> lost) records the new close
        fields += _status_effects(locked, stage.type, now)
    elif previous.is_closed:
        fields += _status_effects(locked, DealStatus.OPEN, now)
    locked.save(update_fields=fields)
    DealStageChange.objects.create(
        org_id=locked.org_id,
        deal=locked,
        from_stage_id=previous.pk,
        to_stage=stage,
        changed_at=now,
        changed_by=actor if actor is not None and actor.pk else None,
        created_at=now,
    )
    # Events (deal.stage_changed, and deal.won / deal.lost when it closes) belong here.
    return locked


_DEAL_FIELDS = frozenset(
    {
        "name",
        "pipeline",
        "stage",
        "contact",
        "company",
        "owner",
        "value",
        "currency",
        "status",
        "expected_close",
        "source",
        "lost_reason",
        "products",
        "metadata",
    }
)


@transaction.atomic
def deal_update(*, deal: Deal, actor: User | None = None, **changes) -> Deal:
    """Change only the fields given. A new ``stage`` and/or ``pipeline`` goes through
    ``deal_move_stage``: ``stage`` alone must be of the deal's pipeline; ``pipeline`` alone
    moves the deal to that pipeline's first stage; both must agree. ``status`` won/lost
    records ``closed_at``, open/stalled clears it."""
    unknown = set(changes) - _DEAL_FIELDS
    if unknown:
        raise TypeError(f"deal_update: unknown field(s) {sorted(unknown)}")
    locked = Deal.objects.select_for_update().get(pk=deal.pk)
    for field in ("pipeline", "stage", "contact", "company", "owner"):
        check_same_org(locked.org_id, f"{field}_id", changes.get(field))
    if changes.get("pipeline", False) is None or changes.get("stage", False) is None:
        raise _error("stage_id" if changes.get("stage", False) is None else "pipeline_id", "May not be null.")
    pipeline = changes.pop("pipeline", None)
    stage = changes.pop("stage", None)
    products = changes.pop("products", None)
    target = None
    if pipeline is not None or stage is not None:
        pipeline_pk = pipeline.pk if pipeline is not None else locked.pipeline_id
        if stage is None:
            target = _first_stage(pipeline) if pipeline_pk != locked.pipeline_id else None
        elif stage.pipeline_id != pipeline_pk:
            message = (
                "The stage belongs to another pipeline than pipeline_id."
                if pipeline is not None
                else "Must be a stage of the deal's pipeline (send pipeline_id too to move it to another)."
            )
            raise _error("stage_id", message)
        else:
            target = stage
    if target is not None and target.pk != locked.stage_id:
        _check_status_against_stage(target, changes.get("status"))
        locked = deal_move_stage(deal=locked, stage=target, actor=actor)
    fields = []
    if "status" in changes:
        status = changes.pop("status")
        if status != locked.status:
            fields += _status_effects(locked, status, clock.now())
    for field, value in changes.items():
        setattr(locked, field, value)
        fields.append(field)
    if products is not None:
        _set_products(locked, products)
        fields.append("updated_at")
    if fields:
        locked.save(update_fields=sorted({*fields, "updated_at"}))
    return locked


@transaction.atomic
def deal_delete(*, deal: Deal, actor: User | None = None) -> None:
    """Delete a deal with its history and product links; its activities and tasks stay, unlinked."""
    deal.delete()


# -- products --------------------------------------------------------------------------------


def _slug_conflict(org_id, slug: str, exclude_pk=None) -> ConflictError | None:
    existing = Product.objects.for_org(org_id).filter(slug__iexact=slug)
    if exclude_pk is not None:
        existing = existing.exclude(pk=exclude_pk)
    pk = existing.values_list("pk", flat=True).first()
    if pk is None:
        return None
    return ConflictError(
        f"A product with slug {slug!r} already exists.", field="slug", existing_id=ids.encode("prod", pk)
    )


def _save_product(product: Product, **save_kwargs) -> None:
    conflict = _slug_conflict(product.org_id, product.slug, exclude_pk=product.pk)
    if conflict:
        raise conflict
    try:
        with transaction.atomic():
            product.save(**save_kwargs)
    except IntegrityError:  # a concurrent write took the slug
        conflict = _slug_conflict(product.org_id, product.slug, exclude_pk=product.pk)
        if conflict:
            raise conflict from None
        raise


@transaction.atomic
def product_create(
    *, org: Organization, name: str, slug: str, actor: User | None = None, **fields
) -> Product:
    """A product; ``slug`` is unique per organization, case-insensitively (409 with the
    existing product's id)."""
    product = Product(org=org, name=name, slug=slug, created_at=clock.now(), **fields)
    _save_product(product)
    return product


_PRODUCT_FIELDS = frozenset({"name", "slug", "description", "price", "currency", "is_active", "metadata"})


@transaction.atomic
def product_update(*, product: Product, actor: User | None = None, **changes) -> Product:
    unknown = set(changes) - _PRODUCT_FIELDS
    if unknown:
        raise TypeError(f"product_update: unknown field(s) {sorted(unknown)}")
    product = Product.objects.select_for_update().get(pk=product.pk)
    for field, value in changes.items():
        setattr(product, field, value)
    if changes:
        _save_product(product, update_fields=[*changes, "updated_at"])
    return product


@transaction.atomic
def product_delete(*, product: Product, actor: User | None = None) -> None:
    """Delete a product; deals that had it simply no longer list it."""
    product.delete()
