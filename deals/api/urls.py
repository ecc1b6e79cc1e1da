from django.urls import re_path

from deals.api.views import (
    CompanyDealViewSet,
    ContactDealViewSet,
    DealHistoryViewSet,
    DealViewSet,
    PipelineDealViewSet,
    PipelineViewSet,
    ProductViewSet,
)
from rexcrm.core.api.routers import Router

router = Router()
router.register("pipelines", PipelineViewSet, basename="pipeline")
router.register("deals", DealViewSet, basename="deal")
router.register("products", ProductViewSet, basename="product")

_LIST = {"get": "list"}

urlpatterns = [
    re_path(r"^pipelines/(?P<id>[^/]+)/deals/?$", PipelineDealViewSet.as_view(_LIST), name="pipeline-deals"),
    re_path(r"^deals/(?P<id>[^/]+)/history/?$", DealHistoryViewSet.as_view(_LIST), name="deal-history"),
    re_path(r"^contacts/(?P<id>[^/]+)/deals/?$", ContactDealViewSet.as_view(_LIST), name="contact-deals"),
    re_path(r"^companies/(?P<id>[^/]+)/deals/?$", CompanyDealViewSet.as_view(_LIST), name="company-deals"),
    *router.urls,
]
