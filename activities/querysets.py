"""Chainable reads of activities."""

from django.contrib.postgres.search import SearchVector
from django.db import connection
from django.db.models import BooleanField, Expression, Q
from django.db.models.functions import Left

from rexcrm.core.models import OrgQuerySet

# Full-text search covers the subject and the first SEARCH_BODY_CHARS of the body: a tsvector
# is capped at 1 MB, and a body may be 1 MB of text, so the index reads a bounded prefix.
SEARCH_BODY_CHARS = 100_000
SEARCH_CONFIG = "english"
# On PostgreSQL, the stored generated column holding search_vector() of each row (migration
# 0008), GIN-indexed as ``activity_search``: a search reads it instead of computing the vector
# of every row it looks at. Not a model field: no read of an activity loads it.
SEARCH_COLUMN = "search_document"


def search_vector() -> SearchVector:
    """What ``search_document`` holds (migrations 0002 and 0008 are built from it)."""
    return SearchVector("subject", Left("body", SEARCH_BODY_CHARS), config=SEARCH_CONFIG)


class Matches(Expression):
    """``<table>.search_document @@ websearch_to_tsquery(<config>, <text>)``: a condition on the
    stored vector, no annotation (so a searched page is still "one table and a WHERE" for
    ``rexcrm.core.rows``). What ``SearchQuery(text, search_type="websearch", config=…)`` writes,
    written here: resolving and compiling that expression tree was a fifth of a searched page's
    Python (``tests/activities/test_search_postgres.py`` compares the two)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, text: str, alias: str | None = None):
        super().__init__()
        self.text, self.alias = text, alias

    def resolve_expression(self, query=None, *args, **kwargs):
        resolved = self.copy()
        resolved.alias = query.get_initial_alias()
        return resolved

    def as_sql(self, compiler, connection):
        column = ".".join(compiler.quote_name_unless_alias(name) for name in (self.alias, SEARCH_COLUMN))
        return f"{column} @@ websearch_to_tsquery(%s::regconfig, %s)", (SEARCH_CONFIG, self.text)


class ActivityQuerySet(OrgQuerySet):
    def search(self, text: str):
        """Full-text (websearch syntax) on PostgreSQL; case-insensitive substring on SQLite."""
        text = text.strip()
        if not text:
            return self
        if connection.vendor == "postgresql":
            return self.filter(Matches(text))
        return self.filter(Q(subject__icontains=text) | Q(body__icontains=text))

    def for_company_timeline(self, company):
        """The company's own activities and those of its contacts (timelines roll up)."""
        return self.filter(Q(company=company) | Q(contact__company=company))
