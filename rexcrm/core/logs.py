"""Log output without SQL or the values of a row: a database error's message can quote the
statement (``LINE 1: SELECT …``) and the row that broke a constraint (``Key (key_hash)=(…)``),
so it is reported by its type and SQLSTATE only, in logs and in what a user is shown."""

import logging
import traceback

from django.db import DatabaseError


def describe_error(exc: BaseException) -> str:
    """``Type: message``, or for a database error ``Type (SQLSTATE xxxxx)`` without the message."""
    if isinstance(exc, DatabaseError):
        sqlstate = getattr(exc.__cause__, "sqlstate", None) or getattr(exc, "sqlstate", None)
        return f"{type(exc).__name__} (SQLSTATE {sqlstate or 'unknown'}; message withheld)"
    return f"{type(exc).__name__}: {exc}"


class RedactDatabaseErrors(logging.Filter):
    """On a handler: a record carrying a database error keeps its traceback (the frames) but
    not the error's message (``describe_error``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, DatabaseError):
            frames = "".join(traceback.format_tb(exc.__traceback__))
            record.exc_text = f"Traceback (most recent call last):\n{frames}{describe_error(exc)}"
        return True
