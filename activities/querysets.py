"""Chainable reads of activities."""

from django.contrib.postgres.search import SearchQuery, SearchVector
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
    """``<table>.search_document @@ <query>``: a condition on the stored vector, no annotation
    (so a searched page is still "one table and a WHERE" for ``rexcrm.core.rows``)."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, query: SearchQuery, alias: str | None = None):
        super().__init__()
        self.query, self.alias = query, alias

    def get_source_expressions(self):
        return [self.query]

    def set_source_expressions(self, expressions):
        (self.query,) = expressions

    def resolve_expression(self, query=None, *args, **kwargs):
        resolved = super().resolve_expression(query, *args, **kwargs)
        resolved.alias = query.get_initial_alias()
        return resolved

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.query)
        column = ".".join(compiler.quote_name_unless_alias(name) for name in (self.alias, SEARCH_COLUMN))
        return f"{column} @@ {sql}", params


class ActivityQuerySet(OrgQuerySet):
    def search(self, text: str):
        """Full-text (websearch syntax) on PostgreSQL; case-insensitive substring on SQLite."""
        text = text.strip()
        if not text:
            return self
        if connection.vendor == "postgresql":
            return self.filter(Matches(SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)))
        return self.filter(Q(subject__icontains=text) | Q(body__icontains=text))

    def for_company_timeline(self, company):
        """The company's own activities and those of its contacts (timelines roll up)."""
        return self.filter(Q(company=company) | Q(contact__company=company))
