"""Pages and API routes for the reports topic of the cases app."""

from __future__ import annotations

from typing import Any

from django.urls import path

from cases.views import reports as views

urlpatterns: list[Any] = [
    path("reports/", views.ReportIndexView.as_view(), name="report-index"),
    path("reports/exports/<uuid:pk>/", views.ExportStatusView.as_view(), name="report-export"),
    path(
        "reports/exports/<uuid:pk>/download/",
        views.ExportDownloadView.as_view(),
        name="report-export-download",
    ),
    path("reports/<slug:report>/", views.ReportView.as_view(), name="report"),
    path(
        "reports/<slug:report>/export/",
        views.ExportCreateView.as_view(),
        name="report-export-create",
    ),
    path(
        "reports/<slug:report>/<slug:table>.csv", views.ReportCSVView.as_view(), name="report-csv"
    ),
]


def register_api(router: Any) -> None:
    """Register this topic's viewsets on the /api/v1/ router."""
