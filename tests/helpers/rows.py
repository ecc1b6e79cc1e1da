"""Rows of any model for generic tests: ``n`` rows in one INSERT, with every foreign key set.

A new row's foreign keys point at the organization's *linked* objects of each related model:
created on first need (their own foreign keys set the same way) and taken in turn, so every
relation of a listed row is filled and ``include=`` has something to fetch. The linked objects
are consistent: the first stage lies in the first pipeline, the first contact works at the
first company, and so on.
"""

from rexcrm.accounts.models import Organization
from tests.factories import FACTORIES, factory_for


class OrgRows:
    def __init__(self, org, spread: int = 1):
        self.spread = spread  # how many linked objects of each model rows share out
        self.linked_objects = {Organization: [org]}

    def linked(self, model) -> list:
        """The organization's objects of ``model`` that new rows link to."""
        if model not in self.linked_objects:
            self.linked_objects[model] = self.create(model, self.spread)
        return self.linked_objects[model]

    def create(self, model, n: int, **fixed) -> list:
        """``n`` new rows of ``model``, in one INSERT; ``fixed`` sets fields (e.g. a parent) on
        every row, and each other foreign key points at one of the linked objects in turn (but
        one the factory sets to None: an event's webhook makes it a ping, not a change)."""
        make = factory_for(model).build
        unlinked = {
            name
            for name, value in factory_for(model)._meta.pre_declarations.as_dict().items()
            if value is None
        }
        links = {
            field.name: self.linked(field.related_model)
            for field in foreign_keys(model)
            if field.name not in fixed and field.name not in unlinked
        }
        rows = [
            make(**fixed, **{name: objs[i % len(objs)] for name, objs in links.items()}) for i in range(n)
        ]
        return model.objects.bulk_create(rows)


def foreign_keys(model) -> list:
    return [field for field in model._meta.concrete_fields if field.is_relation]


def parent_key(model, viewset) -> str:
    """The foreign key of ``model`` that puts a row on the sub-list ``viewset``: the one to the
    parent's model (named by ``parent_filter`` when the viewset has one)."""
    keys = [
        field.name
        for field in foreign_keys(model)
        if field.related_model is viewset.parent_model
        and viewset.parent_filter in ("", field.name, field.attname)
    ]
    assert len(keys) == 1, f"{viewset.__name__}: no single foreign key of {model.__name__} to its parent"
    return keys[0]


def children(model) -> list[tuple]:
    """``(child model, foreign key)`` of every model with a factory that points at ``model``."""
    return [
        (child, field.name)
        for child in FACTORIES
        for field in foreign_keys(child)
        if field.related_model is model
    ]
