"""The web UI's top layer: sign-in, Today, global search, and the record pages (a contact, a
company, a deal), which show data from every app: deals, activities, tasks, stage history."""

import datetime
import uuid

from django.contrib.auth import views as auth_views
from django.core import signing
from django.db.models import Count, Sum
from django.db.models.functions import TruncWeek
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone

from activities.choices import ActivityType, TaskStatus
from activities.forms import LogActivityForm
from activities.models import Activity, Task
from activities.selectors import record_timeline
from contacts.filtersets import CompanyFilterSet, ContactFilterSet
from contacts.models import Company, Contact
from deals.choices import StageType
from deals.currencies import format_money
from deals.filtersets import DealFilterSet
from deals.models import Deal, DealStageChange, Pipeline, Stage
from rexcrm.core import clock
from rexcrm.core.api.lists import list_query
from rexcrm.core.views import OrgView, object_or_404
from rexcrm.workspace.charts import Bar, BarChart, Segment
from rexcrm.workspace.forms import SignInForm

TODAY_ROWS = 8
SEARCH_ROWS = 8
TIMELINE_ROWS = 25
CHART_WEEKS = 8
_TIMELINE_SALT = "rexcrm.timeline"


class LoginView(auth_views.LoginView):
    template_name = "workspace/login.html"
    authentication_form = SignInForm
    redirect_authenticated_user = True


class TodayView(OrgView):
    def get(self, request):
        now = timezone.localtime(clock.now())  # days and weeks are the member's (their time zone)
        end_of_day = now.replace(hour=0, minute=0, second=0, microsecond=0) + datetime.timedelta(days=1)
        mine = (
            Task.objects.for_org(self.org)
            .filter(owner=request.user, status=TaskStatus.PENDING)
            .select_related("contact", "deal")
            .order_by("due_at", "id")
        )
        me = request.user.typeid
        context = {
            "overdue": mine.filter(due_at__lt=now)[:TODAY_ROWS],
            "due_today": mine.filter(due_at__gte=now, due_at__lt=end_of_day)[:TODAY_ROWS],
            "upcoming": mine.filter(due_at__gte=end_of_day)[:TODAY_ROWS],
            "recent": Activity.objects.for_org(self.org)
            .filter(owner=request.user, occurred_at__lte=now)
            .select_related("contact", "deal")
            .order_by("-occurred_at", "-id")[:TODAY_ROWS],
            "my_tasks_url": f"{reverse('activities:task_list')}?owner_id={me}&status=pending",
            "my_activities_url": f"{reverse('activities:activity_list')}?owner_id={me}",
            "pipeline_chart": self.pipeline_chart(),
            "activity_chart": self.activity_chart(now, request.user),
        }
        return render(request, "workspace/today.html", context)

    def pipeline_chart(self) -> BarChart | None:
        """The default pipeline's value by stage, in the currency most of its deals use."""
        pipeline = Pipeline.objects.for_org(self.org).filter(is_default=True).first()
        if pipeline is None:
            return None
        stages = list(Stage.objects.for_org(self.org).filter(pipeline=pipeline).order_by("position"))
        rows = list(
            Deal.objects.for_org(self.org)
            .filter(pipeline=pipeline)
            .values("stage_id", "currency")
            .annotate(total=Sum("value"), count=Count("id"))
            .order_by()
        )
        counts: dict[str, int] = {}
        for row in rows:
            counts[row["currency"]] = counts.get(row["currency"], 0) + row["count"]
        currency = max(counts, key=counts.get, default="USD")
        totals = {row["stage_id"]: row["total"] for row in rows if row["currency"] == currency}
        bars = [
            Bar(
                stage.name,
                format_money(totals.get(stage.pk, 0), currency, whole=True),
                [Segment("value", totals.get(stage.pk, 0))],
                css=stage.type if stage.type != StageType.OPEN else "",
            )
            for stage in stages
        ]
        chart = BarChart(f"Pipeline value by stage ({pipeline.name}, {currency})", bars)
        chart.other_currencies = sorted(set(counts) - {currency})
        chart.pipeline = pipeline
        return chart

    def activity_chart(self, now, member) -> BarChart:
        """My activities per week (the last ``CHART_WEEKS``, this one included), by type: what
        a rep's Today is about, and a query over the rep's rows only (the owner index), so it
        costs the same in a team of 3 as in one of 300."""
        monday = (now - datetime.timedelta(days=now.weekday())).replace(
            hour=0, minute=0, second=0, microsecond=0
        )
        weeks = [monday - datetime.timedelta(weeks=n) for n in range(CHART_WEEKS - 1, -1, -1)]
        rows = (
            Activity.objects.for_org(self.org)
            .filter(owner=member, occurred_at__gte=weeks[0], occurred_at__lte=now)
            .annotate(week=TruncWeek("occurred_at"))
            .values("week", "type")
            .annotate(count=Count("id"))
            .order_by()
        )
        series = [
            (ActivityType.EMAIL, "Emails"),
            (ActivityType.CALL, "Calls"),
            (ActivityType.MEETING, "Meetings"),
            (ActivityType.NOTE, "Notes"),
            ("other", "Other"),
        ]
        named = {kind for kind, _ in series[:-1]}
        counts: dict = {}
        for row in rows:
            kind = row["type"] if row["type"] in named else "other"
            key = (row["week"].date(), kind)
            counts[key] = counts.get(key, 0) + row["count"]
        bars = []
        for week in weeks:
            segments = [Segment(kind, counts.get((week.date(), kind), 0)) for kind, _ in series]
            bars.append(Bar(week.strftime("%b %-d"), str(sum(s.value for s in segments)), segments))
        return BarChart("My activities per week, by type", bars, series=series)


def _searched(org) -> dict:
    """What global search looks through, by kind: (label, the organization's rows, FilterSet,
    the list's URL name)."""
    return {
        "contacts": (
            "Contacts",
            Contact.objects.for_org(org).select_related("company"),
            ContactFilterSet,
            "contacts:contact_list",
        ),
        "companies": ("Companies", Company.objects.for_org(org), CompanyFilterSet, "contacts:company_list"),
        "deals": (
            "Deals",
            Deal.objects.for_org(org).select_related("company", "stage"),
            DealFilterSet,
            "deals:deal_list",
        ),
    }


def _search(queryset, filterset, query: str):
    return list_query(queryset, {"search": query, "limit": str(SEARCH_ROWS)}, filterset).page()


class SearchView(OrgView):
    """Contacts, companies and deals matching ``q``, each ranked by its own list's search."""

    def get(self, request):
        query = request.GET.get("q", "").strip()
        groups = []
        if query:
            for label, queryset, filterset, list_name in _searched(self.org).values():
                page = _search(queryset, filterset, query)
                groups.append(
                    {"label": label, "rows": page.rows, "more": page.has_more, "list_name": list_name}
                )
        context = {"query": query, "groups": groups, "found": any(group["rows"] for group in groups)}
        return render(request, "workspace/search.html", context)


class SuggestView(OrgView):
    """``/suggest/<kind>/?<any name>=<text>``: the options of a form's link field (a contact,
    company or deal typed by name), as ``<option value="Name (id)">``, ranked by search."""

    def get(self, request, kind):
        if kind not in (searched := _searched(self.org)):
            raise Http404("Nothing to suggest here.")
        text = next((value.strip() for value in request.GET.values() if value.strip()), "")
        if text.endswith(")") and "(" in text:  # a chosen suggestion: search its name again
            text = text[: text.rindex("(")].strip()
        _, queryset, filterset, _ = searched[kind]
        rows = _search(queryset, filterset, text).rows if text else []
        return render(request, "workspace/_suggestions.html", {"rows": rows})


# -- record pages ----------------------------------------------------------------------------------


def _timeline_context(request, org, record, url: str) -> dict:
    """A page of the record's timeline; ``before`` (signed) continues an earlier one."""
    before = None
    if request.GET.get("before"):
        try:
            at, pk = signing.loads(request.GET["before"], salt=_TIMELINE_SALT)
            before = (datetime.datetime.fromisoformat(at), uuid.UUID(hex=pk))
        except (signing.BadSignature, ValueError, TypeError):
            raise Http404("No such page of this timeline.") from None
    page = record_timeline(org=org, record=record, before=before, limit=TIMELINE_ROWS)
    more_url = None
    if page.next_position:
        at, pk = page.next_position
        token = signing.dumps([at.isoformat(), pk.hex], salt=_TIMELINE_SALT)
        last_day = page.entries[-1].day.isoformat()
        more_url = f"{url}?before={token}&day={last_day}"
    return {
        "timeline": page.entries,
        "timeline_more_url": more_url,
        "previous_day": request.GET.get("day", ""),
    }


class RecordView(OrgView):
    """A record page (``/contacts/<id>/``) and its timeline's next pages
    (``/contacts/<id>/timeline/?before=…``, the page's ``#timeline`` partial)."""

    template_name = ""
    timeline_url_name = ""
    edit_url_name = ""
    fragment = False

    def get_queryset(self):
        raise NotImplementedError

    def get_context_data(self, record) -> dict:
        return {}

    def get(self, request, id):
        record = object_or_404(self.get_queryset(), id)
        timeline = _timeline_context(request, self.org, record, reverse(self.timeline_url_name, args=[id]))
        if self.fragment:
            return render(request, f"{self.template_name}#timeline", {"record": record, **timeline})
        context = {
            "record": record,
            **timeline,
            "edit_url": reverse(self.edit_url_name, args=[id]),
            "log_form": LogActivityForm(
                initial={"type": ActivityType.CALL, "occurred_at": clock.now(), **self.log_links(record)},
                org=self.org,
                request=request,
            ),
            **self.get_context_data(record),
        }
        return render(request, self.template_name, context)

    def log_links(self, record) -> dict:
        """What an activity logged on this page is linked to."""
        raise NotImplementedError


class ContactDetailView(RecordView):
    template_name = "workspace/contact_detail.html"
    timeline_url_name = "workspace:contact_timeline"
    edit_url_name = "contacts:contact_edit"

    def log_links(self, contact):
        return {"contact": contact}

    def get_queryset(self):
        return Contact.objects.for_org(self.org).select_related("company", "owner")

    def get_context_data(self, contact):
        return {
            "deals": Deal.objects.for_org(self.org)
            .filter(contact=contact)
            .select_related("stage")
            .order_by("-created_at")[:20],
            "open_tasks": Task.objects.for_org(self.org)
            .filter(contact=contact, status=TaskStatus.PENDING)
            .select_related("owner")
            .order_by("due_at", "id")[:20],
        }


class CompanyDetailView(RecordView):
    template_name = "workspace/company_detail.html"
    timeline_url_name = "workspace:company_timeline"
    edit_url_name = "contacts:company_edit"

    def log_links(self, company):
        return {"company": company}

    def get_queryset(self):
        return Company.objects.for_org(self.org).select_related("owner")

    def get_context_data(self, company):
        return {
            "contacts": Contact.objects.for_org(self.org)
            .filter(company=company)
            .order_by("last_name", "first_name", "id")[:50],
            "deals": Deal.objects.for_org(self.org)
            .filter(company=company)
            .select_related("stage", "contact")
            .order_by("-created_at")[:20],
        }


class DealDetailView(RecordView):
    template_name = "workspace/deal_detail.html"
    timeline_url_name = "workspace:deal_timeline"
    edit_url_name = "deals:deal_edit"

    def log_links(self, deal):
        return {"deal": deal, "contact": deal.contact}

    def get_queryset(self):
        return Deal.objects.for_org(self.org).select_related(
            "pipeline", "stage", "contact", "company", "owner"
        )

    def get_context_data(self, deal):
        stages = list(Stage.objects.for_org(self.org).filter(pipeline=deal.pipeline_id).order_by("position"))
        current = next((index for index, stage in enumerate(stages) if stage.pk == deal.stage_id), -1)
        history = list(
            DealStageChange.objects.for_org(self.org)
            .filter(deal_id=deal.pk)
            .select_related("changed_by")
            .order_by("changed_at", "id")
        )
        names = {stage.pk: stage.name for stage in stages}
        for change in history:
            change.from_stage_name = names.get(change.from_stage_id, "a deleted stage")
            change.to_stage_name = names.get(change.to_stage_id, "a deleted stage")
        return {
            "stages": [(stage, index < current, index == current) for index, stage in enumerate(stages)],
            "products": list(deal.products.order_by("name")),
            "history": history,
            "tasks": Task.objects.for_org(self.org)
            .filter(deal=deal)
            .select_related("owner")
            .order_by("status", "due_at", "id")[:20],
        }
