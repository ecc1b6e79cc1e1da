"""Races (issue 14), on PostgreSQL with real threads: each thread has its own connection, the
threads of a round start together at a barrier, and every race runs ``ROUNDS`` times so that
many interleavings happen. Requests go through the real doors (the API with a key; the merge
through its service, as the UI, admin and API call it). No 500 anywhere; what each race must
leave behind is asserted after every round.

SQLite lets one writer in at a time, so these races cannot happen there: the module is skipped.
"""

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction

from activities import services as activity_services
from activities.models import Activity
from contacts import services as contact_services
from contacts.models import Company, Contact
from deals.models import Deal, DealStageChange
from rexcrm.core import ids
from rexcrm.core.models import IdempotencyKey
from rexcrm.events.models import Event
from tests.conftest import Api, error_of
from tests.factories import OrganizationFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="races need PostgreSQL: SQLite has one writer at a time"
    ),
    pytest.mark.django_db(transaction=True),
]

ROUNDS = 10


def race(*targets):
    """Run the targets in threads started together; their results, in order. Each thread
    closes its own connection; any exception (or a thread still running) fails the test."""
    barrier = threading.Barrier(len(targets))
    results, errors = [None] * len(targets), []

    def run(index, target):
        try:
            barrier.wait(timeout=30)
            results[index] = target()
        except Exception as exc:  # re-raised below, with the others
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(targets)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racing thread never finished"
    assert not errors, errors
    return results


def no_server_error(responses):
    for response in responses:
        assert response.status_code < 500, response.content


@pytest.fixture
def racer(make_api):
    """An API client of the racing organization, for the main thread (``.key.org``)."""
    return make_api(OrganizationFactory(name="Racers"))


@pytest.fixture
def raw_key(racer):
    """The racing organization's key: each thread makes its own client with it."""
    return racer.raw_key


def post(raw_key, path, body, headers=None):
    return lambda: Api(raw_key).post(path, body, headers=headers)


def patch(raw_key, path, body):
    return lambda: Api(raw_key).patch(path, body)


def pk(typeid: str):
    return ids.decode(typeid.split("_")[0], typeid)


# -- identical creates: one row per (source, external_id) ---------------------------------------


def test_identical_creates_with_one_external_id_store_one_activity(raw_key):
    threads = 5
    for round_ in range(ROUNDS):
        body = {"type": "email", "subject": "Hello", "source": "gmail", "external_id": f"<m{round_}@mail>"}
        responses = race(*[post(raw_key, "/activities", body)] * threads)
        no_server_error(responses)
        assert sorted(r.status_code for r in responses) == [200] * (threads - 1) + [201]
        assert len({r.json()["data"]["id"] for r in responses}) == 1
        assert Activity.objects.filter(source="gmail", external_id=body["external_id"]).count() == 1
    assert Event.objects.filter(type="activity.created").count() == ROUNDS


# -- upserts of one email or one domain ---------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "model", "lookup"),
    [
        (
            "/contacts/upsert",
            lambda r, i: {
                "email": f"Race{r}@Example.com" if i % 2 else f"race{r}@example.COM",
                "title": f"T{i}",
            },
            Contact,
            lambda r: {"email__iexact": f"race{r}@example.com"},
        ),
        (
            "/companies/upsert",
            lambda r, i: {
                "domain": f"https://www.race{r}.example/x" if i % 2 else f"RACE{r}.example",
                "name": f"N{i}",
            },
            Company,
            lambda r: {"domain": f"race{r}.example"},
        ),
    ],
    ids=["email", "domain"],
)
def test_concurrent_upserts_of_one_key_leave_one_row(raw_key, path, body, model, lookup):
    threads = 5
    for round_ in range(ROUNDS):
        responses = race(*[post(raw_key, path, body(round_, i)) for i in range(threads)])
        no_server_error(responses)
        assert sorted(r.status_code for r in responses) == [200] * (threads - 1) + [201]
        assert len({r.json()["data"]["id"] for r in responses}) == 1
        assert model.objects.filter(**lookup(round_)).count() == 1


def test_concurrent_creates_of_one_email_are_one_201_and_409s_naming_it(raw_key):
    """A plain create (not an upsert) of a taken email is a 409 naming the winner."""
    threads = 4
    for round_ in range(ROUNDS):
        email = f"dup{round_}@example.com"
        responses = race(*[post(raw_key, "/contacts", {"email": email})] * threads)
        no_server_error(responses)
        assert sorted(r.status_code for r in responses) == [201] + [409] * (threads - 1)
        winner = next(r for r in responses if r.status_code == 201).json()["data"]["id"]
        for loser in (r for r in responses if r.status_code == 409):
            error = error_of(loser)
            assert error["code"] == "conflict" and error["existing_id"] == winner, error
        assert Contact.objects.filter(email__iexact=email).count() == 1


# -- stage moves -------------------------------------------------------------------------------


def test_concurrent_stage_moves_leave_one_history_row_each_and_the_last_stage(raw_key, racer):
    for _ in range(ROUNDS):
        deal = racer.post("/deals", {"name": "Contested"}).json()["data"]
        stages = [s["id"] for s in racer.get_ok(f"/pipelines/{deal['pipeline_id']}").json()["data"]["stages"]]
        targets = [stage for stage in stages if stage != deal["stage_id"]]  # every move is a real change
        responses = race(*[post(raw_key, f"/deals/{deal['id']}/stage", {"stage_id": s}) for s in targets])
        no_server_error(responses)
        assert [r.status_code for r in responses] == [200] * len(targets)

        stored = Deal.objects.get(pk=pk(deal["id"]))
        history = list(DealStageChange.objects.filter(deal=stored).order_by("changed_at", "id"))
        assert len(history) == len(targets)  # one row per accepted move
        assert sorted(str(row.to_stage_id) for row in history) == sorted(str(pk(s)) for s in targets)
        chain = [str(pk(deal["stage_id"]))] + [str(row.to_stage_id) for row in history]
        assert [str(row.from_stage_id) for row in history] == chain[:-1]  # each starts where the last ended
        assert str(stored.stage_id) == chain[-1]  # the deal is where the last move left it
        assert stored.stage_entered_at == history[-1].changed_at
        assert stored.status == {"won": "won", "lost": "lost"}.get(stored.stage.type, "open")


# -- PATCHes of different fields: no lost update ------------------------------------------------


@pytest.mark.parametrize(
    ("path", "create", "patches"),
    [
        (
            "/contacts",
            {"email": "patched@example.com"},
            [
                {"first_name": "Ada"},
                {"last_name": "Lovelace"},
                {"phone": "+44 20 7946 0000"},
                {"title": "CTO"},
            ],
        ),
        (
            "/companies",
            {"name": "Patched"},
            [{"industry": "Software"}, {"website": "https://patched.example"}, {"description": "Makers"}],
        ),
        (
            "/deals",
            {"name": "Patched"},
            [{"value": 120000, "currency": "EUR"}, {"expected_close": "2027-01-31"}, {"source": "referral"}],
        ),
    ],
    ids=["contact", "company", "deal"],
)
def test_concurrent_patches_of_different_fields_lose_no_update(raw_key, racer, path, create, patches):
    for round_ in range(ROUNDS):
        body = {**create, **({"email": f"r{round_}-{create['email']}"} if "email" in create else {})}
        obj = racer.post(path, body).json()["data"]
        responses = race(*[patch(raw_key, f"{path}/{obj['id']}", change) for change in patches])
        no_server_error(responses)
        assert [r.status_code for r in responses] == [200] * len(patches)
        stored = racer.get_ok(f"{path}/{obj['id']}").json()["data"]
        for change in patches:
            assert {name: stored[name] for name in change} == change  # every field of every PATCH kept


# -- merge racing an activity create on the duplicate -------------------------------------------


def test_merge_racing_an_activity_create_on_the_duplicate(raw_key, racer):
    """Either the activity is stored first and the merge moves it, or the merge commits first and
    the create is refused like any vanished contact (400 ``invalid_reference`` on
    ``contact_id``): never an activity on a deleted contact, unlinked, or a 409/500. Both
    interleavings happen within the rounds on a 2-core machine (checked while writing this)."""
    org = racer.key.org
    for round_ in range(ROUNDS):
        primary = racer.post("/contacts", {"email": f"primary{round_}@example.com"}).json()["data"]
        duplicate = racer.post("/contacts", {"email": f"dup{round_}@example.com"}).json()["data"]

        def merge(primary=primary, duplicate=duplicate):
            return contact_services.contact_merge(
                org=org,
                actor=None,
                primary=Contact.objects.get(pk=pk(primary["id"])),
                duplicates=[Contact.objects.get(pk=pk(duplicate["id"]))],
            )

        body = {
            "type": "call",
            "subject": f"Call {round_}",
            "status": "completed",
            "contact_id": duplicate["id"],
        }
        merged, response = race(merge, post(raw_key, "/activities", body))

        assert merged.pk == pk(primary["id"])
        assert not Contact.objects.filter(pk=pk(duplicate["id"])).exists()
        stored = Activity.objects.filter(subject=f"Call {round_}")
        if response.status_code == 201:
            activity = stored.get()
            assert activity.contact_id == merged.pk and response.json()["data"]["id"] == activity.typeid
            assert Contact.objects.get(pk=merged.pk).last_activity_at == activity.occurred_at
        else:
            error = error_of(response)
            assert response.status_code == 400 and error["code"] == "invalid_reference", error
            assert list(error["fields"]) == ["contact_id"]
            assert not stored.exists()


def waiting_for_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def in_order(first, second):
    """Run ``first`` in a transaction kept open until ``second`` (started once ``first`` has
    done its work) waits for one of its locks; ``second``'s result or exception."""
    done, release = threading.Event(), threading.Event()

    def hold():
        with transaction.atomic():
            first()
            done.set()
            release.wait(timeout=30)

    def then():
        done.wait(timeout=30)
        try:
            return second()
        except ValidationError as exc:
            return exc

    def releaser():
        deadline = time.monotonic() + 30
        while not waiting_for_a_lock() and time.monotonic() < deadline:
            time.sleep(0.02)
        waited = waiting_for_a_lock()
        release.set()
        return waited

    _, result, waited = race(hold, then, releaser)
    assert waited, "the second write did not wait for the first"
    return result


@pytest.mark.parametrize("write", ["create", "update"])
@pytest.mark.parametrize("first", ["activity", "merge"])
def test_merge_and_activity_write_in_each_order(racer, first, write):
    """The two interleavings of the race above, forced, for a create and for an update that
    links an activity to the duplicate: a merge waits for the activity write in flight and then
    moves the activity; a write that waits for a merge is refused with ``invalid_reference``
    (its contact is gone), and nothing is left on a deleted contact."""
    org = racer.key.org
    primary, duplicate = (
        contact_services.contact_create(org=org, actor=None, email=f"{name}@example.com")
        for name in ("primary", "duplicate")
    )
    existing = (
        activity_services.activity_create(org=org, actor=None, type="note")[0] if write == "update" else None
    )

    def link():
        if existing is not None:
            return activity_services.activity_update(
                org=org, actor=None, activity=existing, contact=duplicate
            )
        return activity_services.activity_create(org=org, actor=None, type="call", contact=duplicate)

    def merge():
        return contact_services.contact_merge(org=org, actor=None, primary=primary, duplicates=[duplicate])

    if first == "activity":
        in_order(link, merge)
        assert list(Activity.objects.values_list("contact_id", flat=True)) == [primary.pk]
    else:
        refused = in_order(merge, link)
        assert isinstance(refused, ValidationError)
        assert [e.code for e in refused.error_dict["contact_id"]] == ["invalid_reference"]
        assert list(Activity.objects.values_list("contact_id", flat=True)) == ([None] if existing else [])
    assert list(Contact.objects.values_list("pk", flat=True)) == [primary.pk]


# -- idempotent POSTs racing -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "model"),
    [
        ("/contacts", lambda r: {"email": f"idem{r}@example.com"}, Contact),
        ("/companies", lambda r: {"name": f"Idem {r}"}, Company),
        ("/activities", lambda r: {"type": "note", "subject": f"Idem {r}"}, Activity),
        ("/deals", lambda r: {"name": f"Idem {r}"}, Deal),
    ],
    ids=["contact", "company", "activity", "deal"],
)
def test_racing_posts_with_one_idempotency_key_run_once_and_answer_alike(raw_key, path, body, model):
    threads = 4
    for round_ in range(ROUNDS):
        key = {"Idempotency-Key": f"race-{path}-{round_}"}
        responses = race(*[post(raw_key, path, body(round_), headers=key)] * threads)
        no_server_error(responses)
        assert [r.status_code for r in responses] == [201] * threads
        assert len({r.content for r in responses}) == 1  # the very same response, byte for byte
        assert sorted(r.has_header("Idempotent-Replayed") for r in responses) == [False] + [True] * (
            threads - 1
        )
        typeid = responses[0].json()["data"]["id"]
        assert model.objects.filter(pk=pk(typeid)).exists()
        assert IdempotencyKey.objects.filter(key=key["Idempotency-Key"]).count() == 1
    assert model.objects.count() == ROUNDS
    created = f"{model._meta.model_name}.created"
    assert Event.objects.filter(type=created).count() == ROUNDS


def test_racing_posts_with_one_key_and_different_bodies_run_one_and_refuse_the_others(raw_key):
    threads = 4
    for round_ in range(ROUNDS):
        key = {"Idempotency-Key": f"mixed-{round_}"}
        bodies = [{"name": f"Mixed {round_}.{i}"} for i in range(threads)]
        responses = race(*[post(raw_key, "/companies", b, headers=key) for b in bodies])
        no_server_error(responses)
        assert sorted(r.status_code for r in responses) == [201] + [409] * (threads - 1)
        for refused in (r for r in responses if r.status_code == 409):
            assert list(error_of(refused)["fields"]) == ["Idempotency-Key"]
        winner = next(r for r in responses if r.status_code == 201).json()["data"]
        assert list(
            Company.objects.filter(name__startswith=f"Mixed {round_}.").values_list("name", flat=True)
        ) == [winner["name"]]


# -- deletes racing writes to the rows that point at them ----------------------------------------


def delete(raw_key, path):
    return lambda: Api(raw_key).delete(path)


def _world(racer, round_):
    """A company, its contact, a deal of both, a completed activity on all three and a pending
    task on the contact: every kind of row a delete unlinks."""
    company = racer.post("/companies", {"name": f"Racing {round_}"}).json()["data"]
    contact = racer.post(
        "/contacts", {"email": f"racing{round_}@example.com", "company_id": company["id"]}
    ).json()["data"]
    deal = racer.post("/deals", {"name": f"Deal {round_}", "contact_id": contact["id"]}).json()["data"]
    activity = racer.post(
        "/activities",
        {"type": "call", "status": "completed", "contact_id": contact["id"], "deal_id": deal["id"]},
    ).json()["data"]
    task = racer.post(
        "/tasks",
        {"title": f"Call back {round_}", "contact_id": contact["id"], "due_at": "2030-01-01T09:00:00Z"},
    ).json()["data"]
    return {"company": company, "contact": contact, "deal": deal, "activity": activity, "task": task}


WRITES = {
    # A write that locks its own row, then updates the rows it points at (last_activity_at,
    # next_task_due_at): the opposite order of a delete, which unlinks the rows pointing at it.
    "activity patch": lambda w, r: (
        "patch",
        f"/activities/{w['activity']['id']}",
        {"occurred_at": f"2029-01-0{r % 9 + 1}T10:00:00Z"},
    ),
    "activity delete": lambda w, r: ("delete", f"/activities/{w['activity']['id']}", None),
    "activity create": lambda w, r: (
        "post",
        "/activities",
        {
            "type": "email",
            "status": "completed",
            "contact_id": w["contact"]["id"],
            "deal_id": w["deal"]["id"],
        },
    ),
    "task patch": lambda w, r: (
        "patch",
        f"/tasks/{w['task']['id']}",
        {"due_at": f"2031-01-0{r % 9 + 1}T09:00:00Z"},
    ),
    "task delete": lambda w, r: ("delete", f"/tasks/{w['task']['id']}", None),
    "contact patch": lambda w, r: ("patch", f"/contacts/{w['contact']['id']}", {"title": f"T{r}"}),
}


PLURAL = {"contact": "contacts", "company": "companies", "deal": "deals"}


@pytest.mark.parametrize("deleted", list(PLURAL))
@pytest.mark.parametrize("write", list(WRITES))
def test_a_delete_racing_a_write_to_what_points_at_it(raw_key, racer, deleted, write):
    """Deleting a contact, company or deal while an activity, task or contact that points at it
    is written: both succeed, whichever runs first (the delete unlinks what the write left), and
    neither is a 5xx. A deadlock (the write holding its row and waiting for the deleted one, the
    delete holding that one and waiting to unlink the written row) would be a 503: found by the
    fuzzer on DELETE /contacts/:id and /companies/:id."""
    for round_ in range(ROUNDS):
        world = _world(racer, round_)
        method, path, body = WRITES[write](world, round_)
        call = (
            (lambda m=method, p=path, b=body: getattr(Api(raw_key), m)(p, b))
            if body
            else delete(raw_key, path)
        )
        gone, written = race(delete(raw_key, f"/{PLURAL[deleted]}/{world[deleted]['id']}"), call)
        no_server_error([gone, written])
        assert gone.status_code == 204, gone.content
        if write == "activity create":
            assert written.status_code in (201, 400), written.content
        elif write == "contact patch" and deleted == "contact":
            assert written.status_code in (200, 404), written.content  # 404: the delete went first
        else:
            assert written.status_code in (200, 204), written.content
        model = {"contact": Contact, "company": Company, "deal": Deal}[deleted]
        assert not model.objects.filter(pk=pk(world[deleted]["id"])).exists()
        field = f"{deleted}_id"
        for kind in (Activity, Deal, Contact):
            if any(f.attname == field for f in kind._meta.concrete_fields):
                assert not kind.objects.filter(**{field: pk(world[deleted]["id"])}).exists()
