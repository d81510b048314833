"""Pages and API routes for the contacts topic of the cases app: supervision contacts,
contact-standard compliance, treatment and polygraph."""

from __future__ import annotations

from typing import Any

from django.urls import path

from cases.views import contacts as views

urlpatterns: list[Any] = [
    path("caseload/", views.CaseloadView.as_view(), name="caseload"),
    path("<int:case_pk>/contacts/", views.CaseContactsView.as_view(), name="case-contacts"),
    path("<int:case_pk>/contacts/add/", views.ContactCreateView.as_view(), name="contact-add"),
    path("<int:case_pk>/treatment/", views.CaseTreatmentView.as_view(), name="case-treatment"),
    path(
        "<int:case_pk>/treatment/enroll/",
        views.EnrollmentCreateView.as_view(),
        name="treatment-enroll",
    ),
    path(
        "<int:case_pk>/treatment/<int:enrollment_pk>/discharge/",
        views.EnrollmentDischargeView.as_view(),
        name="treatment-discharge",
    ),
    path(
        "<int:case_pk>/treatment/<int:enrollment_pk>/reports/add/",
        views.TreatmentReportCreateView.as_view(),
        name="treatment-report-add",
    ),
    path("<int:case_pk>/polygraph/", views.CasePolygraphView.as_view(), name="case-polygraph"),
    path("<int:case_pk>/polygraph/add/", views.PolygraphCreateView.as_view(), name="polygraph-add"),
]


def register_api(router: Any) -> None:
    """Register this topic's viewsets on the /api/v1/ router."""
    from cases.api import contacts as api

    router.register("contacts", api.SupervisionContactViewSet, basename="contact")
    router.register(
        "treatment-enrollments", api.TreatmentEnrollmentViewSet, basename="treatment-enrollment"
    )
    router.register("treatment-reports", api.TreatmentReportViewSet, basename="treatment-report")
    router.register("polygraph-exams", api.PolygraphExamViewSet, basename="polygraph-exam")
    router.register("case-compliance", api.CaseComplianceViewSet, basename="case-compliance")
