from django.urls import reverse

from rexcrm.core import clock

NAV = [
    ("Today", "workspace:today", "/"),
    ("Contacts", "contacts:contact_list", "/contacts/"),
    ("Companies", "contacts:company_list", "/companies/"),
    ("Deals", "deals:deal_list", "/deals/"),
    ("Pipelines", "deals:pipeline_board", "/pipelines/"),
    ("Activities", "activities:activity_list", "/activities/"),
    ("Tasks", "activities:task_list", "/tasks/"),
]


def shell(request):
    """The shell's navigation (for members of an organization), the search box's text, and now."""
    user = getattr(request, "user", None)
    nav = []
    if user is not None and user.is_authenticated and user.org_id:
        for label, name, prefix in NAV:
            active = request.path == "/" if prefix == "/" else request.path.startswith(prefix)
            nav.append({"label": label, "url": reverse(name), "active": active})
    query = request.GET.get("q", "") if request.path == "/search/" else ""
    return {"nav": nav, "search_query": query, "now": clock.now()}
