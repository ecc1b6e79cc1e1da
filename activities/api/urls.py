from django.urls import re_path

from activities.api.views import (
    ActivityBatchViewSet,
    ActivityViewSet,
    CaptureView,
    CompanyActivityViewSet,
    CompanyTaskViewSet,
    ContactActivityViewSet,
    ContactTaskViewSet,
    DealActivityViewSet,
    DealTaskViewSet,
    TaskViewSet,
)
from rexcrm.core.api.routers import Router

router = Router()
router.register("activities", ActivityViewSet, basename="activity")
router.register(
    r"contacts/(?P<contact_id>[^/]+)/activities", ContactActivityViewSet, basename="contact-activity"
)
router.register(
    r"companies/(?P<company_id>[^/]+)/activities", CompanyActivityViewSet, basename="company-activity"
)
router.register(r"deals/(?P<deal_id>[^/]+)/activities", DealActivityViewSet, basename="deal-activity")
router.register("tasks", TaskViewSet, basename="task")
router.register(r"contacts/(?P<contact_id>[^/]+)/tasks", ContactTaskViewSet, basename="contact-task")
router.register(r"companies/(?P<company_id>[^/]+)/tasks", CompanyTaskViewSet, basename="company-task")
router.register(r"deals/(?P<deal_id>[^/]+)/tasks", DealTaskViewSet, basename="deal-task")

urlpatterns = [
    re_path(r"^capture/?$", CaptureView.as_view(), name="capture"),
    # Before the router's activities/<id> route, which would take "batch" for an id.
    re_path(r"^activities/batch/?$", ActivityBatchViewSet.as_view({"post": "create"}), name="activity-batch"),
    *router.urls,
]
