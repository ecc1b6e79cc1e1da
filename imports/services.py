"""CSV imports: upload, column mapping, preview, and the chunked run the worker drives.

A row becomes a write through the same services as the API (``contact_upsert_many``,
``company_upsert_many``, ``activity_upsert_many``), after the same wire parsing as the API's
(each mapped column's text is read as the JSON value of its serializer field, then the
serializer field turns it into the Python value): a row the API would refuse is refused here
with the same message. A row updates the record with its ``id`` (a prefixed id of this
organization), else the one with its email (contacts), domain (companies) or ``(source,
external_id)`` (activities), else creates one. An empty cell leaves the field as it is.

The run reads the stored file ``CHUNK_ROWS`` records at a time; each chunk is one transaction
that also moves the job's ``position`` and counts, so a worker killed anywhere leaves the job
at the end of its last committed chunk, and the next worker to take the job over (when its
lease expires) resumes from there.
"""

import codecs
import csv
import datetime
import io
import itertools
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from rest_framework import serializers

from activities.api.serializers import ActivitySerializer
from activities.services import activity_upsert_many
from contacts.api.serializers import CompanySerializer, ContactSerializer
from contacts.models import Company, Contact
from contacts.services import company_create, company_upsert_many, contact_upsert_many
from imports.models import ImportFailure, ImportJob, ImportResource, ImportStatus
from rexcrm.core import ids
from rexcrm.core.api.fields import RefField
from rexcrm.core.api.serializers import wire_value
from rexcrm.core.export import unneutralise
from rexcrm.core.services import editable_api_names

PREVIEW_ROWS = 10
DELIMITERS = ",;\t|"
# A cell may hold an activity's whole body (up to 1,000,000 characters; csv's default is 131,072).
csv.field_size_limit(2_000_000)


def config(name: str):
    return settings.REX_IMPORTS[name]


def size_limit() -> str:
    """The largest upload, as the pages state it (``50 MB``)."""
    return f"{config('MAX_BYTES') / 1_000_000:g} MB"


@dataclass(frozen=True)
class Target:
    """What a file can be imported into: the resource's serializer and bulk upsert, the columns
    besides its API fields (``extra``: a contact's company by name, an activity's contact by
    email), the header spellings guessed for each field, and the fields one of which must be
    mapped (the key, or what a new record needs)."""

    serializer: type
    upsert_many: object
    required: tuple[str, ...]
    aliases: dict[str, tuple[str, ...]]
    extra: dict[str, str]

    @property
    def fields(self) -> list[str]:
        return ["id", *editable_api_names(self.serializer.Meta.model), *self.extra]


TARGETS = {
    ImportResource.CONTACTS: Target(
        ContactSerializer,
        contact_upsert_many,
        required=("id", "email"),
        aliases={
            "email": ("emailaddress", "mail", "workemail"),
            "first_name": ("first", "givenname", "forename"),
            "last_name": ("last", "surname", "familyname"),
            "phone": ("phonenumber", "telephone", "tel", "mobile", "cell"),
            "title": ("jobtitle", "position", "role"),
            "linkedin_url": ("linkedin", "linkedinprofile"),
            "company_name": ("company", "companyname", "organization", "organisation", "account"),
        },
        extra={"company_name": "company (by name; created if new)"},
    ),
    ImportResource.COMPANIES: Target(
        CompanySerializer,
        company_upsert_many,
        required=("id", "name", "domain"),
        aliases={
            "name": ("company", "companyname", "organization", "organisation", "account", "accountname"),
            "domain": ("companydomain", "emaildomain", "domainname"),
            "website": ("url", "web", "homepage", "site"),
            "phone": ("phonenumber", "telephone", "tel"),
            "size": ("companysize", "employees"),
        },
        extra={},
    ),
    ImportResource.ACTIVITIES: Target(
        ActivitySerializer,
        activity_upsert_many,
        required=("id", "type"),
        aliases={
            "type": ("activitytype", "kind"),
            "body": ("notes", "note", "description", "content"),
            "occurred_at": ("date", "when", "time", "datetime", "timestamp"),
            "contact_email": ("email", "emailaddress"),
        },
        extra={"contact_email": "contact (by email)"},
    ),
}


def _norm(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def guess_mapping(resource: str, headers: list[str]) -> list[str]:
    """Per column, the field its header names (``E-mail`` → email, ``First Name`` → first_name),
    or "" (skip); each field is given to the first column that names it."""
    target = TARGETS[resource]
    spellings = {}
    for field in target.fields:
        for spelling in (_norm(field), *(_norm(a) for a in target.aliases.get(field, ()))):
            spellings.setdefault(spelling, field)
    mapping, taken = [], set()
    for header in headers:
        field = spellings.get(_norm(header), "")
        if field in taken:
            field = ""
        taken.add(field)
        mapping.append(field)
    return mapping


# -- the file ------------------------------------------------------------------------------


def _open(job: ImportJob) -> Iterator[list[str]]:
    """The file's records, header first."""
    raw = job.file.open("rb")
    text = io.TextIOWrapper(raw, encoding=job.encoding, newline="")
    return csv.reader(text, delimiter=job.delimiter)


def _inspect(upload) -> tuple[str, str, list[str], int]:
    """``(encoding, delimiter, headers, records after the header)`` of an uploaded CSV file:
    UTF-8 (with or without a BOM), else Windows-1252; the delimiter the header line uses most."""
    head = upload.read(4096)
    if b"\0" in head:
        raise ValidationError(
            {"file": "This is not a CSV file (an Excel workbook?). Save it as CSV and upload that."}
        )
    encoding = "utf-8-sig" if head.startswith(codecs.BOM_UTF8) else "utf-8"
    upload.seek(0)
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        for chunk in upload.chunks():
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        encoding = "cp1252"
    upload.seek(0)
    text = io.TextIOWrapper(upload, encoding=encoding, newline="", errors="replace")
    first = text.readline()
    delimiter = max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","
    text.seek(0)
    reader = csv.reader(text, delimiter=delimiter)
    try:
        headers = next(reader, [])
        total = sum(1 for _ in reader)
    except csv.Error as exc:
        raise ValidationError({"file": f"This is not a CSV file we can read ({exc})."}) from None
    finally:
        text.detach()
    headers = [h.strip() or f"Column {n}" for n, h in enumerate(headers, 1)]
    if not any(h for h in headers):
        raise ValidationError({"file": "The first line must be the header row (the column names)."})
    if total == 0:
        raise ValidationError({"file": "The file has a header row but no rows to import."})
    return encoding, delimiter, headers, total


@transaction.atomic
def import_create(*, org, actor, upload, resource: str) -> ImportJob:
    """Store an uploaded CSV file as an import waiting for its column mapping (guessed)."""
    if resource not in TARGETS:
        raise ValidationError({"resource": f'"{resource}" is not a valid choice.'})
    if upload.size > config("MAX_BYTES"):
        raise ValidationError(
            {"file": f"The file is larger than {size_limit()}; split it into smaller files."}
        )
    encoding, delimiter, headers, total = _inspect(upload)
    job = ImportJob(
        org=org,
        created_by=actor,
        resource=resource,
        # Only shown (the file is stored under a new name); PostgreSQL cannot store a NUL.
        filename=((upload.name or "").replace("\x00", "") or "import.csv")[-255:],
        size=upload.size,
        encoding=encoding,
        delimiter=delimiter,
        headers=headers,
        mapping=guess_mapping(resource, headers),
        total_rows=total,
    )
    job.file.save(f"{uuid.uuid4().hex}.csv", upload, save=False)
    job.save(force_insert=True)
    return job


def clean_mapping(job: ImportJob, mapping: list[str]) -> list[str]:
    target = TARGETS[job.resource]
    errors = []
    if len(mapping) != len(job.headers):
        errors.append("Map every column of the file (or skip it).")
    unknown = sorted({m for m in mapping if m and m not in target.fields})
    if unknown:
        errors.append(f"Unknown field(s): {', '.join(unknown)}.")
    repeated = sorted({m for m in mapping if m and mapping.count(m) > 1})
    if repeated:
        errors.append(f"Each field takes one column; more than one is mapped to {', '.join(repeated)}.")
    if not set(mapping) & set(target.required):
        errors.append(f"Map a column to one of: {', '.join(target.required)}.")
    if errors:
        raise ValidationError({"mapping": errors})
    return mapping


@transaction.atomic
def import_start(*, org, actor, job: ImportJob, mapping: list[str]) -> ImportJob:
    """Keep the mapping and queue the import for the worker (once)."""
    job = ImportJob.objects.for_org(org).select_for_update().get(pk=job.pk)
    if job.status != ImportStatus.MAPPING:
        raise ValidationError({"mapping": "This import has already started."})
    job.mapping = clean_mapping(job, mapping)
    job.status = ImportStatus.QUEUED
    job.save(update_fields=["mapping", "status", "updated_at"])
    return job


# -- rows ----------------------------------------------------------------------------------


def reason(exc: ValidationError) -> str:
    if hasattr(exc, "error_dict"):
        return "; ".join(f"{name}: {' '.join(messages)}" for name, messages in exc.message_dict.items())
    return " ".join(exc.messages)


def _typed(field, text: str):
    """A cell's text as the JSON value of its serializer field (``"12"`` → 12 for an integer)."""
    if isinstance(field, serializers.BooleanField):
        return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}.get(
            text.lower(), text
        )
    if isinstance(field, serializers.IntegerField):
        try:
            return int(text)
        except ValueError:
            return text
    if isinstance(field, serializers.FloatField):
        try:
            return float(text)
        except ValueError:
            return text
    if isinstance(field, (serializers.JSONField, serializers.ListField)) or (
        not isinstance(
            field, (serializers.CharField, RefField, serializers.DateTimeField, serializers.DateField)
        )
        and text[:1] in "{["
    ):
        try:
            return orjson.loads(text)
        except orjson.JSONDecodeError:
            raise ValidationError("Must be JSON.") from None
    return text


class Chunk:
    """Rows of one import turned into the service's items, with the lookups of the whole chunk
    done at once (referenced ids, companies by name, contacts by email)."""

    def __init__(self, job: ImportJob, records: list[tuple[int, list[str]]]):
        self.job, self.target = job, TARGETS[job.resource]
        self.model = self.target.serializer.Meta.model
        self.records = records
        self.serializer = self.target.serializer(context={"org": job.org})  # RefFields cache ids there
        self.columns = [(i, name) for i, name in enumerate(job.mapping) if name]
        self._prefetch_refs()

    def cells(self, values: list[str]) -> dict[str, str]:
        return {
            name: unneutralise(values[i]) for i, name in self.columns if i < len(values) and values[i] != ""
        }

    def _prefetch_refs(self) -> None:
        """One query per referenced model for the whole chunk (``RefField.prefetch``)."""
        fields = self.serializer.fields
        for _, name in self.columns:
            field = fields.get(name)
            if isinstance(field, RefField):
                field.prefetch(self.cells(values).get(name) for _, values in self.records)

    def item(self, cells: dict[str, str]) -> dict:
        """The service's fields of one row (model names), or ValidationError."""
        values, errors = {}, {}
        fields = self.serializer.fields
        for name, text in cells.items():
            try:
                if name == "id":
                    try:
                        values["id"] = ids.decode(self.model.type_prefix, text)
                    except ids.InvalidId as exc:
                        raise ValidationError(str(exc).capitalize() + ".") from None
                elif name in self.target.extra:
                    values[name] = text.strip()
                else:
                    field = fields[name]
                    values[field.source] = wire_value(field, _typed(field, text))
            except ValidationError as exc:
                errors[name] = exc.messages
            except serializers.ValidationError as exc:
                detail = exc.detail if isinstance(exc.detail, list) else [exc.detail]
                errors[name] = [str(m) for m in detail]
        if errors:
            raise ValidationError(errors)
        return values

    def run(self, actor) -> list[tuple[int, list[str], str]]:
        """Write the rows; per non-blank row ``(row, values, "created" | "updated" |
        "unchanged" | the reason it failed)``."""
        rows, items, outcomes = [], [], []
        for number, values in self.records:
            cells = self.cells(values)
            if not cells and not any(v.strip() for v in values):
                continue  # a blank line
            rows.append((number, values))
            try:
                items.append(self.item(cells))
                outcomes.append(None)
            except ValidationError as exc:
                items.append(None)
                outcomes.append(reason(exc))
        self._resolve_extra(items, outcomes, actor)
        todo = [i for i, item in enumerate(items) if item is not None]
        results = self.target.upsert_many(org=self.job.org, actor=actor, items=[items[i] for i in todo])
        for i, result in zip(todo, results, strict=True):
            outcomes[i] = reason(result) if isinstance(result, ValidationError) else result[1]
        return [(number, values, outcome) for (number, values), outcome in zip(rows, outcomes, strict=True)]

    def _resolve_extra(self, items, outcomes, actor) -> None:
        """``company_name`` → the organization's company of that name (created when there is
        none); ``contact_email`` → the contact with that email (else the row fails)."""
        org = self.job.org
        names = {item["company_name"].lower() for item in items if item and item.get("company_name")}
        if names:
            companies = {}
            rows = Company.objects.for_org(org).alias(key=Lower("name")).filter(key__in=names)
            for company in rows.order_by("created_at", "id"):
                companies.setdefault(company.name.lower(), company)
            for name in names - companies.keys():
                text = next(
                    i["company_name"] for i in items if i and i.get("company_name", "").lower() == name
                )
                companies[name] = company_create(org=org, actor=actor, name=text)
        emails = {item["contact_email"].lower() for item in items if item and item.get("contact_email")}
        contacts = {}
        if emails:
            rows = Contact.objects.for_org(org).alias(key=Lower("email")).filter(key__in=emails)
            contacts = {contact.email.lower(): contact for contact in rows}
        for index, item in enumerate(items):
            if item is None:
                continue
            name = item.pop("company_name", None)
            if name and "company" not in item:
                item["company"] = companies[name.lower()]
            email = item.pop("contact_email", None)
            if email and "contact" not in item:
                if email.lower() not in contacts:
                    items[index], outcomes[index] = None, f"contact_email: No contact with email {email}."
                else:
                    item["contact"] = contacts[email.lower()]


def preview(job: ImportJob, mapping: list[str]) -> list[tuple[int, list[str], str]]:
    """The first rows as the import would write them, written and rolled back."""
    job.mapping = mapping
    reader = _open(job)
    try:
        next(reader, None)
        records = [(n + 2, values) for n, values in enumerate(itertools.islice(reader, PREVIEW_ROWS))]
    finally:
        job.file.close()
    with transaction.atomic():
        outcomes = Chunk(job, records).run(job.created_by)
        transaction.set_rollback(True)
    return outcomes


# -- the run -------------------------------------------------------------------------------


class LeaseLost(Exception):
    """Another worker took the job over: this one stops, its chunk rolled back."""


def import_run(job: ImportJob, token: uuid.UUID, *, seconds: float, stopping=lambda: False) -> None:
    """Import chunks of ``job`` (leased with ``token``) from its position, for about ``seconds``."""
    deadline = time.monotonic() + seconds
    reader = _open(job)
    try:
        next(reader, None)  # the header
        for _ in itertools.islice(reader, job.position):
            pass
        while time.monotonic() < deadline and not stopping():
            records = [
                (job.position + n + 2, values)
                for n, values in enumerate(itertools.islice(reader, config("CHUNK_ROWS")))
            ]
            created = job.created
            try:
                _import_chunk(job, token, records)
            except IntegrityError:  # a concurrent write took a key of the chunk: once more, seeing it
                _import_chunk(job, token, records)
            _refresh_statistics(job, created)
            if not records:
                return
    finally:
        job.file.close()


def _import_chunk(job: ImportJob, token, records) -> None:
    with transaction.atomic():
        outcomes = Chunk(job, records).run(job.created_by) if records else []
        _commit_chunk(job, token, len(records), outcomes)


def _commit_chunk(job: ImportJob, token, consumed: int, outcomes) -> None:
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    failures = []
    for number, values, outcome in outcomes:
        if outcome in counts:
            counts[outcome] += 1
        else:
            counts["failed"] += 1
            failures.append(ImportFailure(job=job, row=number, values=values, reason=outcome))
    ImportFailure.objects.bulk_create(failures)
    now = timezone.now()
    done = consumed == 0
    changes = {name: F(name) + n for name, n in counts.items()}
    if done:
        changes |= {
            "status": ImportStatus.DONE,
            "finished_at": now,
            "lease_token": None,
            "lease_expires_at": None,
        }
    else:
        changes["lease_expires_at"] = now + datetime.timedelta(seconds=config("LEASE_SECONDS"))
    held = ImportJob.objects.filter(pk=job.pk, lease_token=token).update(
        position=F("position") + consumed, updated_at=now, **changes
    )
    if not held:
        raise LeaseLost()
    job.position += consumed
    job.created += counts["created"]


def _refresh_statistics(job: ImportJob, created_before: int) -> None:
    """A large import grows its table faster than autovacuum re-analyzes it, and with stale
    statistics PostgreSQL believes the organization still has a handful of rows: it then finds a
    chunk's emails by scanning all of the organization's rows instead of probing the unique
    index, and each chunk gets slower. So the table is analyzed when the job's new rows pass
    10,000, 40,000, 160,000… (a few times per import, whatever its size)."""
    if connection.vendor != "postgresql":
        return
    threshold = 10_000
    while threshold <= created_before:
        threshold *= 4
    if job.created >= threshold:
        table = TARGETS[job.resource].serializer.Meta.model._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def import_fail(job: ImportJob, token, message: str) -> None:
    """Stop the job for good, saying where and why (a file that can no longer be read…)."""
    ImportJob.objects.filter(pk=job.pk, lease_token=token).update(
        status=ImportStatus.FAILED,
        error=message,
        finished_at=timezone.now(),
        lease_token=None,
        lease_expires_at=None,
    )
