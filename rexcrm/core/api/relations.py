"""``include=`` and ``relationships`` (API.md §6.1).

A resource declares its links as ``Relation``s. On a list, ``include=contact,deal`` adds
``relationships`` to every row with ``{"type", "id", "name"}`` summaries, read in the page's own
query: each included link is a LEFT JOIN adding the summary's columns to the row (its related
row's organization among them, checked against the request's). On GET one,
``relationships`` names every link and ``included`` holds the full objects asked for (by
default the first relation, e.g. the contact), one query per link that is set. Either way a
page's query count does not depend on its size.
"""

from dataclasses import dataclass
from functools import cached_property

from rexcrm.core.api.errors import ApiError
from rexcrm.core.rows import values_rows

_SUMMARY = frozenset({"id", "name"})


@dataclass(frozen=True)
class Relation:
    name: str  # "contact"
    column: str  # "contact_id" on the resource's rows
    serializer: type  # the related resource's ResourceSerializer (must have a ``name`` field)

    @property
    def type(self) -> str:
        return self.serializer.Meta.model._meta.model_name

    @cached_property
    def summary_plan(self):
        return self.serializer.output_plan(_SUMMARY, extra_columns=("id", "org"))

    @cached_property
    def joined_columns(self) -> tuple[str, ...]:
        """The summary's columns as lookups through the link (``contact__first_name``…): asked
        of the listed rows' query, they join the related table."""
        link = self.column.removesuffix("_id")
        return tuple(f"{link}__{column}" for column in self.summary_plan.columns)

    def fetch(self, org, pk, *, full: bool) -> dict | None:
        """The rendered object ``pk`` of the organization (in full, or its summary), or None."""
        plan = self.serializer.output_plan(None if full else _SUMMARY)
        rows = values_rows(self.serializer.Meta.model.objects.for_org(org).with_pks([pk]), plan.columns)
        return {"type": self.type, **plan.render(rows[0])} if rows else None


def parse_include(raw: str | None, relations: dict[str, Relation]) -> list[Relation]:
    if raw is None:
        return []
    names = [name.strip() for name in raw.split(",")] if raw else []
    unknown = sorted(set(names) - set(relations))
    if unknown:
        known = ", ".join(relations) or "nothing"
        raise ApiError(
            f"include: unknown relation(s) {', '.join(unknown)}.",
            fields={"include": [f"Unknown: {', '.join(unknown)}. This resource can include {known}."]},
        )
    return [relations[name] for name in dict.fromkeys(names)]


def embed_summaries(
    org, rows: list, rendered: list[dict], columns: list[str], relations: list[Relation]
) -> None:
    """Add ``relationships`` with summaries of ``relations`` to each rendered row (lists), from
    each relation's ``joined_columns`` in ``rows``. A related row of another organization (a link
    written past the services) is shown as null, as a missing one is."""
    if not relations:
        return
    names, found = [], []  # found: per relation, each row's summary
    org_id = org.pk.int
    for relation in relations:
        plan, kind = relation.summary_plan, relation.type
        start = columns.index(relation.joined_columns[0])
        linked = [row[start : start + len(plan.columns)] for row in rows]
        org_at = plan.columns.index("org")  # None when the row has no link
        shown = [(of := sub[org_at]) is not None and of.int == org_id for sub in linked]
        summaries = iter(plan.render_rows([sub for sub, show in zip(linked, shown, strict=True) if show]))
        names.append(relation.name)
        found.append([{"type": kind, **next(summaries)} if show else None for show in shown])
    for out, summaries in zip(rendered, zip(*found, strict=True), strict=True):
        out["relationships"] = dict(zip(names, summaries, strict=True))


def detail_relationships(
    org, links: dict, data: dict, relations: dict[str, Relation], include: list[Relation]
) -> list[dict]:
    """For one object (GET one, a write's answer) whose links are ``links`` (``{column: pk}``):
    name every link under ``data["relationships"]`` and return ``included``, the full objects of
    ``include``; one query per link that is set. (A LEFT JOIN per link, as lists do, cost
    PostgreSQL more to plan than the queries it saved.)"""
    relationships, included = {}, []
    for relation in relations.values():
        pk = links[relation.column]
        found = None if pk is None else relation.fetch(org, pk, full=relation in include)
        relationships[relation.name] = found and {key: found[key] for key in ("type", "id", "name")}
        if found is not None and relation in include:
            included.append(found)
    data["relationships"] = relationships
    return included
