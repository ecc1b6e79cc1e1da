"""``include=`` on lists: each summary is a correlated subquery of the page's query
(``Relation.summary_column``), rendered by the related serializer's own summary plan. Checked
against GET one's ``relationships`` (one query per link, ``Relation.fetch``) on every list, with
names that text arrays and JSON must carry exactly, and with links to another organization's
rows, which show as null."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from activities.models import Activity
from contacts.models import Contact
from rexcrm.core.api.fields import ComputedField
from rexcrm.core.api.relations import Relation
from rexcrm.core.api.serializers import ResourceSerializer
from tests.factories import ActivityFactory, ContactFactory, DealFactory
from tests.helpers.routes import DETAILS, LISTS
from tests.helpers.rows import OrgRows

WITH_RELATIONS = [(path, cls) for path, cls in LISTS if cls.relations]
# Text that an array's or JSON's quoting must give back as it was.
AWKWARD = ["NULL", 'a "quoted", {braced} name', "back\\slash", "  ", "", "Ünïcödé 名前", "tab\there"]


def detail_path(cls) -> str:
    (path,) = [p for p, c in DETAILS if c is cls and p.count("(?P<") == 1]
    return path.split("(?P<", 1)[0].removeprefix("/api")


def test_lists_with_relations_were_found():
    assert {path for path, _ in WITH_RELATIONS} >= {"/api/activities", "/api/contacts", "/api/deals"}


@pytest.mark.parametrize(("path", "cls"), WITH_RELATIONS, ids=[p for p, _ in WITH_RELATIONS])
def test_every_list_include_shows_what_get_one_shows(api, org, other_org, path, cls):
    """Each row's summaries equal its GET one's ``relationships``: linked rows, no link, and a
    link to another organization's row (written past the services) shown as null."""
    model = cls.serializer_class.Meta.model
    rows = OrgRows(org, spread=2).create(model, 4)
    theirs = OrgRows(other_org)
    for relation in cls.relations.values():  # the second row: every link to the other org's
        target = relation.serializer.Meta.model
        model.objects.filter(pk=rows[1].pk).update(**{relation.column: theirs.linked(target)[0].pk})
    nullable = {r.column: None for r in cls.relations.values() if model._meta.get_field(r.column).null}
    model.objects.filter(pk=rows[2].pk).update(**nullable)  # the third: no links (where it may)
    include = ",".join(cls.relations)
    listed = api.get_all(path.removeprefix("/api"), include=include, limit=2)
    assert {row["id"] for row in listed} >= {row.typeid for row in rows}
    for row in listed:
        one = api.get_ok(f"{detail_path(cls)}{row['id']}").json()["data"]
        assert row["relationships"] == one["relationships"], row["id"]
    shown = {row["id"]: row["relationships"] for row in listed}
    assert set(shown[rows[1].typeid].values()) == {None}
    assert all(value is None for name, value in shown[rows[2].typeid].items() if f"{name}_id" in nullable)
    assert all(value is not None for value in shown[rows[0].typeid].values())


def test_summaries_carry_any_text(api, org):
    """Names go through a text array (PostgreSQL) or JSON (SQLite): quotes, braces, backslashes,
    the word NULL, blanks and Unicode come back as they were, computed as the serializer does."""
    for i, text in enumerate(AWKWARD):
        contact = ContactFactory(org=org, first_name=text, last_name=text, email=f"{i}@example.com")
        ActivityFactory(org=org, contact=contact, deal=DealFactory(org=org, name=text or "x"))
    listed = api.get_all("/activities", include="contact,deal")
    assert len(listed) == len(AWKWARD)
    for row in listed:
        one = api.get_ok(f"/activities/{row['id']}").json()["data"]["relationships"]
        assert row["relationships"] == {"contact": one["contact"], "deal": one["deal"]}
    names = {row["relationships"]["contact"]["name"] for row in listed}
    assert names == {f"{t} {t}".strip() or f"{i}@example.com" for i, t in enumerate(AWKWARD)}
    assert {row["relationships"]["deal"]["name"] for row in listed} == {t or "x" for t in AWKWARD}


def test_another_organizations_row_is_null_beside_this_ones(api, org, other_org):
    contact = ContactFactory(org=org, first_name="Ada", last_name="Lovelace")
    deal = DealFactory(org=org, name="Ours")
    activity = ActivityFactory(org=org, contact=contact, deal=deal)
    Activity.objects.filter(pk=activity.pk).update(contact=ContactFactory(org=other_org, first_name="Theirs"))
    (row,) = api.get_all("/activities", include="contact,deal")
    assert row["contact_id"] != contact.typeid  # the link itself is shown as stored
    assert row["relationships"] == {
        "contact": None,
        "deal": {"type": "deal", "id": deal.typeid, "name": "Ours"},
    }
    assert "Theirs" not in str(row)


def test_a_summary_must_read_text_columns():
    class CreatedSerializer(ResourceSerializer):
        name = ComputedField(columns=("created_at",), func=str, schema={"type": "string"})

        class Meta:
            model = Contact
            fields = ["id", "name"]

    with pytest.raises(ImproperlyConfigured, match="text columns"):
        Relation("contact", "contact_id", CreatedSerializer)
