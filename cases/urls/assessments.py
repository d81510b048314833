"""Pages and API routes for the assessments topic of the cases app (assessments, supervision
levels, the case plan)."""

from __future__ import annotations

from typing import Any

from django.urls import path

from cases.api import assessments as api
from cases.views import assessments as views

urlpatterns: list[Any] = [
    path("assessments/due/", views.AssessmentsDueView.as_view(), name="assessments-due"),
    path(
        "<int:case_pk>/assessments/",
        views.CaseAssessmentListView.as_view(),
        name="assessment-list",
    ),
    path(
        "<int:case_pk>/assessments/new/",
        views.AssessmentCreateView.as_view(),
        name="assessment-create",
    ),
    path(
        "<int:case_pk>/assessments/preview/",
        views.AssessmentPreviewView.as_view(),
        name="assessment-preview",
    ),
    path("assessments/<int:pk>/", views.AssessmentDetailView.as_view(), name="assessment-detail"),
    path(
        "assessments/<int:pk>/override/",
        views.AssessmentOverrideView.as_view(),
        name="assessment-override",
    ),
    path("assessments/<int:pk>/void/", views.AssessmentVoidView.as_view(), name="assessment-void"),
    path(
        "assessments/<int:pk>/goals/",
        views.GoalsFromNeedsView.as_view(),
        name="assessment-goals",
    ),
    path("<int:case_pk>/case-plan/", views.CasePlanView.as_view(), name="caseplan"),
    path(
        "<int:case_pk>/case-plan/new/",
        views.GoalCreateView.as_view(),
        name="caseplan-goal-create",
    ),
    path(
        "case-plan/goals/<int:pk>/",
        views.GoalDetailView.as_view(),
        name="caseplan-goal-detail",
    ),
    path(
        "case-plan/goals/<int:pk>/edit/",
        views.GoalUpdateView.as_view(),
        name="caseplan-goal-edit",
    ),
    path(
        "case-plan/goals/<int:pk>/notes/",
        views.ProgressNoteCreateView.as_view(),
        name="caseplan-goal-note",
    ),
]


def register_api(router: Any) -> None:
    """Register this topic's viewsets on the /api/v1/ router."""
    router.register("instruments", api.InstrumentViewSet, basename="instrument")
    router.register("assessments", api.RiskAssessmentViewSet, basename="assessment")
    router.register("case-plan-goals", api.CasePlanGoalViewSet, basename="case-plan-goal")
