from contacts.api.views import CompanyContactViewSet, CompanyViewSet, ContactViewSet
from rexcrm.core.api.routers import Router

router = Router()
router.register("contacts", ContactViewSet, basename="contact")
router.register("companies", CompanyViewSet, basename="company")
router.register(
    r"companies/(?P<company_id>[^/]+)/contacts", CompanyContactViewSet, basename="company-contact"
)

urlpatterns = router.urls
