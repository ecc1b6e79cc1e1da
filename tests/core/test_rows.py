"""``values_rows`` answers exactly what ``values_list`` answers, with or without its fast path."""

import datetime

import pytest
from django.db import connection
from django.db.models import F, Value
from django.utils import timezone

from activities.api.serializers import ActivitySerializer
from activities.models import Activity
from contacts.models import Contact
from rexcrm.core import rows as rows_module
from rexcrm.core.api.pagination import Sort
from rexcrm.core.rows import by_pks, in_list, instances, instances_by_pks, values_rows
from tests.factories import ActivityFactory, ContactFactory
from tests.helpers.queries import queries
from tests.helpers.rows import OrgRows

BASE = datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC)


@pytest.fixture
def activities(org, other_org):
    contact = ContactFactory(org=org)
    made = [
        ActivityFactory(
            org=org,
            contact=contact if i % 2 else None,
            type="email" if i % 3 else "call",
            occurred_at=BASE + datetime.timedelta(hours=i % 4),
            duration=None if i % 5 == 0 else i,
            metadata={"n": i, "tags": ["a", "b"]} if i % 2 else {},
        )
        for i in range(12)
    ]
    ActivityFactory(org=other_org)
    return made


def orm(queryset, columns, order_by=(), limit=None):
    queryset = queryset.order_by(*order_by).values_list(*columns)
    return list(queryset if limit is None else queryset[:limit])


COLUMNS = ActivitySerializer.output_plan(extra_columns=("occurred_at", "id")).columns


@pytest.mark.parametrize(
    "narrow",
    [
        lambda qs: qs,
        lambda qs: qs.filter(type__in=["email"]),
        lambda qs: qs.filter(contact__isnull=True),
        lambda qs: qs.filter(pk__in=[]),  # an empty IN: no query at all
        lambda qs: qs.filter(in_list("pk", list(qs.values_list("pk", flat=True))[1:7])),
        lambda qs: qs.filter(in_list("contact_id", {a.contact_id for a in qs if a.contact_id})),
        lambda qs: qs.filter(in_list("type", ["call"])),
        lambda qs: qs.filter(Sort("occurred_at", True).after(BASE + datetime.timedelta(hours=2), qs[3].pk)),
        lambda qs: qs.filter(Sort("duration", False, nullable=True).after(None, qs[2].pk)),
        lambda qs: qs.filter(contact__first_name__startswith="A"),  # a join: the ORM's path
        lambda qs: qs.annotate(rank=Value(1)),  # an annotation: the ORM's path
    ],
)
@pytest.mark.parametrize(
    "order_by",
    [("-occurred_at", "-id"), ("occurred_at", "id"), (F("duration").desc(nulls_first=True), "-id"), ()],
)
def test_values_rows_equals_values_list(activities, org, narrow, order_by):
    queryset = narrow(Activity.objects.for_org(org))
    expected = orm(queryset, COLUMNS, order_by, limit=5)
    got = values_rows(queryset, COLUMNS, order_by=order_by, limit=5)
    if order_by:
        assert got == expected
    else:
        assert sorted(got) == sorted(expected)
    assert sorted(values_rows(queryset, COLUMNS, order_by=order_by)) == sorted(orm(queryset, COLUMNS))


def test_fast_path_skips_the_orm_and_keeps_the_organization(activities, org, other_org, monkeypatch):
    queryset = Activity.objects.for_org(org).filter(type="call")
    assert rows_module._is_simple(queryset.query)
    with queries() as sql:
        got = values_rows(queryset, ["id"], order_by=("-occurred_at", "-id"), limit=50)
    assert len(sql) == 1 and "org_id" in sql[0] and "LIMIT 50" in sql[0]
    assert {pk for (pk,) in got} == set(queryset.values_list("id", flat=True))
    assert not values_rows(Activity.objects.for_org(other_org).filter(type="call"), ["id"])


def test_dates_and_json_come_back_typed(org):
    contact = ContactFactory(org=org, metadata={"plan": "pro"})
    (row,) = values_rows(Contact.objects.for_org(org).filter(pk=contact.pk), ["created_at", "metadata"])
    assert isinstance(row[0], datetime.datetime) and row[0].tzinfo is not None
    assert row[0] <= timezone.now()
    assert row[1] == {"plan": "pro"}


def test_without_order_by_the_querysets_own_order_is_kept(activities, org):
    queryset = Activity.objects.for_org(org).order_by("duration", "-id")
    assert values_rows(queryset, ["id", "duration"]) == list(queryset.values_list("id", "duration"))
    assert values_rows(queryset, ["id"], limit=3) == list(queryset.values_list("id")[:3])


def test_in_list_is_in_on_every_database(activities, org, other_org):
    """``in_list`` selects what ``__in`` selects (``= ANY(%s)`` on PostgreSQL), inside the
    organization it is applied to, in one query."""
    pks = [a.pk for a in activities[:5]] + list(
        Activity.objects.for_org(other_org).values_list("pk", flat=True)
    )
    queryset = Activity.objects.for_org(org)
    with queries() as sql:
        got = values_rows(queryset.filter(in_list("pk", pks)), ["id"])
    assert len(sql) == 1
    if connection.vendor == "postgresql":  # the UUIDs as one uuid[] text, no hyphens
        assert f"'{{{activities[0].pk.hex}," in sql[0] and "::uuid[]" in sql[0]
    assert {pk for (pk,) in got} == {a.pk for a in activities[:5]}
    assert set(queryset.filter(in_list("pk", pks)).values_list("pk", flat=True)) == {
        a.pk for a in activities[:5]
    }
    assert not values_rows(queryset.filter(in_list("pk", [])), ["id"])


def test_with_pks_keeps_the_organization_as_a_filter(activities, org, other_org):
    """``with_pks`` answers ``filter(pk__in=…)`` inside the organization; its ``org_id = …`` is
    written so that the planner cannot make it an index condition (``… IS TRUE``)."""
    theirs = Activity.objects.for_org(other_org).get()
    mine = [a.pk for a in activities[:3]]
    queryset = Activity.objects.for_org(org).with_pks([*mine, theirs.pk])
    with queries() as sql:
        got = values_rows(queryset, ["id"])
    assert {pk for (pk,) in got} == set(mine)
    assert ") IS TRUE" in sql[0] and "org_id" in sql[0]
    assert set(queryset.values_list("pk", flat=True)) == set(mine)  # the ORM's own path too
    assert not Activity.objects.for_org(org).with_pks([theirs.pk]).exists()
    assert not Activity.objects.for_org(org).with_pks([]).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner and statistics")
def test_with_pks_is_planned_on_the_primary_key_for_an_organization_the_statistics_never_saw(org, other_org):
    """After ANALYZE has seen one organization's rows only, another's are estimated at none and
    an index starting with ``org_id`` looks free: ``org_id = … AND id = …`` walked the whole
    organization in one. ``with_pks`` keeps to the primary key."""
    OrgRows(org).create(Activity, 3000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE activities_activity")
    OrgRows(other_org).create(Activity, 3000)
    target = Activity.objects.for_org(other_org).order_by("pk").last()
    queryset = Activity.objects.for_org(other_org).with_pks([target.pk]).values_list("id")
    plan = queryset.explain()
    assert "activities_activity_pkey" in plan, plan
    assert list(queryset) == [(target.pk,)]


def test_instances_are_what_the_queryset_loads(activities, org):
    """``instances`` loads what ``list(queryset)`` loads, field by field, and saved as Django
    leaves loaded rows; a queryset it cannot compile itself goes through the ORM."""
    queryset = Activity.objects.for_org(org).with_pks([a.pk for a in activities[:5]])
    with queries() as sql:
        fast = {a.pk: a for a in instances(queryset)}
    assert len(sql) == 1
    slow = {a.pk: a for a in queryset}
    assert set(fast) == set(slow) == {a.pk for a in activities[:5]}
    for pk, loaded in fast.items():
        for field in Activity._meta.concrete_fields:
            assert getattr(loaded, field.attname) == getattr(slow[pk], field.attname), field.name
        assert not loaded._state.adding and loaded._state.db == "default"
    related = queryset.select_related("contact")
    assert {a.pk: a.contact for a in instances(related)} == {a.pk: a.contact for a in related}
    assert instances(Activity.objects.for_org(org).with_pks([])) == []


@pytest.mark.parametrize("count", [1, 2, 5])
def test_by_pks_reads_what_the_organizations_lookup_by_id_reads(activities, org, other_org, count):
    """``by_pks`` answers ``values_rows(for_org(org).with_pks(pks))`` (its SQL too), another
    organization's ids and unknown ones not found; without an organization it reads any row."""
    theirs = Activity.objects.for_org(other_org).get()
    pks = [a.pk for a in activities[:count]]
    wanted = [*pks, theirs.pk, Activity().pk]
    with queries() as slow_sql:
        slow = values_rows(Activity.objects.for_org(org).with_pks(wanted), COLUMNS)
    with queries() as fast_sql:
        fast = by_pks(Activity, wanted, COLUMNS, org=org)
    assert fast == slow and {row[COLUMNS.index("id")] for row in fast} == set(pks)
    assert fast_sql == slow_sql
    anyone = by_pks(Activity, wanted, COLUMNS)
    assert sorted(anyone) == sorted(
        values_rows(Activity._base_manager.filter(in_list("pk", wanted)), COLUMNS)
    )
    assert {row[COLUMNS.index("id")] for row in anyone} == {*pks, theirs.pk}
    assert (
        by_pks(Activity, [], COLUMNS, org=org) == [] and by_pks(Activity, [theirs.pk], COLUMNS, org=org) == []
    )


def test_by_pks_compiles_a_shape_once_and_runs_it_with_new_values(activities, org, other_org):
    rows_module._by_pks_statement.cache_clear()
    for activity in activities[:4]:
        assert by_pks(Activity, [activity.pk], ["id", "subject"], org=org) == [
            (activity.pk, activity.subject)
        ]
    assert by_pks(Activity, [activities[0].pk], ["id"], org=other_org) == []
    info = rows_module._by_pks_statement.cache_info()
    assert (info.misses, info.hits) == (2, 3)  # one per columns


def test_instances_by_pks_are_what_the_queryset_loads(activities, org, other_org):
    theirs = Activity.objects.for_org(other_org).get()
    pks = [a.pk for a in activities[:5]]
    with queries() as sql:
        fast = {a.pk: a for a in instances_by_pks(Activity, [*pks, theirs.pk], org=org)}
    assert len(sql) == 1
    slow = {a.pk: a for a in Activity.objects.for_org(org).with_pks(pks)}
    assert set(fast) == set(slow) == set(pks)
    for pk, loaded in fast.items():
        for field in Activity._meta.concrete_fields:
            assert getattr(loaded, field.attname) == getattr(slow[pk], field.attname), field.name
        assert not loaded._state.adding and loaded._state.db == "default"
