"""``Idempotency-Key`` on every POST of the API (API.md §7).

The first POST with a key runs in one transaction with the record of its key: the record is
inserted first (``(org, key)`` is unique), the view runs, and the response (status and body) is
stored before the commit. So the work and its stored response commit together or not at all:

- a repeat with the same request (method, path and JSON body) within 24 hours gets the stored
  response back (header ``Idempotent-Replayed: true``) and nothing runs again;
- the same key with another request is a 409 ``conflict``;
- a repeat sent while the first is still running waits for it (its INSERT waits on the unique
  index on PostgreSQL; SQLite lets one writer in at a time), then gets the stored response;
- a request that fails (an error response or an exception) rolls back with its record, so it
  can be retried with the same key, like Stripe's: only completed work is remembered.

A view may list response fields that must not be kept (``idempotency_redacted``, e.g. a new
API key's raw key, which is shown once): a replay answers them as null.
"""

import hashlib

import orjson
from django.db import IntegrityError, transaction
from django.http import HttpResponse

from rexcrm.core import clock
from rexcrm.core.api.errors import ApiError, Conflict
from rexcrm.core.api.renderers import dumps
from rexcrm.core.models import IdempotencyKey

HEADER = "Idempotency-Key"
META_KEY = "HTTP_IDEMPOTENCY_KEY"  # the header in request.META
MAX_LENGTH = 255


def fingerprint(request) -> str:
    body = orjson.dumps(request.data, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(f"{request.method} {request.get_full_path()}\n".encode() + body).hexdigest()


def _check(key: str) -> None:
    if not 1 <= len(key) <= MAX_LENGTH or not key.isascii() or not key.isprintable():
        raise ApiError(
            f"{HEADER}: must be 1 to {MAX_LENGTH} printable ASCII characters (a UUID is a good key).",
            fields={HEADER: [f"Must be 1 to {MAX_LENGTH} printable ASCII characters."]},
        )


def run(view, handler, key: str, request, *args, **kwargs):
    """Call ``handler`` (the view's POST handler) under the key's rules (see the module)."""
    _check(key)
    org, digest = request.auth.org, fingerprint(request)
    with transaction.atomic():
        record = _claim(org, key, digest)
        if record.status_code:
            if record.fingerprint != digest:
                raise Conflict(
                    f"This {HEADER} was used for another request in the last 24 hours: use a new key "
                    "for a new request.",
                    fields={HEADER: ["Already used for another request."]},
                )
            response = HttpResponse(
                bytes(record.body), status=record.status_code, content_type="application/json"
            )
            response["Idempotent-Replayed"] = "true"
            return response
        response = handler(request, *args, **kwargs)
        if response.status_code >= 400:
            transaction.set_rollback(True)  # only completed work is remembered
            return response
        record.status_code = response.status_code
        record.body = dumps(_redacted(response.data, getattr(view, "idempotency_redacted", ())))
        record.save(update_fields=["status_code", "body"])
        return response


def _claim(org, key: str, digest: str) -> IdempotencyKey:
    """The key's record: a new, empty one (this request runs), or the stored one (it has run)."""
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(org=org, key=key, fingerprint=digest)
    except IntegrityError:
        pass
    record = IdempotencyKey.objects.select_for_update().get(org=org, key=key)
    if record.created_at < clock.now() - IdempotencyKey.TTL:
        record.delete()
        return IdempotencyKey.objects.create(org=org, key=key, fingerprint=digest)
    return record


def _redacted(data, fields):
    if not fields or not isinstance(data, dict) or not isinstance(data.get("data"), dict):
        return data
    return {**data, "data": {**data["data"], **dict.fromkeys(fields)}}
