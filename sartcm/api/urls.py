"""The /api/v1/ router: each app (and each cases topic) registers its viewsets."""

from rest_framework.routers import DefaultRouter

import agencies.urls
import cases.urls
import mou.urls
import protocols.urls

router = DefaultRouter()
for module in (agencies.urls, protocols.urls, mou.urls, cases.urls):
    module.register_api(router)

urlpatterns = router.urls
