"""Full-text search of activities on PostgreSQL: the stored ``search_document`` column."""

import pytest
from django.db import connection

from activities.filtersets import ActivityFilterSet
from activities.models import Activity
from activities.services import activity_update
from rexcrm.core.rows import _is_simple
from tests.factories import ActivityFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def searched(org, text):
    return ActivityFilterSet({"search": text}, queryset=Activity.objects.for_org(org)).qs


def subjects(queryset):
    return sorted(queryset.values_list("subject", flat=True))


def test_websearch_syntax_and_stemming(org):
    for subject, body in [
        ("Renewal call", ""),
        ("Pricing", "They asked about renewals and pricing."),
        ("Invoice sent", "pricing attached"),
        ("Unrelated", "nothing here"),
    ]:
        ActivityFactory(org=org, subject=subject, body=body)
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
