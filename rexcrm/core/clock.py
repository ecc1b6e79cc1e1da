"""The one clock for domain time: ``now()``, which tests and the demo seeder can fix.

Services that stamp domain times (``stage_entered_at``, ``closed_at``, ``completed_at``) and
computed fields (``days_in_stage``, ``is_overdue``) read ``clock.now()`` rather than
``timezone.now()``, so ``with clock.frozen(at): …`` makes them deterministic without patching
Django. The override is a context variable: it holds for the current thread (or task) only.
"""

import datetime
from contextlib import contextmanager
from contextvars import ContextVar

from django.utils import timezone

_frozen: ContextVar[datetime.datetime | None] = ContextVar("rexcrm_clock_frozen", default=None)


def now() -> datetime.datetime:
    """The current time (aware, UTC), or the time fixed by ``frozen``."""
    fixed = _frozen.get()
    return fixed if fixed is not None else timezone.now()


@contextmanager
def frozen(at: datetime.datetime):
    """Fix ``now()`` to ``at`` (an aware datetime) inside the block."""
    if timezone.is_naive(at):
        raise ValueError("clock.frozen needs an aware datetime")
    token = _frozen.set(at)
    try:
        yield at
    finally:
        _frozen.reset(token)


def utc_bound(moment: datetime.datetime) -> datetime.datetime:
    """A time used as a bound (a filter's ``…_after``, a replay's ``since``), in UTC before it
    reaches the database: PostgreSQL refuses many offsets ISO 8601 allows (-19:43). A moment that
    UTC puts before year 1 or after 9999 (``0001-01-01T00:50:01+06:30``) is a bound past every
    stored time: the first or last instant Python can hold."""
    try:
        return moment.astimezone(datetime.UTC)
    except OverflowError:
        limit = datetime.datetime.min if moment.year == datetime.MINYEAR else datetime.datetime.max
        return limit.replace(tzinfo=datetime.UTC)
