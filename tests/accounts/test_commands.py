from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from activities.models import Activity, Task
from contacts.models import Company, Contact
from deals.models import Deal, DealStageChange
from rexcrm.accounts.models import ApiKey, Organization, User
from rexcrm.core import ids
from tests.conftest import Api


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_createorg_prints_the_id_alone(db):
    out = run("createorg", "Initech")
    org = Organization.objects.get(pk=ids.decode("org", out.strip()))
    assert org.name == "Initech" and out == org.typeid + "\n"


def test_createorg_with_owner_login(db):
    org_id = run(
        "createorg", "Initech", "--owner-email", "boss@initech.example", "--owner-password", "s3cret-pass"
    )
    owner = User.objects.get(email="boss@initech.example")
    assert owner.org.typeid == org_id.strip() and owner.check_password("s3cret-pass") and owner.is_staff
    with pytest.raises(CommandError):
        run("createorg", "Again", "--owner-email", "boss@initech.example")


def test_createapikey_prints_a_working_key_alone(db):
    org_id = run("createorg", "Initech").strip()
    raw = run("createapikey", "--org", org_id, "--scope", "read", "--name", "CI").strip()
    assert raw.startswith("rex_live_") and "\n" not in raw
    key = ApiKey.objects.get()
    assert (key.scope, key.name, key.org.typeid) == ("read", "CI", org_id)
    assert Api(raw).get("/users").status_code == 200
    assert run("createapikey", "--org", org_id, "--test").startswith("rex_test_")


@pytest.mark.parametrize("org_id", ["org_01ARZ3NDEKTSV4RRFFQ69G5FAV", "nonsense"])
def test_createapikey_refuses_unknown_org(db, org_id):
    with pytest.raises(CommandError):
        run("createapikey", "--org", org_id)


def test_seed_demo_is_idempotent(db, tmp_path, settings):
    settings.VAR_DIR = tmp_path
    first = run("seed_demo")
    counted = [Organization, User, ApiKey, Company, Contact, Deal, DealStageChange, Activity, Task]
    counts = [model.objects.count() for model in counted]
    second = run("seed_demo")
    assert first == second
    assert [model.objects.count() for model in counted] == counts
    assert Company.objects.count() >= 100 and Contact.objects.count() >= 300
    assert Activity.objects.count() >= 300 and Activity.objects.filter(contact__isnull=False).exists()
    assert {"won", "lost", "open"} <= set(Deal.objects.values_list("status", flat=True))
    assert DealStageChange.objects.exists()
    assert {"pending", "completed"} <= set(Task.objects.values_list("status", flat=True))
    assert Task.objects.filter(status="pending", due_at__lt=timezone.now()).exists()  # overdue ones
    raw = next(line.split()[-1] for line in first.splitlines() if line.startswith("API key:"))
    assert Api(raw).get("/users").status_code == 200
    # A lost key file gets a fresh key, and the old demo key is revoked rather than duplicated.
    (tmp_path / "demo-api-key").unlink()
    third = run("seed_demo")
    new_raw = next(line.split()[-1] for line in third.splitlines() if line.startswith("API key:"))
    assert new_raw != raw and Api(raw).get("/users").status_code == 401
    assert ApiKey.objects.filter(revoked_at__isnull=True).count() == 1
