"""Every write to pipelines, stages, deals and products (conventions: ``rexcrm.core.services``).

Bad input raises Django's ``ValidationError`` (keyed by the API's field names); a write the
current state forbids raises ``ConflictError``.

Invariants kept here:
- one default pipeline per organization (a partial unique constraint backs it; changes of the
  default lock the organization row so that two concurrent changes queue instead of failing);
- stage positions are 0..n-1 in each pipeline (stage writes lock the pipeline row);
- ``deal_move_stage`` is the only code that changes a deal's stage: it locks the deal, writes
  exactly one ``DealStageChange`` per real change and keeps ``status``/``closed_at`` in step.

Events: every change appends its events (``rexcrm.events.outbox``) in the same transaction,
one INSERT per change. A deal's change is a ``deal.updated`` (``deal.created`` for a new one),
plus ``deal.stage_changed`` when its stage moved and ``deal.won`` / ``deal.lost`` when its
status became won or lost. Stages are part of their pipeline's representation: a stage change
is a ``pipeline.updated``.
"""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, ProtectedError
from django.utils import timezone

from contacts.services import link_contacts_company
from deals.choices import DealStatus, StageType
from deals.models import Deal, DealProduct, DealStageChange, Pipeline, Product, Stage
from rexcrm.accounts.models import Actor, Organization, User
from rexcrm.core import clock, ids
from rexcrm.core.exceptions import ConflictError
from rexcrm.core.services import Writes, apply_changes, check_same_org, hold_dependents, lock
from rexcrm.events import outbox

DEFAULT_PIPELINE_NAME = "Sales Pipeline"
DEFAULT_STAGES: tuple[dict, ...] = (
    {"name": "Discovery", "type": StageType.OPEN, "color": "#64748b"},
    {"name": "Qualification", "type": StageType.OPEN, "color": "#3b82f6"},
    {"name": "Proposal", "type": StageType.OPEN, "color": "#8b5cf6"},
    {"name": "Negotiation", "type": StageType.OPEN, "color": "#f59e0b"},
    {"name": "Closed Won", "type": StageType.WON, "color": "#16a34a"},
    {"name": "Closed Lost", "type": StageType.LOST, "color": "#dc2626"},
)

MAX_STAGES = 100  # per pipeline created at once
# A stage position asked for (past the end appends): any 64-bit integer, as JSON integers past
# 64 bits reach the API as floats (orjson), so the OpenAPI document must state a maximum.
MAX_POSITION = 2**63 - 1
MAX_PRODUCTS = 100  # per deal
_CLOSED_STATUSES = frozenset({DealStatus.WON, DealStatus.LOST})
# Positions move through this offset while a pipeline is renumbered, so that the unique
# (org, pipeline, position) constraint holds after every row of every statement.
_POSITION_OFFSET = 1_000_000


def _error(field: str, message: str, code: str = "invalid") -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})


# -- pipelines -------------------------------------------------------------------------------


def pipeline_default(*, org: Organization) -> Pipeline:
    """The organization's default pipeline, created (with the six standard stages, by the
    system) if it has none, e.g. an organization created before pipelines existed."""
    pipeline = Pipeline.objects.for_org(org).filter(is_default=True).first()
    if pipeline is not None:
        return pipeline
    with transaction.atomic():
        # The lock makes concurrent first deals of an organization create one default, not two.
        Organization.objects.select_for_update().filter(pk=org.pk).values_list("pk", flat=True).first()
        pipeline = Pipeline.objects.for_org(org).filter(is_default=True).first()
        if pipeline is None:
            pipeline = pipeline_create(
                org=org, actor=None, name=DEFAULT_PIPELINE_NAME, is_default=True, stages=DEFAULT_STAGES
            )
        return pipeline


def _clear_default(org: Organization, actor: Actor) -> list:
    """Unset the current default (the caller then sets the new one, in the same transaction);
    returns the events of that change, for the caller to append with its own."""
    Organization.objects.select_for_update().filter(pk=org.pk).values_list("pk", flat=True).first()
    defaults = Pipeline.objects.for_org(org).filter(is_default=True)
    pks = list(defaults.values_list("pk", flat=True))
    if not pks:
        return []
    before = outbox.snapshot(Pipeline, pks)
    defaults.update(is_default=False, updated_at=timezone.now())
    return outbox.build(
        org=org, actor=actor, types="pipeline.updated", model=Pipeline, pks=pks, before=before
    )


def _stage_changes(fields: dict) -> dict:
    """Colours are kept lower-case."""
    if isinstance(fields.get("color"), str):
        return {**fields, "color": fields["color"].lower()}
    return fields


@transaction.atomic
def pipeline_create(*, org: Organization, actor: Actor, stages: Sequence[dict] = (), **fields) -> Pipeline:
    """A pipeline (``name``, ``is_default``, ``metadata``) with its stages (``{"name", "type",
    "color"}`` each, in order, at most ``MAX_STAGES``). Making it the default unsets the
    previous default in the same transaction."""
    now = clock.now()
    pipeline = Pipeline(org=org, created_at=now)
    errors = {}
    try:
        apply_changes(pipeline, fields, creating=True)
    except ValidationError as exc:
        errors.update(exc.error_dict)
    if len(stages) > MAX_STAGES:
        errors["stages"] = [ValidationError(f"At most {MAX_STAGES} stages.", code="max_length")]
    new_stages = []
    for position, stage_fields in enumerate(stages[:MAX_STAGES]):
        stage = Stage(org=org, position=position, created_at=now)
        try:
            apply_changes(stage, _stage_changes(stage_fields), creating=True)
        except ValidationError as exc:
            errors.update(
                {f"stages.{position}.{name}": problems for name, problems in exc.error_dict.items()}
            )
        new_stages.append(stage)
    if errors:
        raise ValidationError(errors)
    events = _clear_default(org, actor) if pipeline.is_default else []
    pipeline.save(force_insert=True)
    for stage in new_stages:
        stage.pipeline = pipeline
    Stage.objects.bulk_create(new_stages)
    outbox.append(
        [
            *events,
            *outbox.build(org=org, actor=actor, types="pipeline.created", model=Pipeline, pks=[pipeline.pk]),
        ]
    )
    return pipeline


@transaction.atomic
def pipeline_update(*, org: Organization, actor: Actor, pipeline: Pipeline, **changes) -> Pipeline:
    """Change ``name``, ``metadata`` and/or ``is_default`` (only the fields given).

    An organization always has one default pipeline: ``is_default=True`` moves the default
    here; ``is_default=False`` on the default itself is refused (make another one the default).
    Stages change one by one (``stage_add``, ``stage_reorder``, ``stage_delete``), never here.
    """
    if "stages" in changes:
        raise _error(
            "stages",
            "Stages cannot be replaced by PATCH: use POST, PUT or DELETE on /pipelines/:id/stages.",
        )
    pipeline = lock(Pipeline, org=org, pk=pipeline.pk)
    before = outbox.snapshot(Pipeline, [pipeline.pk])
    changed = apply_changes(pipeline, changes)
    events = []
    if "is_default" in changed:
        if not pipeline.is_default:
            raise ConflictError(
                "An organization always has one default pipeline: make another pipeline the default instead.",
                field="is_default",
            )
        events = _clear_default(org, actor)
    if changed:
        pipeline.save(update_fields=[*changed, "updated_at"])
        events += outbox.build(
            org=org, actor=actor, types="pipeline.updated", model=Pipeline, pks=[pipeline.pk], before=before
        )
        outbox.append(events)
    return pipeline


@transaction.atomic
def pipeline_delete(*, org: Organization, actor: Actor, pipeline: Pipeline) -> None:
    """Delete a pipeline and its stages; refused (409) for the default one and while deals
    are in it."""
    pipeline = lock(Pipeline, org=org, pk=pipeline.pk)
    if pipeline.is_default:
        raise ConflictError(
            "The default pipeline cannot be deleted: make another pipeline the default first."
        )
    count = Deal.objects.for_org(org).filter(pipeline=pipeline).count()
    if count:
        raise ConflictError(f"The pipeline still has {count} deal(s): move or delete them first.")
    gone = outbox.snapshot(Pipeline, [pipeline.pk])
    try:
        with transaction.atomic():
            pipeline.delete()
    except (ProtectedError, IntegrityError):  # a deal arrived meanwhile
        raise ConflictError("The pipeline still has deals: move or delete them first.") from None
    outbox.record_deleted(org=org, actor=actor, model=Pipeline, objects=gone)


def _touch(pipeline: Pipeline, *, org, actor, before: dict) -> None:
    """Stages are part of the pipeline's representation: a stage change updates it (and is a
    ``pipeline.updated`` event; ``before`` is the pipeline's snapshot before the change)."""
    Pipeline.objects.filter(pk=pipeline.pk).update(updated_at=timezone.now())  # a sync mark: real time
    outbox.record(org=org, actor=actor, types="pipeline.updated", obj=pipeline, before=before)


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
    *, org: Organization, actor: Actor, pipeline: Pipeline, position: int | None = None, **fields
) -> Stage:
    """Append a stage (``name``, ``type``, ``color``), or insert it at ``position`` (0..n) and
    shift the later ones down."""
    pipeline = lock(Pipeline, org=org, pk=pipeline.pk)
    before = outbox.snapshot(Pipeline, [pipeline.pk])
    order = _stage_ids(pipeline)
    stage = Stage(org_id=pipeline.org_id, pipeline=pipeline, created_at=clock.now())
    apply_changes(stage, _stage_changes(fields), creating=True)
    if position is None:
        position = len(order)
    elif isinstance(position, bool) or not isinstance(position, int) or not 0 <= position <= MAX_POSITION:
        raise _error("position", f"Must be from 0 to {len(order)} (the number of stages, to append).")
    position = min(position, len(order))  # past the end appends
    if position == len(order):
        stage.position = position
        stage.save(force_insert=True)
    else:
        stage.position = len(order) + 2 * _POSITION_OFFSET  # placed for real by the renumbering
        stage.save(force_insert=True)
        order.insert(position, stage.pk)
        _renumber(pipeline, order)
        stage.position = position
    _touch(pipeline, org=org, actor=actor, before=before)
    return stage


@transaction.atomic
def stage_update(*, org: Organization, actor: Actor, stage: Stage, **changes) -> Stage:
    """Rename, recolour or retype a stage. Its type (open, won, lost) decides the status of the
    deals on it, so it cannot change while deals are there (move them first)."""
    stage = lock(Stage, org=org, pk=stage.pk)
    before = outbox.snapshot(Pipeline, [stage.pipeline_id])
    previous_type = stage.type
    changed = apply_changes(stage, _stage_changes(changes))
    if "type" in changed and Deal.objects.filter(stage=stage).exists():
        stage.type = previous_type
        raise ConflictError("Deals are on this stage: move them before changing its type.", field="type")
    if changed:
        stage.save(update_fields=[*changed, "updated_at"])
        _touch(stage.pipeline, org=org, actor=actor, before=before)
    return stage


@transaction.atomic
def stage_reorder(*, org: Organization, actor: Actor, pipeline: Pipeline, stage_ids: Sequence) -> Pipeline:
    """Put the pipeline's stages in the order of ``stage_ids`` (UUIDs), which must name every
    stage of the pipeline exactly once."""
    pipeline = lock(Pipeline, org=org, pk=pipeline.pk)
    before = outbox.snapshot(Pipeline, [pipeline.pk])
    current = _stage_ids(pipeline)
    problems = []
    code = "invalid"
    seen = set()
    duplicates = [pk for pk in stage_ids if pk in seen or seen.add(pk)]
    if duplicates:
        problems.append("Duplicated: " + _stage_list(dict.fromkeys(duplicates)) + ".")
    foreign = [pk for pk in dict.fromkeys(stage_ids) if pk not in set(current)]
    if foreign:
        in_org = set(Stage.objects.for_org(org).with_pks(foreign).values_list("pk", flat=True))
        others = [pk for pk in foreign if pk in in_org]
        unknown = [pk for pk in foreign if pk not in in_org]
        if others:
            problems.append("Not stages of this pipeline: " + _stage_list(others) + ".")
        if unknown:
            code = "invalid_reference"
            problems.append("No stage with id " + _stage_list(unknown) + " in this organization.")
    missing = [pk for pk in current if pk not in seen]
    if missing:
        problems.append("Missing: " + _stage_list(missing) + ".")
    if problems:
        message = "Send every stage id of the pipeline exactly once, in the new order. " + " ".join(problems)
        if duplicates or code == "invalid_reference":
            raise _error("stage_ids", message, code)
        # Well-formed ids of this organization that are not the pipeline's stages as they are now
        # (a stage added or deleted since the client read them): the stored state refuses it.
        raise ConflictError(message, field="stage_ids")
    if list(stage_ids) != current:
        _renumber(pipeline, stage_ids)
        _touch(pipeline, org=org, actor=actor, before=before)
        pipeline.refresh_from_db(fields=["updated_at"])
    return pipeline


def _stage_list(pks) -> str:
    return ", ".join(ids.encode(Stage.type_prefix, pk) for pk in pks)


@transaction.atomic
def stage_delete(*, org: Organization, actor: Actor, stage: Stage, move_to: Stage | None = None) -> None:
    """Delete a stage. Refused (409) while deals are on it, unless ``move_to`` (a stage of the
    same pipeline) is given: then each deal moves there through ``deal_move_stage`` (history
    rows included) first. The later stages move up, so positions stay contiguous."""
    stage = Stage.objects.for_org(org).with_pks([stage.pk]).get()
    pipeline = lock(Pipeline, org=org, pk=stage.pipeline_id)
    before = outbox.snapshot(Pipeline, [pipeline.pk])
    if move_to is not None:
        check_same_org(org.pk, "move_to", move_to)
        # Which stages exist where is stored state, as for a stage_id: invalid_reference.
        if move_to.pk == stage.pk:
            raise _error("move_to", "Must be another stage than the one being deleted.", "invalid_reference")
        if move_to.pipeline_id != pipeline.pk:
            raise _error("move_to", "Must be a stage of the same pipeline.", "invalid_reference")
    deals = list(Deal.objects.filter(stage=stage).select_for_update().order_by("pk"))
    if deals and move_to is None:
        raise ConflictError(
            f"{len(deals)} deal(s) are on this stage: move them first, or pass move_to=<stage id>."
        )
    for deal in deals:
        deal_move_stage(org=org, actor=actor, deal=deal, stage=move_to)
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
    _touch(pipeline, org=org, actor=actor, before=before)


# -- deals -----------------------------------------------------------------------------------


def _first_stage(pipeline: Pipeline) -> Stage:
    stage = Stage.objects.filter(pipeline=pipeline).order_by("position").first()
    if stage is None:
        raise ConflictError("The pipeline has no stages: add one first.", field="pipeline_id")
    return stage


def _status_effects(deal: Deal, previous_status: str, now) -> None:
    """Entering won/lost records ``closed_at``, leaving them clears it."""
    if deal.status in _CLOSED_STATUSES and previous_status not in _CLOSED_STATUSES:
        deal.closed_at = now
    elif deal.status not in _CLOSED_STATUSES:
        deal.closed_at = None


def _check_status_against_stage(stage: Stage, status) -> None:
    """A deal on a won or lost stage has that status: another one conflicts with the stage as it
    is now (a 409, not a 400: the stage may be the pipeline's first, which the request does not
    name, and a stage's type can change), found by the fuzzer creating an open deal in a
    pipeline whose first stage is won."""
    if status is not None and stage.is_closed and status != stage.type:
        raise ConflictError(
            f"The deal goes to a {stage.type} stage, so its status is {stage.type}: "
            f"omit status or send {stage.type}.",
            field="status",
        )


def _money_changes(fields: dict) -> dict:
    """Currency codes are taken in either case and kept upper-case."""
    if isinstance(fields.get("currency"), str):
        return {**fields, "currency": fields["currency"].strip().upper()}
    return fields


def _set_products(deal: Deal, products) -> bool:
    """Make the deal's product set ``products``; returns whether it changed."""
    wanted = {product.pk: product for product in products}  # duplicates count once
    if len(wanted) > MAX_PRODUCTS:
        raise _error("product_ids", f"At most {MAX_PRODUCTS} ids.", "max_length")
    current = set(DealProduct.objects.filter(deal=deal).values_list("product_id", flat=True))
    removed = current - set(wanted)
    if removed:
        DealProduct.objects.filter(deal=deal, product_id__in=removed).delete()
    added = [DealProduct(org_id=deal.org_id, deal=deal, product_id=pk) for pk in wanted if pk not in current]
    DealProduct.objects.bulk_create(added)
    return bool(removed or added)


def _deal_event_types(deal: Deal, previous_status: str | None, *, moved: bool = False) -> list[str]:
    """``deal.created`` (no previous status) or ``deal.updated``, then ``deal.stage_changed`` for a
    stage move, and ``deal.won`` / ``deal.lost`` when the status has just become won or lost."""
    types = ["deal.created" if previous_status is None else "deal.updated"]
    if moved:
        types.append("deal.stage_changed")
    if deal.status in _CLOSED_STATUSES and deal.status != previous_status:
        types.append(f"deal.{deal.status}")
    return types


@transaction.atomic
def deal_create(*, org: Organization, actor: Actor, **fields) -> Deal:
    """Create a deal (``name`` required). ``pipeline`` defaults to the stage's pipeline, else to
    the organization's default pipeline; ``stage`` defaults to the pipeline's first stage and
    must belong to the pipeline. On a won/lost stage the deal is born closed. Linked to a
    contact and no company, it takes the contact's company."""
    fields = _money_changes(fields)
    # The pipeline and stage first (type, null, organization): the defaults below read them.
    apply_changes(
        Deal(org_id=org.pk), {name: fields[name] for name in ("pipeline", "stage") if name in fields}
    )
    if "pipeline" not in fields:
        stage = fields.get("stage")
        fields["pipeline"] = stage.pipeline if stage is not None else pipeline_default(org=org)
    if "stage" not in fields and fields["pipeline"] is not None:
        fields["stage"] = _first_stage(fields["pipeline"])
    pipeline, stage = fields["pipeline"], fields["stage"]
    if pipeline is not None and stage is not None and stage.pipeline_id != pipeline.pk:
        raise _error(
            "stage_id", "The stage belongs to another pipeline than pipeline_id.", "invalid_reference"
        )
    now = clock.now()
    deal = Deal(org=org, stage_entered_at=now, created_at=now)
    products = fields.pop("products", ())
    apply_changes(deal, {**fields, "products": products}, creating=True)
    _check_status_against_stage(deal.stage, fields.get("status"))
    if deal.stage.is_closed:
        deal.status = deal.stage.type
    _status_effects(deal, DealStatus.OPEN, now)
    link_contacts_company(deal)
    deal.save(force_insert=True)
    _set_products(deal, products)
    outbox.record(org=org, actor=actor, types=_deal_event_types(deal, None), obj=deal)
    return deal


@transaction.atomic
def deal_move_stage(
    *, org: Organization, actor: Actor, deal: Deal, stage: Stage, same_pipeline: bool = False
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
    locked = lock(Deal, org=org, pk=deal.pk)
    if not isinstance(stage, Stage):
        raise _error("stage_id", "Must be a stage.")
    check_same_org(org.pk, "stage_id", stage)
    if same_pipeline and stage.pipeline_id != locked.pipeline_id:
        raise _error(
            "stage_id",
            "Must be a stage of the deal's pipeline (PATCH pipeline_id to move it to another).",
            "invalid_reference",
        )
    if stage.pk == locked.stage_id:
        return locked
    before = outbox.snapshot(Deal, [locked.pk])
    previous_status = locked.status
    _move(locked, stage, actor)
    types = _deal_event_types(locked, previous_status, moved=True)
    outbox.record(org=org, actor=actor, types=types, obj=locked, before=before)
    return locked


def _move(locked: Deal, stage: Stage, actor: Actor) -> None:
    """Move a locked deal to another stage: its history row, stage time, pipeline and status."""
    previous = Stage.objects.get(pk=locked.stage_id)
    now = clock.now()
    locked.stage = stage
    locked.pipeline_id = stage.pipeline_id
    locked.stage_entered_at = now
    fields = ["stage", "pipeline", "stage_entered_at", "updated_at"]
    if stage.is_closed or previous.is_closed:
        locked.status = stage.type if stage.is_closed else DealStatus.OPEN
        _status_effects(locked, DealStatus.OPEN, now)  # re-closing (won -> lost) records the new close
        fields += ["status", "closed_at"]
    locked.save(update_fields=fields)
    DealStageChange.objects.create(
        org_id=locked.org_id,
        deal=locked,
        from_stage_id=previous.pk,
        to_stage=stage,
        changed_at=now,
        changed_by=actor if isinstance(actor, User) else None,
        created_at=now,
    )


@transaction.atomic
def deal_update(*, org: Organization, actor: Actor, deal: Deal, **changes) -> Deal:
    """Change only the fields given. A new ``stage`` and/or ``pipeline`` goes through
    ``deal_move_stage``: ``stage`` alone must be of the deal's pipeline; ``pipeline`` alone
    moves the deal to that pipeline's first stage; both must agree. ``status`` won/lost
    records ``closed_at``, open/stalled clears it. A new contact, when the deal has no
    company, brings its company."""
    locked = lock(Deal, org=org, pk=deal.pk)
    before = outbox.snapshot(Deal, [locked.pk])
    previous_status = locked.status
    changes = _money_changes(changes)
    apply_changes(Deal(org_id=org.pk), changes)  # refuse bad input before anything moves
    products = changes.pop("products", None)
    pipeline, stage = changes.pop("pipeline", None), changes.pop("stage", None)
    target = None
    if pipeline is not None and stage is None:
        target = _first_stage(pipeline) if pipeline.pk != locked.pipeline_id else None
    elif stage is not None:
        if stage.pipeline_id != (pipeline.pk if pipeline is not None else locked.pipeline_id):
            message = (
                "The stage belongs to another pipeline than pipeline_id."
                if pipeline is not None
                else "Must be a stage of the deal's pipeline (send pipeline_id too to move it to another)."
            )
            raise _error("stage_id", message, "invalid_reference")
        target = stage
    moved = target is not None and target.pk != locked.stage_id
    if moved:
        _check_status_against_stage(target, changes.get("status"))
        _move(locked, target, actor)
    status_after_move = locked.status
    changed = apply_changes(locked, changes)
    if "status" in changed:
        _status_effects(locked, status_after_move, clock.now())
        changed.append("closed_at")
    if "contact" in changed and link_contacts_company(locked):
        changed.append("company")
    products_changed = products is not None and _set_products(locked, products)
    if changed or products_changed:
        locked.save(update_fields=sorted({*changed, "updated_at"}))
    if moved or changed or products_changed:
        types = _deal_event_types(locked, previous_status, moved=moved)
        outbox.record(org=org, actor=actor, types=types, obj=locked, before=before)
    return locked


@transaction.atomic
def deal_delete(*, org: Organization, actor: Actor, deal: Deal) -> None:
    """Delete a deal with its history and product links; its activities and tasks stay, unlinked."""
    hold_dependents(Deal, [deal.pk])
    deal = lock(Deal, org=org, pk=deal.pk)
    gone = outbox.snapshot(Deal, [deal.pk])
    deal.delete()
    outbox.record_deleted(org=org, actor=actor, model=Deal, objects=gone)


# -- products --------------------------------------------------------------------------------


def _slug_conflict(org_id, slug: str, exclude_pk=None) -> ConflictError | None:
    existing = Product.objects.for_org(org_id).filter(slug__iexact=slug)
    if exclude_pk is not None:
        existing = existing.exclude(pk=exclude_pk)
    existing = existing.first()
    if existing is None:
        return None
    return ConflictError(f"A product with slug {slug!r} already exists.", field="slug", existing=existing)


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
def product_create(*, org: Organization, actor: Actor, **fields) -> Product:
    """A product (``name`` and ``slug`` required); ``slug`` is unique per organization,
    case-insensitively (409 with the existing product)."""
    product = Product(org=org, created_at=clock.now())
    apply_changes(product, _money_changes(fields), creating=True)
    _save_product(product, force_insert=True)
    outbox.record(org=org, actor=actor, types="product.created", obj=product)
    return product


@transaction.atomic
def product_update(*, org: Organization, actor: Actor, product: Product, **changes) -> Product:
    product = lock(Product, org=org, pk=product.pk)
    before = outbox.snapshot(Product, [product.pk])
    changed = apply_changes(product, _money_changes(changes))
    if changed:
        _save_product(product, update_fields=[*changed, "updated_at"])
        outbox.record(org=org, actor=actor, types="product.updated", obj=product, before=before)
    return product


@transaction.atomic
def product_delete(*, org: Organization, actor: Actor, product: Product) -> None:
    """Delete a product; deals that had it simply no longer list it."""
    product = lock(Product, org=org, pk=product.pk)
    gone = outbox.snapshot(Product, [product.pk])
    product.delete()
    outbox.record_deleted(org=org, actor=actor, model=Product, objects=gone)


PIPELINE_WRITES = Writes(Pipeline, create=pipeline_create, update=pipeline_update, delete=pipeline_delete)
DEAL_WRITES = Writes(Deal, create=deal_create, update=deal_update, delete=deal_delete)
PRODUCT_WRITES = Writes(Product, create=product_create, update=product_update, delete=product_delete)
