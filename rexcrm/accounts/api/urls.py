from rexcrm.accounts.api.views import ApiKeyViewSet, UserViewSet
from rexcrm.core.api.routers import Router

router = Router()
router.register("users", UserViewSet, basename="user")
router.register("apikeys", ApiKeyViewSet, basename="apikey")

urlpatterns = router.urls
