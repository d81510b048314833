"""Pages of the agencies app: directories and specialized training."""

from __future__ import annotations

from typing import Any

from django.urls import path

from agencies import views

app_name = "agencies"
urlpatterns: list[Any] = [
    path("", views.AgencyDirectoryView.as_view(), name="list"),
    path("staff/", views.StaffDirectoryView.as_view(), name="staff"),
    path("training/", views.MyTrainingView.as_view(), name="my-training"),
    path(
        "training/compliance/", views.TrainingComplianceView.as_view(), name="training-compliance"
    ),
    path("training/records/", views.TrainingRecordListView.as_view(), name="training-records"),
    path(
        "training/records/new/",
        views.TrainingRecordCreateView.as_view(),
        name="training-record-create",
    ),
    path(
        "training/records/<int:pk>/evidence/",
        views.TrainingEvidenceView.as_view(),
        name="training-evidence",
    ),
    path("training/courses/", views.CourseListView.as_view(), name="courses"),
    path("training/courses/new/", views.CourseEditView.as_view(), name="course-create"),
    path("training/courses/<int:pk>/edit/", views.CourseEditView.as_view(), name="course-update"),
    path(
        "training/requirements/new/",
        views.RequirementCreateView.as_view(),
        name="requirement-create",
    ),
    path(
        "training/requirements/<int:pk>/delete/",
        views.RequirementDeleteView.as_view(),
        name="requirement-delete",
    ),
]


def register_api(router: Any) -> None:
    """Register this app's viewsets on the /api/v1/ router."""
    from agencies.api.views import register

    register(router)
