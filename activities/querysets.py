"""Chainable reads of activities."""

from django.contrib.postgres.search import SearchQuery, SearchVector
from django.db import connection
from django.db.models import Q
from django.db.models.functions import Left

from rexcrm.core.models import OrgQuerySet

# Full-text search covers the subject and the first SEARCH_BODY_CHARS of the body: a tsvector
# is capped at 1 MB, and a body may be 1 MB of text, so the index reads a bounded prefix.
SEARCH_BODY_CHARS = 100_000
SEARCH_CONFIG = "english"


def search_vector() -> SearchVector:
    """The expression of the GIN index ``activity_search`` (migration 0002): keep them identical."""
    return SearchVector("subject", Left("body", SEARCH_BODY_CHARS), config=SEARCH_CONFIG)


class ActivityQuerySet(OrgQuerySet):
    def search(self, text: str):
        """Full-text (websearch syntax) on PostgreSQL; case-insensitive substring on SQLite."""
        text = text.strip()
        if not text:
            return self
        if connection.vendor == "postgresql":
            query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
            return self.annotate(search_document=search_vector()).filter(search_document=query)
        return self.filter(Q(subject__icontains=text) | Q(body__icontains=text))

    def for_company_timeline(self, company):
        """The company's own activities and those of its contacts (timelines roll up)."""
        return self.filter(Q(company=company) | Q(contact__company=company))
