"""URL configuration: pages per app, the REST API under /api/v1/, schema and docs."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from sartcm import views
from sartcm.security import views as security_views

api_v1 = [
    path("", include("sartcm.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Split view: the init script is served as a file, so the CSP needs no inline script.
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api-schema"), name="api-redoc"),
]

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    # The two-step logon (banner, password, second factor): sartcm.security.
    path("login/", security_views.LogonView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("security/", include("sartcm.security.urls")),
    path("api/v1/", include(api_v1)),
    path("integrations/", include("sartcm.integrations")),
    path("agencies/", include("agencies.urls")),
    path("protocols/", include("protocols.urls")),
    path("mous/", include("mou.urls")),
    path("cases/", include(("cases.urls", "cases"), namespace="cases")),
]

# Pages keep Django's 404 handler (templates/404.html); under /api/ errors are problem+json
# (sartcm.api.errors.ProblemResponseMiddleware, and this handler for a failure outside it).
handler500 = "sartcm.api.errors.server_error"
