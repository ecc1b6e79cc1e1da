from django.urls import re_path

from activities.api.task_views import CompanyTaskViewSet, ContactTaskViewSet, DealTaskViewSet, TaskViewSet
from rexcrm.core.api.routers import Router

router = Router()
router.register("tasks", TaskViewSet, basename="task")

_LIST = {"get": "list"}

urlpatterns = [
    re_path(r"^contacts/(?P<id>[^/]+)/tasks/?$", ContactTaskViewSet.as_view(_LIST), name="contact-tasks"),
    re_path(r"^deals/(?P<id>[^/]+)/tasks/?$", DealTaskViewSet.as_view(_LIST), name="deal-tasks"),
    re_path(r"^companies/(?P<id>[^/]+)/tasks/?$", CompanyTaskViewSet.as_view(_LIST), name="company-tasks"),
    *router.urls,
]
