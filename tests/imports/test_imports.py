"""CSV imports: a messy real-world file with exact counts, the error report, round trips of
exported files, the pages (upload, mapping, preview, progress), bad input and tenancy."""

import csv
import io

import orjson
import pytest

from activities.models import Activity
from contacts.models import Company, Contact
from imports import services
from imports.models import ImportJob, ImportStatus
from rexcrm.events.models import Event
from tests.factories import ActivityFactory, CompanyFactory, ContactFactory, UserFactory
from tests.imports.conftest import run_import, upload

MESSY = (
    "\ufeffE-mail;First Name;Last Name;Phone;Notes\r\n"
    'ada@acme.com;Ada;Lovelace;+1 555 0100;"met at\r\nthe fair; twice"\r\n'
    "\r\n"
    "BOB@acme.com;Bob;Builder\r\n"
    "bob@acme.com;Robert;;;\r\n"
    "old@acme.com;Olga;;;;extra;cells\r\n"
    "not-an-email;Bad;;;\r\n"
    ";NoEmail;;;\r\n"
    'ada@acme.com;Ada;Lovelace;+1 555 0100;""\r\n'
    f"carl@acme.com;{'C' * 151};;;\r\n"
)


@pytest.mark.django_db
def test_a_messy_real_world_file_imports_with_exact_counts(org, member):
    old = ContactFactory(org=org, email="Old@Acme.com", first_name="O.", last_name="Ldham")
    job = services.import_create(org=org, actor=member, upload=upload(MESSY), resource="contacts")
    assert (job.encoding, job.delimiter, job.total_rows) == ("utf-8-sig", ";", 9)
    assert job.headers == ["E-mail", "First Name", "Last Name", "Phone", "Notes"]
    assert job.mapping == ["email", "first_name", "last_name", "phone", ""]  # guessed; Notes skipped

    job = run_import(org, member, MESSY)

    assert (job.status, job.position) == (ImportStatus.DONE, 9)
    assert (job.created, job.updated, job.unchanged, job.failed) == (2, 2, 1, 3)
    contacts = {c.email: c for c in Contact.objects.for_org(org)}
    assert set(contacts) == {"ada@acme.com", "BOB@acme.com", "Old@Acme.com"}  # no duplicates
    assert contacts["BOB@acme.com"].first_name == "Robert"  # the file's second row for bob updated the first
    assert contacts["BOB@acme.com"].last_name == "Builder"  # an empty cell changes nothing
    assert contacts["ada@acme.com"].phone == "+1 555 0100"
    old.refresh_from_db()
    assert (old.first_name, old.last_name) == ("Olga", "Ldham")
    failures = list(job.failures.order_by("row").values_list("row", "reason"))
    assert failures == [
        (7, "email: Enter a valid email address."),
        (8, "email: This field is required."),
        (10, "first_name: Ensure this field has no more than 150 characters."),
    ]
    events = Event.objects.for_org(org)
    assert events.filter(type="contact.created").count() == 2
    assert (
        events.filter(type="contact.updated").count() == 1
    )  # Olga; Bob's second row is in his created event


@pytest.mark.django_db
def test_the_error_report_lists_failed_rows_with_their_reason(org, member, ui):
    job = run_import(org, member, MESSY)
    response = ui.get(f"/imports/{job.typeid}/errors.csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == ["E-mail", "First Name", "Last Name", "Phone", "Notes", "row", "reason"]
    assert rows[1] == ["not-an-email", "Bad", "", "", "", "7", "email: Enter a valid email address."]
    assert [row[5] for row in rows[1:]] == ["7", "8", "10"]


def reasons(job) -> list[str]:
    return list(job.failures.order_by("row").values_list("reason", flat=True))


def exported(ui, path: str) -> str:
    response = ui.get(path)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


@pytest.mark.django_db
def test_exported_contacts_import_back_with_no_change_and_no_duplicate(org, member, ui):
    company = CompanyFactory(org=org, name="Acme", domain="acme.com", address={"city": "Paris"})
    for n in range(5):
        ContactFactory(
            org=org,
            email=f"p{n}@acme.com",
            company=company,
            owner=member,
            phone="+44 20 7946 0000",
            title='=HYPERLINK("x")' if n == 0 else "'quoted",
            icp_score=n * 10,
            metadata={"n": n, "tags": ["a", "b"]},
        )
    ContactFactory(org=org, email="nobody@gmail.com", company=None, stage="customer", source="referral")
    before = list(Contact.objects.for_org(org).order_by("id").values())
    events = Event.objects.count()

    job = run_import(org, member, exported(ui, "/contacts/export.csv"))

    assert (job.created, job.updated, job.unchanged, job.failed) == (0, 0, 6, 0), reasons(job)
    assert list(Contact.objects.for_org(org).order_by("id").values()) == before
    assert Event.objects.count() == events  # nothing changed, nothing recorded


@pytest.mark.django_db
def test_exported_companies_and_activities_import_back_unchanged(org, member, ui):
    acme = CompanyFactory(org=org, name="Acme", domain="acme.com", address={"city": "Paris", "country": "FR"})
    CompanyFactory(org=org, name="No domain", domain="", description="line one\nline two")
    contact = ContactFactory(org=org, email="ada@acme.com", company=acme)
    ActivityFactory(org=org, contact=contact, subject="-1 for the plan", body="  kept\n  as is ")
    ActivityFactory(org=org, contact=contact, source="gmail", external_id="<m1@mail>", duration=60)
    companies = list(Company.objects.for_org(org).order_by("id").values())
    activities = list(Activity.objects.for_org(org).order_by("id").values())

    job = run_import(org, member, exported(ui, "/companies/export.csv"), resource="companies")
    assert (job.created, job.updated, job.unchanged, job.failed) == (0, 0, 2, 0), reasons(job)
    job = run_import(org, member, exported(ui, "/activities/export.csv"), resource="activities")
    assert (job.created, job.updated, job.unchanged, job.failed) == (0, 0, 2, 0), reasons(job)

    assert list(Company.objects.for_org(org).order_by("id").values()) == companies
    assert list(Activity.objects.for_org(org).order_by("id").values()) == activities


@pytest.mark.django_db
def test_companies_upsert_by_domain_and_activities_by_source_and_external_id(org, member):
    CompanyFactory(org=org, name="Acme", domain="acme.com")
    job = run_import(
        org,
        member,
        "Company,Domain,Industry\nAcme Corp,https://www.ACME.com/about,Software\nInitech,initech.example,\n",
        resource="companies",
    )
    assert (job.created, job.updated, job.failed) == (1, 1, 0)
    assert Company.objects.for_org(org).get(domain="acme.com").name == "Acme Corp"

    contact = ContactFactory(org=org, email="ada@acme.com")
    ActivityFactory(org=org, source="gmail", external_id="m-1", subject="Old")
    text = (
        "type,subject,source,external_id,contact email,occurred_at\n"
        "email,New,gmail,m-1,ada@acme.com,2026-03-16T14:00:00Z\n"
        "call,Call,,,ADA@acme.com,2026-03-17\n"
        "call,Who,,,ghost@acme.com,\n"
        "fax,Bad type,,,,\n"
    )
    job = run_import(org, member, text, resource="activities")
    assert job.mapping == ["type", "subject", "source", "external_id", "contact_email", "occurred_at"]
    assert (job.created, job.updated, job.failed) == (1, 1, 2), list(job.failures.values_list("reason"))
    assert Activity.objects.for_org(org).get(external_id="m-1").subject == "New"
    assert Activity.objects.for_org(org).get(subject="Call").contact == contact
    reasons = list(job.failures.order_by("row").values_list("reason", flat=True))
    assert reasons[0] == "contact_email: No contact with email ghost@acme.com."


@pytest.mark.django_db
def test_a_contacts_company_column_links_by_name(org, member):
    acme = CompanyFactory(org=org, name="Acme Inc", domain="")
    job = run_import(
        org, member, "email,company\na@gmail.com,ACME inc\nb@gmail.com,Newco\nc@gmail.com,newco\n"
    )
    assert (job.created, job.failed) == (3, 0)
    by_email = {c.email: c.company for c in Contact.objects.for_org(org)}
    assert by_email["a@gmail.com"] == acme
    assert by_email["b@gmail.com"].name == "Newco" and by_email["b@gmail.com"] == by_email["c@gmail.com"]


@pytest.mark.django_db
def test_ids_of_another_organization_fail_the_row(org, other_org, member):
    foreign = ContactFactory(org=other_org, email="spy@globex.com")
    foreign_owner = UserFactory(org=other_org)
    text = f"id,email,owner_id\n{foreign.typeid},x@acme.com,\n,y@acme.com,{foreign_owner.typeid}\n"
    job = run_import(org, member, text)
    assert (job.created, job.failed) == (0, 2)
    reasons = list(job.failures.order_by("row").values_list("reason", flat=True))
    assert reasons == [
        f"id: No contact with id {foreign.typeid} in this organization.",
        f"owner_id: No user with id {foreign_owner.typeid} in this organization.",
    ]
    foreign.refresh_from_db()
    assert foreign.email == "spy@globex.com"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "The first line must be the header row"),
        ("email\n", "no rows to import"),
        (b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00", "an Excel workbook"),
    ],
)
def test_unreadable_files_are_refused_with_a_reason(org, member, content, message):
    with pytest.raises(services.ValidationError) as error:
        services.import_create(org=org, actor=member, upload=upload(content), resource="contacts")
    assert message in str(error.value)


@pytest.mark.django_db
def test_windows_1252_files_are_read(org, member):
    job = run_import(org, member, "email,first name\nzoe@acme.com,Zoë\n".encode("cp1252"))
    assert job.encoding == "cp1252"
    assert Contact.objects.for_org(org).get().first_name == "Zoë"


# -- the pages ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_upload_map_preview_start_and_progress(org, member, ui):
    page = ui.get("/imports/new/").content.decode()
    assert "CSV file</label>" in page and "Import into</label>" in page and ">Upload</button>" in page
    assert "Up to 50 MB" in page

    response = ui.post("/imports/new/", {"file": upload(MESSY), "resource": "contacts"})
    assert response.status_code == 302
    job = ImportJob.objects.for_org(org).get()
    assert response["Location"] == f"/imports/{job.typeid}/"

    page = ui.get(response["Location"]).content.decode()
    assert '<label class="form-label" for="column-0">E-mail</label>' in page
    assert '<option value="email" selected>' in page and '<option value="" selected>Skip' in page
    assert "Enter a valid email address." in page and "new</span>" in page  # the preview
    assert not Contact.objects.exists()  # the preview wrote nothing

    mapping = {"column-0": "email", "column-1": "", "column-2": "last_name", "column-3": "", "column-4": ""}
    response = ui.post(job_url := f"/imports/{job.typeid}/", {**mapping, "action": "start"})
    assert response.status_code == 302
    fragment = ui.get(job_url, headers={"HX-Request": "true"}).content.decode()
    assert 'hx-trigger="every 1s"' in fragment and "<progress" in fragment  # polling while queued

    from imports import jobs

    while jobs.run(None):
        pass
    fragment = ui.get(job_url, headers={"HX-Request": "true"}).content.decode()
    assert "hx-trigger" not in fragment  # done: the polling stops
    assert 'value="100"' in fragment
    assert "4 created" in fragment and "0 updated" in fragment and "2 failed" in fragment
    assert f'href="/imports/{job.typeid}/errors.csv">Download errors' in fragment
    assert Contact.objects.get(email="BOB@acme.com").first_name == ""  # first name was skipped


@pytest.mark.django_db
def test_bad_mappings_and_uploads_are_400s_with_reasons(org, member, ui, settings):
    job = services.import_create(org=org, actor=member, upload=upload("name,x\na,b\n"), resource="contacts")
    response = ui.post(f"/imports/{job.typeid}/", {"column-0": "first_name", "action": "start"})
    assert response.status_code == 400
    assert "Map a column to one of: id, email." in response.content.decode()
    response = ui.post(
        f"/imports/{job.typeid}/", {"column-0": "email", "column-1": "email", "action": "start"}
    )
    assert "more than one is mapped to email" in response.content.decode()
    response = ui.post(f"/imports/{job.typeid}/", {"column-0": "password", "action": "start"})
    assert "Unknown field(s): password." in response.content.decode()

    settings.REX_IMPORTS = {**settings.REX_IMPORTS, "MAX_BYTES": 10}
    response = ui.post("/imports/new/", {"file": upload("email\na@b.co\n"), "resource": "contacts"})
    assert response.status_code == 400 and "larger than" in response.content.decode()
    response = ui.post("/imports/new/", {"file": upload("e\n"), "resource": "deals"})
    assert response.status_code == 400 and "not one of the available choices" in response.content.decode()


@pytest.mark.django_db
def test_another_organizations_import_is_a_404(org, other_org, member, ui):
    stranger = UserFactory(org=other_org)
    job = run_import(other_org, stranger, MESSY)
    for path in (f"/imports/{job.typeid}/", f"/imports/{job.typeid}/errors.csv", "/imports/imp_nonsense/"):
        assert ui.get(path).status_code == 404, path
    assert ui.post(f"/imports/{job.typeid}/", {"action": "start"}).status_code == 404


@pytest.mark.django_db
def test_bulk_upserts_record_events_like_single_writes(org, member):
    from contacts.services import contact_upsert_many

    ada = ContactFactory(org=org, email="ada@acme.com", title="CTO")
    company = CompanyFactory(org=org, name="Acme", domain="acme.com")
    results = contact_upsert_many(
        org=org,
        actor=member,
        items=[
            {"email": "ADA@acme.com", "title": "CEO"},
            {"email": "new@acme.com", "first_name": "New"},
            {"id": ada.pk, "email": "new@acme.com"},  # would take another contact's email
        ],
    )
    assert [r[1] if isinstance(r, tuple) else r.message_dict for r in results] == [
        "updated",
        "created",
        {"email": [f"A contact with this email already exists ({results[1][0].typeid})."]},
    ]
    assert results[1][0].company == company  # linked by its email's domain, as contact_create does
    updated = Event.objects.for_org(org).get(type="contact.updated")
    assert updated.actor_id == member.typeid
    data = orjson.loads(updated.data)
    assert data["previous"] == {"title": "CTO", "updated_at": data["previous"]["updated_at"]}
    assert data["object"]["title"] == "CEO" and data["object"]["email"] == "ada@acme.com"
    created = Event.objects.for_org(org).get(type="contact.created")
    assert orjson.loads(created.data)["object"]["company_id"] == company.typeid


@pytest.mark.django_db
def test_an_unexpected_error_stops_the_job_and_the_page_says_where(org, member, ui, settings, monkeypatch):
    settings.REX_IMPORTS = {**settings.REX_IMPORTS, "CHUNK_ROWS": 2}
    text = "email\n" + "".join(f"p{n}@acme.com\n" for n in range(6))
    job = services.import_create(org=org, actor=member, upload=upload(text), resource="contacts")
    services.import_start(org=org, actor=member, job=job, mapping=job.mapping)
    real_run, calls = services.Chunk.run, []

    def run(chunk, actor):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database went away")
        return real_run(chunk, actor)

    monkeypatch.setattr(services.Chunk, "run", run)
    from imports import jobs

    while jobs.run(None):
        pass
    job.refresh_from_db()
    assert (job.status, job.position, job.created) == (ImportStatus.FAILED, 2, 2)
    assert Contact.objects.for_org(org).count() == 2  # the first chunk only: the second rolled back
    page = ui.get(f"/imports/{job.typeid}/").content.decode()
    assert "Stopped after row 3: rows up to there are imported, the rest are not." in page
    assert "RuntimeError: the database went away" in page
