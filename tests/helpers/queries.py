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
    one of 200); on failure the message shows both runs' SQL. Returns both calls' results."""
    with queries() as first_sql:
        first_result = first()
    with queries() as second_sql:
        second_result = second()
    if len(first_sql) != len(second_sql):
        runs = (
            f"{len(sql)} queries:\n" + "\n".join(f"  {s[:300]}" for s in sql)
            for sql in (first_sql, second_sql)
        )
        raise AssertionError(f"{label}: not the same number of queries.\nfirst, " + "\nsecond, ".join(runs))
    return first_result, second_result
