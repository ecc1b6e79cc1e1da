"""Counting SQL queries: the one helper every query-count test uses."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.db import connection
from django.test.utils import CaptureQueriesContext


@contextmanager
def queries() -> Iterator[list[str]]:
    """``with queries() as sql: …``: the SQL of every query the block ran, filled in when it ends."""
    sql: list[str] = []
    with CaptureQueriesContext(connection) as context:
        yield sql
    sql.extend(query["sql"] for query in context.captured_queries)


def count_queries(call: Callable) -> int:
    """How many queries ``call()`` runs."""
    with queries() as sql:
        call()
    return len(sql)


def assert_same_queries(first: Callable, second: Callable, label: str = ""):
    """``first()`` and ``second()`` run as many queries as each other (e.g. a list of 1 row and
    one of 200); the failure shows the SQL of both. Returns the results of both calls."""
    with queries() as first_sql:
        first_result = first()
    with queries() as second_sql:
        second_result = second()
    assert len(first_sql) == len(second_sql), (
        f"{label}: {len(first_sql)} queries, then {len(second_sql)}.\n"
        f"first:\n{_listing(first_sql)}\nsecond:\n{_listing(second_sql)}"
    )
    return first_result, second_result


def _listing(sql: list[str], most: int = 12) -> str:
    lines = [f"  {statement[:200]}" for statement in sql[:most]]
    if len(sql) > most:
        lines.append(f"  … and {len(sql) - most} more")
    return "\n".join(lines)
