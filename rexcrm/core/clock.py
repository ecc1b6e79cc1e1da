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
