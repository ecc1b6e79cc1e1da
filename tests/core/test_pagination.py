"""Keyset pagination, sort, limit, fields and updated_* bounds, exercised on /apikeys and /users."""

import datetime
import itertools
import random
import secrets

import pytest
from django.core import signing
from django.utils import timezone

from rexcrm.accounts.models import ApiKey
from rexcrm.core import ids
from rexcrm.core.api.pagination import _SALT, Sort, paginate
from tests.conftest import error_of
from tests.factories import UserFactory
from tests.helpers.queries import count_queries

BASE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def make_keys(org, count, *, tie_groups=None):
    """``count`` keys; with tie_groups, created_at takes only that many distinct values."""
    keys = []
    for i in range(count):
        minute = i % tie_groups if tie_groups else i
        keys.append(
            ApiKey(
                org=org,
                name=f"k{i}",
                key_hash=secrets.token_hex(32),
                last4="abcd",
                created_at=BASE + datetime.timedelta(minutes=minute),
            )
        )
    return ApiKey.objects.bulk_create(keys)


def expected_ids(queryset, descending=True):
    order = ["-created_at", "-id"] if descending else ["created_at", "id"]
    return [ids.encode("key", pk) for pk in queryset.order_by(*order).values_list("id", flat=True)]


@pytest.mark.parametrize("sort", ["-created_at", "created_at"])
def test_paging_with_ties_returns_every_row_once_in_order(org, api, sort):
    make_keys(org, 120, tie_groups=7)
    rows = api.get_all("/apikeys", limit=11, sort=sort)
    assert [r["id"] for r in rows] == expected_ids(ApiKey.objects.for_org(org), sort.startswith("-"))


def test_500_rows_with_inserts_and_deletes_between_pages(org, api):
    keys = make_keys(org, 500, tie_groups=40)
    api_key_id = ids.encode("key", api.key.pk)
    survivors = {ids.encode("key", k.pk) for k in keys} | {api_key_id}
    seen: list[str] = []
    cursor = None
    rng = random.Random(7)
    while True:
        params = {"limit": 23, **({"cursor": cursor} if cursor else {})}
        body = api.get("/apikeys", **params).json()
        seen.extend(row["id"] for row in body["data"])
        # Between pages: delete some rows not yet seen, insert rows before and after the position.
        unseen = [k for k in keys if k.pk is not None and ids.encode("key", k.pk) in survivors - set(seen)]
        for victim in rng.sample(unseen, min(3, len(unseen))):
            survivors.discard(ids.encode("key", victim.pk))
            victim.delete()
        make_keys(org, 2, tie_groups=40)
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)), "a row was repeated"
    assert survivors <= set(seen), "a row that existed throughout was skipped"


def test_envelope_and_limits(org, api):
    make_keys(org, 60)
    body = api.get("/apikeys").json()
    assert len(body["data"]) == 50  # default limit
    assert body["has_more"] is True and body["next_cursor"]
    assert body["meta"] == {"cursor": body["next_cursor"], "has_more": True}
    assert len(api.get("/apikeys", limit=200).json()["data"]) == 61
    last = api.get("/apikeys", limit=200).json()
    assert last["has_more"] is False and last["next_cursor"] is None and last["meta"]["cursor"] is None
    for bad in ["0", "201", "-1", "abc", "1.5"]:
        error = error_of(api.get("/apikeys", limit=bad))
        assert error["code"] == "validation_error" and "limit" in error["fields"]


def test_tampered_foreign_and_mismatched_cursors_are_400(org, api):
    make_keys(org, 10)
    cursor = api.get("/apikeys", limit=3).json()["next_cursor"]
    tampered = cursor[:-3] + ("AAA" if cursor[-3:] != "AAA" else "BBB")
    payload_changed = ("x" if cursor[1] != "x" else "y").join([cursor[:1], cursor[2:]])
    UserFactory.create_batch(3, org=org)
    user_cursor = api.get("/users", limit=1).json()["next_cursor"]
    for bad in [tampered, payload_changed, "", "e30", user_cursor]:
        if not bad:
            continue
        error = error_of(api.get("/apikeys", limit=3, cursor=bad))
        assert error["code"] == "invalid_cursor", bad
    error = error_of(api.get("/apikeys", limit=3, cursor=cursor, sort="created_at"))
    assert error["code"] == "invalid_cursor" and "sort=-created_at" in error["message"]


def test_sort_is_validated(api):
    error = error_of(api.get("/apikeys", sort="name"))
    assert error["code"] == "validation_error" and "sort" in error["fields"]


def test_users_sort_by_email_both_ways(org, api):
    UserFactory.create_batch(9, org=org)
    emails = [u["email"] for u in api.get_all("/users", sort="email", limit=4)]
    assert emails == sorted(emails) and len(emails) == 9
    assert [u["email"] for u in api.get_all("/users", sort="-email", limit=4)] == emails[::-1]


@pytest.mark.parametrize("descending", [True, False])
def test_nullable_sort_treats_null_as_largest_and_pages_through_them(org, descending):
    keys = make_keys(org, 30)
    for i, key in enumerate(keys):
        key.last_used_at = None if i % 3 == 0 else BASE + datetime.timedelta(hours=i % 5)
    ApiKey.objects.bulk_update(keys, ["last_used_at"])
    sort = Sort("last_used_at", descending, nullable=True)
    queryset = ApiKey.objects.for_org(org)
    seen, cursor = [], None
    while True:
        page = paginate(
            queryset, columns=["id", "last_used_at"], sort=sort, limit=4, cursor=cursor, scope="t"
        )
        seen.extend(page.rows)
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == 30
    assert len({pk for pk, _ in seen}) == 30
    never = datetime.datetime.max.replace(tzinfo=datetime.UTC)  # NULL sorts as larger than any value
    assert seen == sorted(seen, key=lambda r: (r[1] or never, r[0]), reverse=descending)


def test_sparse_fieldsets(org, api):
    row = api.get("/apikeys", fields="name,scope").json()["data"][0]
    assert set(row) == {"id", "name", "scope"}
    assert set(
        api.get(f"/users/{ids.encode('user', UserFactory(org=org).pk)}", fields="email").json()["data"]
    ) == {"id", "email"}
    error = error_of(api.get("/apikeys", fields="name,key_hash"))
    assert error["code"] == "validation_error" and "key_hash" in error["message"]


def test_updated_after_and_before_are_a_half_open_window(org, api):
    keys = make_keys(org, 4)
    for i, key in enumerate(keys):
        ApiKey.objects.filter(pk=key.pk).update(updated_at=BASE + datetime.timedelta(days=i))
    ApiKey.objects.filter(pk=api.key.pk).update(updated_at=BASE - datetime.timedelta(days=30))
    window = api.get_all("/apikeys", updated_after="2026-01-02T00:00:00Z", updated_before="2026-01-04")
    assert [r["name"] for r in window] == ["k2", "k1"]
    with_offset = api.get_all("/apikeys", updated_after="2026-01-02T02:00:00+02:00")  # = 00:00Z
    assert {r["name"] for r in with_offset} == {"k1", "k2", "k3"}
    naive_is_utc = api.get_all("/apikeys", updated_after="2026-01-03T00:00:00")
    assert {r["name"] for r in naive_is_utc} == {"k2", "k3"}
    error = error_of(api.get("/apikeys", updated_after="yesterday"))
    assert error["code"] == "validation_error" and "updated_after" in error["fields"]


def test_list_query_count_is_constant(org, api):
    def queries_for_list():
        return count_queries(lambda: api.get_ok("/apikeys", limit=200))

    queries_for_list()  # the first request also records the key's last_used_at
    one = queries_for_list()
    make_keys(org, 199)
    assert queries_for_list() == one
    api.key.refresh_from_db()
    assert api.key.last_used_at is not None and api.key.last_used_at <= timezone.now()


@pytest.mark.parametrize("descending", [True, False])
@pytest.mark.parametrize("ranked", [False, True])
def test_previous_pages_walk_back_over_the_same_pages(org, descending, ranked):
    """``before=prev_cursor`` returns exactly the page that came before, NULLs, ties and the
    search rank included (the web UI's Previous link)."""
    from django.db.models import Case, IntegerField, Value, When

    keys = make_keys(org, 30, tie_groups=4)
    for i, key in enumerate(keys):
        key.last_used_at = None if i % 3 == 0 else BASE + datetime.timedelta(hours=i % 5)
    ApiKey.objects.bulk_update(keys, ["last_used_at"])
    queryset = ApiKey.objects.for_org(org)
    sort = Sort("last_used_at", descending, nullable=True)
    columns = ["id", "last_used_at"]
    if ranked:
        queryset = queryset.annotate(
            rank=Case(When(name__endswith="1", then=Value(0)), default=Value(1), output_field=IntegerField())
        )
        sort = Sort("last_used_at", descending, nullable=True, rank="rank")
        columns.append("rank")

    def page(**position):
        return paginate(queryset, columns=columns, sort=sort, limit=4, scope="t", **position)

    forward, current = [], page(cursor=None)
    assert current.prev_cursor is None
    while True:
        forward.append(current)
        if not current.next_cursor:
            break
        current = page(cursor=current.next_cursor)
    assert sum(len(p.rows) for p in forward) == 30
    for earlier, later in itertools.pairwise(forward):
        back = page(cursor=None, before=later.prev_cursor)
        assert back.rows == earlier.rows
        # The same position (a cursor's signature carries the second it was made in).
        assert signing.loads(back.next_cursor, salt=_SALT) == signing.loads(earlier.next_cursor, salt=_SALT)
        assert back.has_more
        assert (back.prev_cursor is None) == (earlier is forward[0])
    # Instances instead of tuples give the same cursors.
    instances = paginate(queryset, columns=None, sort=sort, limit=4, scope="t", cursor=forward[0].next_cursor)
    assert [obj.pk for obj in instances.rows] == [row[0] for row in forward[1].rows]
