"""Shared pieces of the hardening tests: real objects for every route's path ids, and a
snapshot of every stored row to prove a refused request changed nothing."""

import hashlib
import re

import pytest
from django.apps import apps

from tests.helpers.rows import OrgRows

# Rows that change on every request by design: the database rate-limit buckets (no Redis).
VOLATILE = {("core", "ratelimitbucket")}
# Columns written on reads by design (a key's last use, at most once a minute).
VOLATILE_COLUMNS = {"last_used_at"}


def snapshot() -> dict[str, str]:
    """A digest of every row of every model of the project, per table."""
    digests = {}
    for model in apps.get_models():
        if (model._meta.app_label, model._meta.model_name) in VOLATILE or model._meta.app_label in (
            "sessions",
            "admin",
            "contenttypes",
            "auth",
        ):
            continue
        columns = [f.attname for f in model._meta.concrete_fields if f.attname not in VOLATILE_COLUMNS]
        rows = list(model._base_manager.order_by("pk").values_list(*columns))
        digests[model._meta.label] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return digests


def path_models(path: str, cls) -> dict[str, type]:
    from deals.models import Stage

    models = {"id": cls.serializer_class.Meta.model, "stage_id": Stage}
    if getattr(cls, "parent_model", None):
        models[cls.parent_kwarg] = cls.parent_model
    return models


def fill_existing(path: str, cls, rows: OrgRows) -> str:
    """The path with every id set to a real object of the rows' organization."""
    models = path_models(path, cls)
    return re.sub(
        r"\(\?P<(\w+)>[^)]*\)", lambda m: rows.linked(models[m.group(1)])[0].typeid, path
    ).removeprefix("/api")


@pytest.fixture
def rows(org):
    return OrgRows(org)


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker):
    """Organizations A ("Acme", ours) and B ("Globex", the other one), each with an object of
    every kind (``tests.hardening.world``), built once per module and committed, as Django's
    ``setUpTestData``: each test runs in its own transaction, rolled back, so what a test
    changes is gone for the next one."""
    from tests.hardening import world

    with django_db_blocker.unblock():
        try:
            yield world.build("Acme", "acmeonly"), world.build("Globex", "globexsecret")
        finally:
            world.destroy("acmeonly", "globexsecret")
