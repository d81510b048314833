"""Pages and API routes for the alerts topic of the cases app."""

from __future__ import annotations

from typing import Any

from django.urls import path

from cases.views import alerts as views

urlpatterns: list[Any] = [
    path("alerts/", views.AlertInboxView.as_view(), name="alert-inbox"),
    path(
        "alerts/<int:pk>/acknowledge/",
        views.AlertAcknowledgeView.as_view(),
        name="alert-acknowledge",
    ),
    path("alerts/<int:pk>/resolve/", views.AlertResolveView.as_view(), name="alert-resolve"),
]


def register_api(router: Any) -> None:
    """Register this topic's viewsets on the /api/v1/ router."""
    from cases.api.alerts import AlertViewSet

    router.register("alerts", AlertViewSet, basename="alert")
