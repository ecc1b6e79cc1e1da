"""Full-text search of activities on PostgreSQL: the stored ``search_document`` column."""

import pytest
from django.contrib.postgres.search import SearchQuery
from django.db import connection

from activities.filtersets import ActivityFilterSet
from activities.models import Activity
from activities.querysets import SEARCH_CONFIG, search_vector
from activities.services import activity_update
from rexcrm.core.rows import _is_simple
from tests.factories import ActivityFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def searched(org, text):
    return ActivityFilterSet({"search": text}, queryset=Activity.objects.for_org(org)).qs


def made(org, *subjects_and_bodies):
    for subject, body in subjects_and_bodies:
        ActivityFactory(org=org, subject=subject, body=body)


def subjects(queryset):
    return sorted(queryset.values_list("subject", flat=True))


def test_websearch_syntax_and_stemming(org):
    made(
        org,
        ("Renewal call", ""),
        ("Pricing", "They asked about renewals and pricing."),
        ("Invoice sent", "pricing attached"),
        ("Unrelated", "nothing here"),
    )
    assert subjects(searched(org, "renewal")) == ["Pricing", "Renewal call"]  # stems; body too
    assert subjects(searched(org, "pricing -invoice")) == ["Pricing"]
    assert subjects(searched(org, '"renewal call"')) == ["Renewal call"]
    assert subjects(searched(org, "invoice or unrelated")) == ["Invoice sent", "Unrelated"]


def test_the_stored_vector_follows_a_change(org):
    activity = ActivityFactory(org=org, subject="Quarterly review", body="")
    activity_update(org=org, actor=None, activity=activity, subject="Contract signed")
    assert subjects(searched(org, "quarterly")) == []
    assert subjects(searched(org, "contract")) == ["Contract signed"]


def test_a_search_is_one_table_and_a_where_and_can_use_the_gin_index(org):
    ActivityFactory.create_batch(3, org=org, subject="Renewal")
    queryset = searched(org, "renewal")
    assert _is_simple(queryset.query)  # rows.values_rows' fast path, no annotation
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
    assert (
        "activity_search"
        in ActivityFilterSet({"search": "renewal"}, queryset=Activity.objects.all()).qs.explain()
    )


@pytest.mark.parametrize(
    "text",
    ["renewal", "pricing -invoice", '"renewal call"', "invoice or unrelated", "it's 50% off", "a & b | !c:*"],
)
def test_a_search_finds_what_django_s_websearch_query_finds(org, text):
    """``Matches`` writes the condition itself; the rows are those of Django's ``SearchQuery``
    (websearch syntax, the same configuration) over the same vector."""
    made(
        org,
        ("Renewal call", "it's 50% off"),
        ("Pricing", "renewals, pricing"),
        ("Invoice sent", "pricing a & b"),
        ("Unrelated", "nothing"),
    )
    django_query = SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG)
    expected = Activity.objects.for_org(org).annotate(vector=search_vector()).filter(vector=django_query)
    assert subjects(Activity.objects.for_org(org).search(text)) == subjects(expected)
