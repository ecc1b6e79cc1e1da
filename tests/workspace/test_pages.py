"""Record pages (contact, company, deal) with their timelines, Today, and global search."""

import datetime
import re

import pytest

from activities.models import Activity, Task
from deals.models import Deal
from deals.services import deal_move_stage, pipeline_default
from rexcrm.core import clock
from tests.conftest import page_queries
from tests.factories import ActivityFactory, CompanyFactory, ContactFactory, TaskFactory, UserFactory

NOW = datetime.datetime(2026, 3, 16, 12, tzinfo=datetime.UTC)


@pytest.fixture
def world(org, member):
    pipeline = pipeline_default(org=org)
    stages = list(pipeline.stages.order_by("position"))
    company = CompanyFactory(org=org, name="Acme Corp", domain="acme.example")
    contact = ContactFactory(org=org, company=company, first_name="Ada", last_name="Lovelace", owner=member)
    colleague = ContactFactory(org=org, company=company, first_name="Grace")
    deal = Deal.objects.create(
        org=org,
        pipeline=pipeline,
        stage=stages[0],
        name="Acme: Annual plan",
        value=4_800_000,
        currency="USD",
        contact=contact,
        company=company,
        owner=member,
    )
    deal_move_stage(org=deal.org, deal=deal, stage=stages[1], actor=member)
    return {
        "pipeline": pipeline,
        "stages": stages,
        "company": company,
        "contact": contact,
        "colleague": colleague,
        "deal": deal,
    }


def record_urls(world):
    return [
        f"/contacts/{world['contact'].typeid}/",
        f"/companies/{world['company'].typeid}/",
        f"/deals/{world['deal'].typeid}/",
    ]


def test_record_pages_show_their_details(ui, world):
    contact_page = ui.get(f"/contacts/{world['contact'].typeid}/").content.decode()
    for text in ("Ada Lovelace", world["contact"].email, "Acme Corp", "Rita Rep", "Acme: Annual plan"):
        assert text in contact_page
    company_page = ui.get(f"/companies/{world['company'].typeid}/").content.decode()
    assert "Grace" in company_page and "Acme: Annual plan" in company_page
    deal_page = ui.get(f"/deals/{world['deal'].typeid}/").content.decode()
    assert "$48,000.00" in deal_page
    assert re.search(r'aria-current="step">\s*<span>Qualification</span>', deal_page)
    assert re.search(r"<strong>Discovery</strong> → <strong>Qualification</strong>", deal_page)


@pytest.mark.parametrize("kind", ["contacts", "companies", "deals"])
def test_malformed_missing_and_foreign_ids_are_one_404(ui, world, other_org, kind):
    foreign = {
        "contacts": ContactFactory(org=other_org).typeid,
        "companies": CompanyFactory(org=other_org).typeid,
        "deals": Deal.objects.create(
            org=other_org,
            pipeline=pipeline_default(org=other_org),
            stage=pipeline_default(org=other_org).stages.first(),
            name="x",
        ).typeid,
    }[kind]
    prefix = foreign.split("_")[0]
    missing = f"{prefix}_01H0000000000000000000000A"
    for bad in (
        foreign,
        missing,
        "nonsense",
        f"{prefix}_!!",
        world["contact"].typeid if kind != "contacts" else world["deal"].typeid,
    ):
        for suffix in ("", "timeline/"):
            response = ui.get(f"/{kind}/{bad}/{suffix}")
            assert response.status_code == 404, (bad, suffix)
            assert "Nothing here" in response.content.decode()


def test_timeline_has_activities_tasks_and_stage_changes_newest_first(ui, org, world):
    contact, now = world["contact"], clock.now()  # the stage change in ``world`` happened now
    ActivityFactory(
        org=org, contact=contact, subject="Discovery call", occurred_at=now - datetime.timedelta(days=2)
    )
    TaskFactory(org=org, contact=contact, title="Send the quote", due_at=now + datetime.timedelta(days=1))
    html = ui.get(f"/contacts/{contact.typeid}/").content.decode()
    timeline = html[html.index('id="timeline"') :]
    assert timeline.index("Send the quote") < timeline.index("moved from") < timeline.index("Discovery call")
    assert 'class="timeline-day' in timeline


def test_company_timeline_rolls_up_its_contacts(ui, org, world):
    ActivityFactory(org=org, contact=world["colleague"], subject="Grace's call")
    ActivityFactory(org=org, company=world["company"], subject="Company note")
    ActivityFactory(org=org, contact=ContactFactory(org=org), subject="Someone else")
    html = ui.get(f"/companies/{world['company'].typeid}/").content.decode()
    assert "Grace&#x27;s call" in html and "Company note" in html and "Someone else" not in html


def test_timeline_loads_more_on_scroll_with_keyset_pages(ui, org, world):
    contact = world["contact"]
    Activity.objects.bulk_create(
        [
            Activity(
                org=org,
                type="call",
                subject=f"Call {i:02}",
                contact=contact,
                occurred_at=NOW - datetime.timedelta(hours=i // 3),
            )
            for i in range(70)
        ]
    )
    html = ui.get(f"/contacts/{contact.typeid}/").content.decode()
    subjects = re.findall(r'<div class="fw-medium">(Call \d+)', html)
    while more := re.search(r'hx-get="([^"]+)" hx-trigger="revealed, click"', html):
        html = ui.get(more.group(1).replace("&amp;", "&"), headers={"HX-Request": "true"}).content.decode()
        assert "<html" not in html
        subjects += re.findall(r'<div class="fw-medium">(Call \d+)', html)
    expected = [
        a.subject
        for a in Activity.objects.for_org(org).filter(contact=contact).order_by("-occurred_at", "-id")
    ]
    assert subjects == expected
    assert ui.get(f"/contacts/{contact.typeid}/timeline/?before=forged").status_code == 404


def test_user_content_on_record_pages_is_escaped(ui, org, world):
    ActivityFactory(org=org, contact=world["contact"], deal=world["deal"], body="<script>alert('x')</script>")
    for url in record_urls(world):
        html = ui.get(url).content.decode()
        assert "<script>alert" not in html and "&lt;script&gt;alert" in html, url


@pytest.mark.parametrize("index", [0, 1, 2])
def test_record_pages_cost_constant_queries(ui, org, member, world, index):
    url = record_urls(world)[index]
    contact, deal, company = world["contact"], world["deal"], world["company"]
    one = page_queries(ui, url)
    Activity.objects.bulk_create(
        [
            Activity(org=org, type="email", contact=contact, deal=deal, company=company, owner=member)
            for _ in range(200)
        ]
    )
    Task.objects.bulk_create(
        [
            Task(org=org, title="t", contact=contact, deal=deal, company=company, owner=member)
            for _ in range(50)
        ]
    )
    Deal.objects.bulk_create(
        [
            Deal(
                org=org,
                pipeline=world["pipeline"],
                stage=world["stages"][0],
                name="d",
                contact=contact,
                company=company,
            )
            for _ in range(30)
        ]
    )
    for stage in world["stages"][2:4]:
        deal_move_stage(org=deal.org, deal=deal, stage=stage, actor=member)
    assert page_queries(ui, url) == one


def test_today_shows_my_tasks_activities_and_charts(ui, org, member, world):
    someone = UserFactory(org=org)
    with clock.frozen(NOW):
        TaskFactory(org=org, owner=member, title="Late one", due_at=NOW - datetime.timedelta(days=1))
        TaskFactory(org=org, owner=member, title="Later today", due_at=NOW + datetime.timedelta(hours=3))
        TaskFactory(org=org, owner=member, title="Next week", due_at=NOW + datetime.timedelta(days=7))
        TaskFactory(org=org, owner=someone, title="Not mine", due_at=NOW)
        ActivityFactory(
            org=org,
            owner=member,
            subject="My call",
            type="call",
            occurred_at=NOW - datetime.timedelta(hours=1),
        )
        ActivityFactory(
            org=org, owner=someone, type="call", occurred_at=NOW - datetime.timedelta(hours=2)
        )  # the team's: not in my chart
        html = ui.get("/").content.decode()
    chart = html[html.index('id="activities-per-week-title"') :]
    this_week = re.findall(r"<tr><th scope=\"row\">[^<]+</th>((?:<td>\d+</td>)+)</tr>", chart)[-1]
    assert this_week == "<td>0</td>" * 1 + "<td>1</td>" + "<td>0</td>" * 3 + "<td>1</td>"
    overdue, today, upcoming = html.index(">Overdue"), html.index(">Due today"), html.index(">Upcoming")
    assert (
        overdue
        < html.index("Late one")
        < today
        < html.index("Later today")
        < upcoming
        < html.index("Next week")
    )
    assert "Not mine" not in html and "My call" in html
    assert '<title id="pipeline-value-title">Pipeline value by stage' in html
    assert '<title id="activities-per-week-title">My activities per week, by type</title>' in html
    assert html.count('<table class="visually-hidden">') == 2
    assert "$48,000" in html


def test_today_costs_constant_queries(ui, org, member, world):
    one = page_queries(ui, "/")
    Activity.objects.bulk_create(
        [
            Activity(org=org, type="call", owner=member, occurred_at=NOW - datetime.timedelta(days=i % 50))
            for i in range(200)
        ]
    )
    Task.objects.bulk_create(
        [
            Task(org=org, title="t", owner=member, due_at=NOW + datetime.timedelta(days=i % 9 - 4))
            for i in range(200)
        ]
    )
    assert page_queries(ui, "/") == one


def test_search_ranks_contacts_companies_and_deals(ui, org, other_org, world):
    ContactFactory(org=org, first_name="Adalbert", last_name="Zed")
    ContactFactory(org=other_org, first_name="Ada", last_name="Lovelace")
    html = ui.get("/search/?q=Ada Lovelace").content.decode()
    assert html.count("data-result") == 1 and world["contact"].typeid in html
    html = ui.get("/search/?q=acme").content.decode()
    assert world["company"].typeid in html and world["deal"].typeid in html
    assert html.index(world["company"].typeid) < html.index(world["deal"].typeid)
    assert "No matches" in ui.get("/search/?q=zzzz").content.decode()
    assert "press <kbd>/</kbd>" in ui.get("/search/").content.decode()


def test_search_costs_constant_queries(ui, org):
    ContactFactory(org=org, first_name="Ann")
    one = page_queries(ui, "/search/?q=ann")
    for i in range(100):
        ContactFactory(org=org, first_name=f"Ann{i}", company=CompanyFactory(org=org, name=f"Ann Co {i}"))
    assert page_queries(ui, "/search/?q=ann") == one
