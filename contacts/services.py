"""Every write to contacts and companies (the conventions are ``rexcrm.core.services``').

Uniqueness inside an organization (contact email case-insensitively, company domain after
normalisation) is the database's job: a write that breaks it fails inside a savepoint, and the
clash becomes a ``ConflictError`` (409) naming the field and the existing object. Upserts rely on
the same rule, so two concurrent upserts of one email leave one contact.

Raises ``django.core.exceptions.ValidationError`` for invalid input (400 on the API, a form
error elsewhere) and ``rexcrm.core.exceptions.ConflictError`` for clashes (409).
"""

from collections.abc import Sequence

import orjson
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone

from contacts import selectors
from contacts.choices import ContactStage
from contacts.domains import email_domain, normalize_domain
from contacts.freemail import is_freemail
from contacts.models import ADDRESS_KEYS, Company, Contact
from rexcrm.accounts.models import Actor
from rexcrm.core import clock
from rexcrm.core.exceptions import ConflictError
from rexcrm.core.services import (
    Writes,
    apply_changes,
    check_same_org,
    error,
    field_errors,
    hold_dependents,
    lock,
)
from rexcrm.core.validators import METADATA_MAX_BYTES
from rexcrm.events import outbox

# Lead capture never moves a contact down this order (churned is above prospect: a former
# customer filling in a form is not a new lead; winning them back is an explicit change).
STAGE_ORDER = {
    ContactStage.LEAD: 0,
    ContactStage.PROSPECT: 1,
    ContactStage.CHURNED: 2,
    ContactStage.CUSTOMER: 3,
}
_ICP_FIELDS = ("icp_score", "icp_score_reason", "icp_scored_at")
# Moved or combined by hand in a merge, never filled field by field.
_MERGE_SKIP = frozenset({"id", "org", "email", "metadata", *_ICP_FIELDS})


# -- helpers ---------------------------------------------------------------------------------


def _is_empty(value) -> bool:
    return value is None or value == "" or value == {}


def _clean_address(value):
    """Trim the parts and drop the empty ones, in the standard key order (None clears the
    address). Anything else is left for ``validate_address`` to refuse."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        return value
    cleaned = {key: value[key] for key in value if key not in ADDRESS_KEYS}
    for key in ADDRESS_KEYS:
        text = value.get(key)
        if isinstance(text, str):
            text = text.strip()
        if text not in (None, ""):
            cleaned[key] = text
    return cleaned


def _clean_domain(value) -> str:
    if value is not None and not isinstance(value, str):
        raise field_errors("domain", error("not_a_string"))
    try:
        return normalize_domain(value or "")
    except ValidationError as exc:
        raise ValidationError({"domain": exc.error_list}) from None


def _email_conflict(existing: Contact) -> ConflictError:
    return ConflictError("A contact with this email already exists.", field="email", existing=existing)


def _domain_conflict(existing: Company) -> ConflictError:
    return ConflictError("A company with this domain already exists.", field="domain", existing=existing)


def _save_contact(contact: Contact, **save_kwargs) -> None:
    """Save; a clash with another contact's email becomes a ``ConflictError`` naming it."""
    try:
        with transaction.atomic():
            contact.save(**save_kwargs)
    except IntegrityError:
        existing = Contact.objects.for_org(contact.org_id).with_email(contact.email).exclude(pk=contact.pk)
        existing = existing.first()
        if existing is None:
            raise
        raise _email_conflict(existing) from None


def _save_company(company: Company, **save_kwargs) -> None:
    try:
        with transaction.atomic():
            company.save(**save_kwargs)
    except IntegrityError:
        existing = None
        if company.domain:
            existing = (
                Company.objects.for_org(company.org_id).filter(domain=company.domain).exclude(pk=company.pk)
            ).first()
        if existing is None:
            raise
        raise _domain_conflict(existing) from None


def _contact_changes(contact: Contact, fields: dict) -> dict:
    """A new ICP score without its time is scored now (clearing the score clears the time)."""
    fields = dict(fields)
    if "icp_score" in fields and "icp_scored_at" not in fields and fields["icp_score"] != contact.icp_score:
        fields["icp_scored_at"] = clock.now() if fields["icp_score"] is not None else None
    return fields


def _company_changes(fields: dict) -> dict:
    fields = dict(fields)
    if "domain" in fields:
        fields["domain"] = _clean_domain(fields["domain"])
    if "address" in fields:
        fields["address"] = _clean_address(fields["address"])
    return fields


def link_contacts_company(obj) -> bool:
    """The rule of every door for a deal or an activity: linked to a contact and to no company,
    it takes the contact's company. Call it after setting the contact (no query: the contact
    object is at hand). Returns whether it linked one."""
    contact = obj.contact
    if obj.company_id is None and contact is not None and contact.company_id is not None:
        obj.company_id = contact.company_id
        return True
    return False


# -- contacts --------------------------------------------------------------------------------


@transaction.atomic
def contact_create(*, org, actor: Actor, **fields) -> Contact:
    """Create a contact (``email`` required; stage ``lead`` unless given). A taken email is a
    ``ConflictError``. Unless ``company`` is given, a contact whose email has a company domain
    (not a free-mail one) is linked to the organization's company of that domain, if any."""
    contact = Contact(org=org)
    fields = _contact_changes(contact, fields)
    if "company" not in fields and isinstance(fields.get("email"), str):
        fields["company"] = selectors.company_by_email_domain(org=org, email=fields["email"])
    apply_changes(contact, fields, creating=True)
    _save_contact(contact, force_insert=True)
    outbox.record(org=org, actor=actor, types="contact.created", obj=contact)
    return contact


@transaction.atomic
def contact_update(*, org, actor: Actor, contact: Contact, **changes) -> Contact:
    """Change only the given fields (nothing is written when nothing changes)."""
    contact = lock(Contact, org=org, pk=contact.pk)
    before = outbox.snapshot(Contact, [contact.pk])
    changed = apply_changes(contact, _contact_changes(contact, changes))
    if changed:
        _save_contact(contact, update_fields=[*changed, "updated_at"])
        outbox.record(org=org, actor=actor, types="contact.updated", obj=contact, before=before)
    return contact


def _protected(contact: Contact, fields: dict) -> dict:
    """Lead-capture rules (API.md §6.10) for updating an existing contact."""
    kept = {}
    for name, value in fields.items():
        current = getattr(contact, f"{name}_id" if name in ("company", "owner") else name)
        if name == "stage":
            if STAGE_ORDER.get(value, 0) > STAGE_ORDER.get(contact.stage, 0):
                kept[name] = value
        elif name == "metadata":
            kept[name] = {**contact.metadata, **(value or {})}
        elif _is_empty(value) and not _is_empty(current):
            continue
        else:
            kept[name] = value
    return kept


@transaction.atomic
def contact_upsert(
    *, org, actor: Actor, email: str, protect_existing: bool = False, **fields
) -> tuple[Contact, bool]:
    """Create the contact with this email, or update the one that has it (case-insensitively).

    Returns ``(contact, created)``. An update changes only the given fields and keeps the
    stored spelling of the email. With ``protect_existing`` (lead capture, API.md §6.10) an
    update never moves the stage down (``STAGE_ORDER``), never replaces a non-empty value with
    an empty one, and merges ``metadata`` key by key (the new keys win) instead of replacing it.

    Race-safe: when two calls create the same email at once, the database's unique rule lets
    one insert win and the other updates that row.
    """
    if not isinstance(email, str):
        raise field_errors("email", error("not_a_string"))
    existing = Contact.objects.for_org(org).with_email(email).select_for_update().first()
    if existing is None:
        try:
            with transaction.atomic():
                return contact_create(org=org, actor=actor, email=email, **fields), True
        except ConflictError:
            existing = Contact.objects.for_org(org).with_email(email).select_for_update().first()
            if existing is None:
                raise
    if protect_existing:
        fields = _protected(existing, fields)
    return contact_update(org=org, actor=actor, contact=existing, **fields), False


MERGE_MAX_DUPLICATES = 100


@transaction.atomic
def contact_merge(*, org, actor: Actor, primary: Contact, duplicates: Sequence[Contact]) -> Contact:
    """Merge ``duplicates`` (1 to 100) into ``primary`` and delete them; all or nothing.

    - Every row of another model that points at a duplicate (activities, tasks, deals, and
      whatever points at contacts later) is moved to the primary, its ``updated_at`` bumped so
      that incremental syncs see the move. Found through ``Contact._meta.related_objects``,
      so this app never imports the apps above it.
    - The primary's empty fields are filled from the duplicates, in the order given (the
      primary wins where both have a value); the ICP score, its reason and time travel together.
    - ``metadata`` is merged key by key: the primary wins, then the duplicates in order.
    - ``last_activity_at`` is the latest and ``next_task_due_at`` the earliest of them all.
    """
    pks = [contact.pk for contact in duplicates]
    if not pks:
        raise ValidationError({"duplicate_ids": "Give at least one duplicate."})
    if len(pks) > MERGE_MAX_DUPLICATES:
        raise ValidationError({"duplicate_ids": f"Give at most {MERGE_MAX_DUPLICATES} duplicates."})
    if primary.pk in pks:
        raise ValidationError(
            {"duplicate_ids": "A contact cannot be merged into itself: primary_id is among duplicate_ids."}
        )
    if len(set(pks)) != len(pks):
        raise ValidationError({"duplicate_ids": "A duplicate is listed more than once."})
    check_same_org(org.pk, "primary_id", primary)
    for duplicate in duplicates:
        check_same_org(org.pk, "duplicate_ids", duplicate)
    hold_dependents(Contact, pks)
    locked = {
        contact.pk: contact
        for contact in Contact.objects.for_org(org)
        .select_for_update()
        .filter(pk__in=[primary.pk, *pks])
        .order_by("pk")
    }
    if len(locked) != len(pks) + 1:
        raise ValidationError({"duplicate_ids": "Every contact must exist in the primary's organization."})
    primary = locked[primary.pk]
    duplicates = [locked[pk] for pk in pks]
    now = timezone.now()
    before = outbox.snapshot(Contact, [primary.pk])
    gone = outbox.snapshot(Contact, pks)

    events = []
    for relation in Contact._meta.related_objects:
        if not relation.one_to_many:
            # A one-to-one or many-to-many link would need its own rule; none exists today
            # (tests/contacts/test_services.py checks this, so adding one fails loudly).
            raise NotImplementedError(f"contact_merge cannot move {relation!r}")
        model = relation.related_model
        rows = model._base_manager.filter(**{f"{relation.field.attname}__in": pks})
        moved = list(rows.values_list("pk", flat=True))
        if not moved:
            continue
        moved_before = outbox.snapshot(model, moved)
        changes = {relation.field.attname: primary.pk}
        if any(field.name == "updated_at" for field in model._meta.concrete_fields):
            changes["updated_at"] = now
        model._base_manager.filter(pk__in=moved).update(**changes)
        events += outbox.build(
            org=org,
            actor=actor,
            types=f"{model._meta.model_name}.updated",
            model=model,
            pks=moved,
            before=moved_before,
        )

    changed = []
    for field in Contact._meta.concrete_fields:
        if field.name in _MERGE_SKIP or not field.editable:
            continue
        if _is_empty(getattr(primary, field.attname)):
            donor = next((d for d in duplicates if not _is_empty(getattr(d, field.attname))), None)
            if donor is not None:
                setattr(primary, field.attname, getattr(donor, field.attname))
                changed.append(field.name)
    if primary.icp_score is None:
        donor = next((d for d in duplicates if d.icp_score is not None), None)
        if donor is not None:
            for name in _ICP_FIELDS:
                setattr(primary, name, getattr(donor, name))
            changed += _ICP_FIELDS

    metadata = {}
    for contact in [*reversed(duplicates), primary]:
        metadata.update(contact.metadata or {})
    if len(orjson.dumps(metadata)) > METADATA_MAX_BYTES:
        raise ValidationError(
            {"metadata": f"The merged metadata would be larger than {METADATA_MAX_BYTES} bytes."}
        )
    primary.metadata = metadata
    everyone = [primary, *duplicates]
    last = [c.last_activity_at for c in everyone if c.last_activity_at is not None]
    due = [c.next_task_due_at for c in everyone if c.next_task_due_at is not None]
    primary.last_activity_at = max(last, default=None)
    primary.next_task_due_at = min(due, default=None)

    Contact.objects.filter(pk__in=pks).delete()
    primary.save(update_fields=[*changed, "metadata", "last_activity_at", "next_task_due_at", "updated_at"])
    after = outbox.snapshot(Contact, [primary.pk])
    merged = {"duplicate_ids": [contact.typeid for contact in duplicates]}
    outbox.append(
        [
            *events,
            *outbox.build(
                org=org, actor=actor, types="contact.deleted", model=Contact, pks=pks, objects=gone
            ),
            *outbox.build(
                org=org,
                actor=actor,
                types="contact.updated",
                model=Contact,
                pks=[primary.pk],
                before=before,
                objects=after,
            ),
            *outbox.build(
                org=org,
                actor=actor,
                types="contact.merged",
                model=Contact,
                pks=[primary.pk],
                before=before,
                objects=after,
                extra=merged,
            ),
        ]
    )
    return primary


@transaction.atomic
def contact_delete(*, org, actor: Actor, contact: Contact) -> None:
    """Delete; the contact's activities, deals and tasks stay, unlinked (``SET NULL``)."""
    hold_dependents(Contact, [contact.pk])
    contact = lock(Contact, org=org, pk=contact.pk)
    gone = outbox.snapshot(Contact, [contact.pk])
    contact.delete()
    outbox.record_deleted(org=org, actor=actor, model=Contact, objects=gone)


# -- companies -------------------------------------------------------------------------------


@transaction.atomic
def company_create(*, org, actor: Actor, **fields) -> Company:
    """Create a company (``name`` required); its domain is normalised, and a taken domain is a
    ``ConflictError``."""
    company = Company(org=org)
    apply_changes(company, _company_changes(fields), creating=True)
    _save_company(company, force_insert=True)
    outbox.record(org=org, actor=actor, types="company.created", obj=company)
    return company


@transaction.atomic
def company_update(*, org, actor: Actor, company: Company, **changes) -> Company:
    """Change only the given fields (nothing is written when nothing changes)."""
    company = lock(Company, org=org, pk=company.pk)
    before = outbox.snapshot(Company, [company.pk])
    changed = apply_changes(company, _company_changes(changes))
    if changed:
        _save_company(company, update_fields=[*changed, "updated_at"])
        outbox.record(org=org, actor=actor, types="company.updated", obj=company, before=before)
    return company


@transaction.atomic
def company_upsert(*, org, actor: Actor, domain: str, **fields) -> tuple[Company, bool]:
    """Create the company with this domain (normalised), or update the one that has it.

    Returns ``(company, created)``; ``name`` is required only when it creates. An update
    changes only the given fields. Race-safe like ``contact_upsert``.
    """
    domain = _clean_domain(domain)
    if not domain:
        raise ValidationError({"domain": "A domain is required to upsert a company."})
    existing = Company.objects.for_org(org).filter(domain=domain).select_for_update().first()
    if existing is None:
        if fields.get("name") is None:  # a client cannot know whether it creates: named after its domain
            fields = {**fields, "name": domain}
        try:
            with transaction.atomic():
                return company_create(org=org, actor=actor, domain=domain, **fields), True
        except ConflictError:
            existing = Company.objects.for_org(org).filter(domain=domain).select_for_update().first()
            if existing is None:
                raise
    return company_update(org=org, actor=actor, company=existing, **fields), False


@transaction.atomic
def company_delete(*, org, actor: Actor, company: Company) -> None:
    """Delete; the company's contacts, deals and activities stay, unlinked (``SET NULL``)."""
    hold_dependents(Company, [company.pk])
    company = lock(Company, org=org, pk=company.pk)
    gone = outbox.snapshot(Company, [company.pk])
    company.delete()
    outbox.record_deleted(org=org, actor=actor, model=Company, objects=gone)


def company_name_from_domain(domain: str) -> str:
    """``acme-labs.co.uk`` → ``Acme-labs``: a placeholder name for a company known by its domain."""
    return domain.split(".", 1)[0].capitalize()


@transaction.atomic
def company_for_email(*, org, actor: Actor, email: str, name: str = "") -> Company | None:
    """The company a person with this email works for, created if need be (lead capture,
    API.md §6.10).

    - A company domain (``ada@acme.com``): the company with domain ``acme.com``, created
      (named ``name``, or after the domain) when there is none. Race-safe: concurrent calls
      for one domain give one company.
    - A free-mail or disposable domain (``gmail.com``, ``contacts.freemail``) never becomes a
      company: with a ``name``, the organization's oldest company of that name
      (case-insensitively), created without a domain if there is none; without a name, None.
    """
    name = (name or "").strip()
    limit = Company._meta.get_field("name").max_length
    if len(name) > limit:  # refused whether or not a company is found without it
        raise field_errors("company", error("max_length", max_length=limit))
    domain = email_domain(email)
    if domain and not is_freemail(domain):
        company = selectors.company_by_domain(org=org, domain=domain)
        if company is not None:
            return company
        try:
            with transaction.atomic():
                return company_create(
                    org=org, actor=actor, name=name or company_name_from_domain(domain), domain=domain
                )
        except ConflictError:
            return selectors.company_by_domain(org=org, domain=domain)
    if not name:
        return None
    company = Company.objects.for_org(org).filter(name__iexact=name).order_by("created_at", "id").first()
    if company is None:
        company = company_create(org=org, actor=actor, name=name)
    return company


CONTACT_WRITES = Writes(Contact, create=contact_create, update=contact_update, delete=contact_delete)
COMPANY_WRITES = Writes(Company, create=company_create, update=company_update, delete=company_delete)


# -- bulk upserts (imports) ------------------------------------------------------------------

UpsertResult = tuple[object, str] | ValidationError  # (obj, "created" | "updated" | "unchanged")


def _lookup_error(model, typeid: str) -> ValidationError:
    return ValidationError({"id": f"No {model._meta.verbose_name} with id {typeid} in this organization."})


def _upsert_many(*, org, actor, model, items: list[dict], key_of, prepare) -> list[UpsertResult]:
    """The one bulk upsert of contacts and companies, in one transaction: every item is a dict of
    model field values, plus optionally ``id`` (the pk of the row to update). An item with no id
    updates the row with its key (``key_of(fields)``: the normalised email or domain), seen in
    the database or earlier in ``items``, or creates one (``prepare(obj, fields)`` fills in the
    creation rules). Each item is validated by ``apply_changes`` like any single write; the new
    rows are stored with one INSERT, the changed ones with one UPDATE, and their events with
    one more. Returns, per item, ``(obj, "created" | "updated" | "unchanged")`` or the error
    that refused it (the others are stored all the same)."""
    name = model._meta.model_name
    keys = {key for key in map(key_of, items) if key}
    pks = {item["id"] for item in items if item.get("id")}
    rows = model.objects.for_org(org).alias(key=Lower("email") if model is Contact else F("domain"))
    found = list(rows.filter(Q(key__in=keys) | Q(pk__in=pks)).select_for_update())
    by_pk = {obj.pk: obj for obj in found}
    by_key = {key_of(_fields_of(model, obj)): obj for obj in found}
    by_key.pop("", None)
    new: dict = {}  # pk -> obj, in order
    changed: dict = {}  # pk -> set of field names
    results: list[UpsertResult] = []
    for item in items:
        fields = dict(item)
        pk = fields.pop("id", None)
        key = key_of(fields)
        obj = by_pk.get(pk) if pk else by_key.get(key) if key else None
        try:
            if pk and obj is None:
                raise _lookup_error(model, model(pk=pk).typeid)
            clash = by_key.get(key) if key else None
            if clash is not None and clash is not obj:  # another row has this email or domain
                field = "email" if model is Contact else "domain"
                raise ValidationError({field: f"A {name} with this {field} already exists ({clash.typeid})."})
            if obj is None:
                obj = model(org=org)
                apply_changes(obj, prepare(obj, fields), creating=True)
                new[obj.pk] = obj
                outcome = "created"
            else:
                if not pk:  # found by its email or domain: the stored spelling stays
                    fields.pop("email" if model is Contact else "domain", None)
                old_key = key_of(_fields_of(model, obj))
                names = apply_changes(obj, _changes(model, obj, fields))
                if obj.pk not in new:
                    changed.setdefault(obj.pk, set()).update(names)
                by_key.pop(old_key, None)
                outcome = "updated" if names else "unchanged"
            if key_of(_fields_of(model, obj)):
                by_key[key_of(_fields_of(model, obj))] = obj
            results.append((obj, outcome))
        except ValidationError as exc:
            results.append(exc)
    model.objects.bulk_create(new.values())
    updated = [by_pk[pk] for pk, names in changed.items() if names]
    before = outbox.snapshot(model, [obj.pk for obj in updated])  # the rows are not written yet
    if updated:
        now = timezone.now()
        for obj in updated:
            obj.updated_at = now
        names = sorted({n for pk in changed for n in changed[pk]} | {"updated_at"})
        model.objects.bulk_update(updated, names)
    outbox.append(
        [
            *outbox.build(org=org, actor=actor, types=f"{name}.created", model=model, pks=list(new)),
            *outbox.build(
                org=org,
                actor=actor,
                types=f"{name}.updated",
                model=model,
                pks=[obj.pk for obj in updated],
                before=before,
            ),
        ]
    )
    return results


def _fields_of(model, obj) -> dict:
    return {"email": obj.email} if model is Contact else {"domain": obj.domain}


def _changes(model, obj, fields: dict) -> dict:
    return _contact_changes(obj, fields) if model is Contact else _company_changes(fields)


def _contact_key(fields: dict) -> str:
    email = fields.get("email")
    return email.strip().lower() if isinstance(email, str) else ""


def _company_key(fields: dict) -> str:
    try:
        return _clean_domain(fields.get("domain"))
    except ValidationError:
        return ""


@transaction.atomic
def contact_upsert_many(*, org, actor: Actor, items: list[dict]) -> list[UpsertResult]:
    """Create or update many contacts by id or email (case-insensitively), as ``contact_upsert``
    and ``contact_create`` would one by one (a new contact without ``company`` is linked to the
    company of its email's domain), with one INSERT, one UPDATE and one INSERT of events."""
    domains = {email_domain(item["email"]) for item in items if isinstance(item.get("email"), str)}
    domains = {d for d in domains if d and not is_freemail(d)}
    companies = {c.domain: c for c in Company.objects.for_org(org).filter(domain__in=domains)}

    def prepare(contact, fields):
        fields = _contact_changes(contact, fields)
        if "company" not in fields and isinstance(fields.get("email"), str):
            fields["company"] = companies.get(email_domain(fields["email"]))
        return fields

    return _upsert_many(
        org=org, actor=actor, model=Contact, items=items, key_of=_contact_key, prepare=prepare
    )


@transaction.atomic
def company_upsert_many(*, org, actor: Actor, items: list[dict]) -> list[UpsertResult]:
    """Create or update many companies by id or (normalised) domain, as ``company_upsert`` would
    one by one; a company without a domain is always created."""
    return _upsert_many(
        org=org,
        actor=actor,
        model=Company,
        items=items,
        key_of=_company_key,
        prepare=lambda c, f: _company_changes(f),
    )
