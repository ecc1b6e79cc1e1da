"""Identifiers: UUIDv7 primary keys in the database, TypeID strings at the edges.

A TypeID is ``<prefix>_<26 Crockford base32 characters>`` encoding the 128 bits of the UUID
(two leading zero bits pad it to 130). UUIDv7 puts a millisecond timestamp in the high bits,
so ids sort by creation time both as UUIDs and as strings.

We emit the suffix upper-case, the canonical ULID spelling used by the Rex API (``act_01J…``),
and accept either case on input. Only the 32 canonical Crockford symbols are accepted.
"""

import os
import re
import threading
import time
import uuid

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
# Python's int(..., 32) reads the digits 0-9a-v: map Crockford symbols onto them.
_TO_PYTHON_BASE32 = str.maketrans(_CROCKFORD + _CROCKFORD.lower(), "0123456789abcdefghijklmnopqrstuv" * 2)
_VALID_SUFFIX_CHARS = frozenset(_CROCKFORD + _CROCKFORD.lower())
# Every pair of symbols, indexed by 10 bits: an id is 13 lookups (the list path encodes many).
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]


class InvalidId(ValueError):
    """Raised for a string that is not a TypeID of the expected prefix."""


_last_uuid7 = 0
_uuid7_lock = threading.Lock()


def uuid7() -> uuid.UUID:
    """A random UUID version 7 (RFC 9562): 48-bit Unix milliseconds, then random bits.

    Monotonic within the process (RFC 9562 §6.2): a value not above the previous one (the same
    millisecond, or a clock step back) is the previous one plus one, so ids made one after the
    other sort in that order.
    """
    global _last_uuid7
    ms = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10))
    value = (ms & 0xFFFF_FFFF_FFFF) << 80 | rand & ((1 << 80) - 1)
    value = value & ~(0xF << 76) | 0x7 << 76  # version 7
    value = value & ~(0x3 << 62) | 0x2 << 62  # RFC 9562 variant
    with _uuid7_lock:
        if value <= _last_uuid7:
            value = _last_uuid7 + 1  # the 62 random low bits take the step
        _last_uuid7 = value
    return uuid.UUID(int=value)


def encode(prefix: str, value: uuid.UUID) -> str:
    """``encode("act", UUID(...))`` -> ``"act_01J..."``."""
    return _encode_int(prefix, value.int)


def _encode_int(prefix: str, n: int) -> str:
    p = _PAIRS
    return (
        f"{prefix}_{p[n >> 120]}{p[(n >> 110) & 1023]}{p[(n >> 100) & 1023]}{p[(n >> 90) & 1023]}"
        f"{p[(n >> 80) & 1023]}{p[(n >> 70) & 1023]}{p[(n >> 60) & 1023]}{p[(n >> 50) & 1023]}"
        f"{p[(n >> 40) & 1023]}{p[(n >> 30) & 1023]}{p[(n >> 20) & 1023]}{p[(n >> 10) & 1023]}{p[n & 1023]}"
    )


_PREFIX = re.compile(r"[a-z]+")

# The TypeIDs an encoder made last, per prefix, by the UUID's integer: a list page names the
# same owners, contacts, companies and deals row after row and request after request, and a
# dict lookup costs a tenth of the 13 shifts and lookups of an encoding. Bounded: a full memo is
# emptied (at most MEMO_SIZE strings of about 30 characters per prefix and process).
MEMO_SIZE = 16_384
_MEMOS: dict[str, dict[int, str]] = {}


class Encoder:
    """``encode(prefix, value)`` as a callable of the value (a field's output converter).

    Code that renders many ids (the API's output plan) inlines ``source`` instead of calling
    it: one expression that finds the id in the prefix's memo, a Python call only for a new one.
    """

    __slots__ = ("memo", "prefix")

    def __init__(self, prefix: str):
        if not _PREFIX.fullmatch(prefix):
            raise ValueError(f"not a TypeID prefix: {prefix!r}")
        self.prefix = prefix
        self.memo = _MEMOS.setdefault(prefix, {})

    def __call__(self, value: uuid.UUID) -> str:
        n = value.int
        return self.memo.get(n) or self.remember(n)

    def remember(self, n: int) -> str:
        memo = self.memo
        if len(memo) >= MEMO_SIZE:
            memo.clear()
        text = memo[n] = _encode_int(self.prefix, n)
        return text

    def names(self) -> dict:
        """The globals ``source`` uses."""
        return {f"_memo_{self.prefix}": self.memo, f"_remember_{self.prefix}": self.remember}

    def source(self, value: str) -> str:
        """Python source of an expression equal to ``encode(prefix, <value>)``, for ``value`` the
        source of an expression giving a UUID, run with ``names()`` as globals; it binds ``_n``."""
        return f"(_memo_{self.prefix}.get(_n := {value}.int) or _remember_{self.prefix}(_n))"


def decode(prefix: str, text: object) -> uuid.UUID:
    """Parse ``"<prefix>_<suffix>"`` into a UUID, or raise InvalidId."""
    if not isinstance(text, str):
        raise InvalidId("must be a string id")
    head, sep, suffix = text.rpartition("_")
    if not sep or head != prefix:
        raise InvalidId(f"must be an id starting with {prefix}_")
    if len(suffix) != 26 or not _VALID_SUFFIX_CHARS.issuperset(suffix) or suffix[0] > "7":
        raise InvalidId(f"is not a valid {prefix}_ id")
    return uuid.UUID(int=int(suffix.translate(_TO_PYTHON_BASE32), 32))
