"""Pages and API routes for the release topic of the cases app."""

from __future__ import annotations

from typing import Any

from django.urls import path

from cases.views import release as views

urlpatterns: list[Any] = [
    path("release/plans/", views.PlanList.as_view(), name="release-plan-list"),
    path("release/plans/new/", views.PlanCreate.as_view(), name="release-plan-create"),
    path("release/plans/<int:pk>/", views.PlanDetail.as_view(), name="release-plan-detail"),
    path("release/plans/<int:pk>/edit/", views.PlanEdit.as_view(), name="release-plan-edit"),
    path("release/plans/<int:pk>/submit/", views.PlanSubmit.as_view(), name="release-plan-submit"),
    path(
        "release/plans/<int:pk>/withdraw/",
        views.PlanWithdraw.as_view(),
        name="release-plan-withdraw",
    ),
    path("release/plans/<int:pk>/refer/", views.PlanRefer.as_view(), name="release-plan-refer"),
    path(
        "release/plans/<int:pk>/home-investigation/",
        views.PlanHomeInvestigation.as_view(),
        name="release-plan-investigate",
    ),
    path(
        "release/plans/<int:pk>/restriction-check/",
        views.PlanRestrictionCheck.as_view(),
        name="release-plan-restriction-check",
    ),
    path(
        "release/plans/<int:pk>/release/", views.PlanRelease.as_view(), name="release-plan-release"
    ),
    path(
        "release/plans/<int:pk>/packet.pdf", views.PlanPacket.as_view(), name="release-plan-packet"
    ),
    path("release/board/", views.BoardQueue.as_view(), name="release-board-queue"),
    path("release/reviews/<int:pk>/", views.ReviewDetail.as_view(), name="release-review-detail"),
    path(
        "release/reviews/<int:pk>/hearing/",
        views.ReviewHearing.as_view(),
        name="release-review-hearing",
    ),
    path(
        "release/reviews/<int:pk>/decide/",
        views.ReviewDecide.as_view(),
        name="release-review-decide",
    ),
]


def register_api(router: Any) -> None:
    """Register this topic's viewsets on the /api/v1/ router."""
    from cases.api.release import BoardDecisionViewSet, ReleasePlanViewSet

    router.register("release-plans", ReleasePlanViewSet, basename="release-plan")
    router.register("board-decisions", BoardDecisionViewSet, basename="board-decision")
