"""Pages and API routes for the access topic of the cases app."""

from __future__ import annotations

from typing import Any

from django.urls import path

from cases.views import access as views

urlpatterns: list[Any] = [
    path("", views.CaseListView.as_view(), name="case_list"),
    path("audit/", views.AgencyAuditView.as_view(), name="audit_trail"),
    path("<int:pk>/", views.CaseDetailView.as_view(), name="case_detail"),
    path("<int:pk>/access/", views.CaseAccessView.as_view(), name="case_access"),
    path("<int:pk>/audit/", views.CaseAuditView.as_view(), name="case_audit"),
]


def register_api(router: Any) -> None:
    """Register this topic's viewsets on the /api/v1/ router."""
    from cases.api import access as api

    router.register("cases", api.CaseViewSet, basename="case")
    router.register("offenders", api.OffenderViewSet, basename="offender")
    router.register("case-team", api.CaseTeamViewSet, basename="case-team")
