"""Pages and API routes for the registration topic of the cases app."""

from __future__ import annotations

from typing import Any

from django.urls import path

from cases.views import registration as views

urlpatterns: list[Any] = [
    path("registration/", views.RegistrationWorkListView.as_view(), name="registration-worklist"),
    path(
        "registration/<int:pk>/",
        views.RegistrationDetailView.as_view(),
        name="registration-detail",
    ),
    path(
        "registration/<int:pk>/reports/new/",
        views.EventCreateView.as_view(),
        name="registration-event-add",
    ),
    path(
        "registration/<int:pk>/checks/new/",
        views.VerificationCreateView.as_view(),
        name="registration-verification-add",
    ),
    path(
        "registration/<int:pk>/status/",
        views.StatusChangeView.as_view(),
        name="registration-status",
    ),
    path(
        "<int:case_pk>/registration/",
        views.CaseRegistrationListView.as_view(),
        name="registration-case",
    ),
    path(
        "<int:case_pk>/registration/new/",
        views.RegistrationCreateView.as_view(),
        name="registration-add",
    ),
]


def register_api(router: Any) -> None:
    """Register this topic's viewsets on the /api/v1/ router."""
    from cases.api.registration import (
        AddressVerificationViewSet,
        RegistrationEventViewSet,
        RegistrationRecordViewSet,
    )

    router.register("registrations", RegistrationRecordViewSet, basename="registration")
    router.register("registration-events", RegistrationEventViewSet, basename="registration-event")
    router.register(
        "address-verifications", AddressVerificationViewSet, basename="address-verification"
    )
