"""Pages of the protocols app: the protocol library and the standards editor."""

from __future__ import annotations

from typing import Any

from django.urls import path

from protocols import views

app_name = "protocols"
urlpatterns: list[Any] = [
    path("", views.ProtocolListView.as_view(), name="list"),
    path("new/", views.ProtocolCreateView.as_view(), name="create"),
    path("acknowledgments/", views.AcknowledgmentStatusView.as_view(), name="acknowledgments"),
    path("<int:pk>/", views.ProtocolDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.ProtocolUpdateView.as_view(), name="update"),
    path("<int:pk>/diff/", views.ProtocolDiffView.as_view(), name="diff"),
    path("<int:pk>/versions/new/", views.VersionCreateView.as_view(), name="version-create"),
    path("versions/<int:pk>/", views.VersionDetailView.as_view(), name="version-detail"),
    path("versions/<int:pk>/edit/", views.VersionUpdateView.as_view(), name="version-update"),
    path("versions/<int:pk>/adopt/", views.VersionAdoptView.as_view(), name="version-adopt"),
    path("versions/<int:pk>/retire/", views.VersionRetireView.as_view(), name="version-retire"),
    path("versions/<int:pk>/join/", views.VersionJoinView.as_view(), name="version-join"),
    path(
        "versions/<int:pk>/acknowledge/",
        views.VersionAcknowledgeView.as_view(),
        name="version-acknowledge",
    ),
    path("standards/", views.StandardsIndexView.as_view(), name="standards"),
    path("standards/holidays/", views.HolidayListView.as_view(), name="holidays"),
    path(
        "standards/holidays/<int:pk>/delete/",
        views.HolidayDeleteView.as_view(),
        name="holiday-delete",
    ),
    path("standards/sites/", views.ProtectedSiteListView.as_view(), name="sites"),
    path("standards/sites/new/", views.ProtectedSiteEditView.as_view(), name="site-create"),
    path(
        "standards/sites/<int:pk>/edit/", views.ProtectedSiteEditView.as_view(), name="site-update"
    ),
    path(
        "standards/sites/<int:pk>/delete/",
        views.ProtectedSiteDeleteView.as_view(),
        name="site-delete",
    ),
    path("standards/<slug:kind>/", views.StandardListView.as_view(), name="standard-list"),
    path("standards/<slug:kind>/new/", views.StandardCreateView.as_view(), name="standard-create"),
    path(
        "standards/<slug:kind>/<int:pk>/",
        views.StandardDetailView.as_view(),
        name="standard-detail",
    ),
    path(
        "standards/<slug:kind>/<int:pk>/supersede/",
        views.StandardSupersedeView.as_view(),
        name="standard-supersede",
    ),
    path(
        "standards/<slug:kind>/<int:pk>/end/",
        views.StandardEndView.as_view(),
        name="standard-end",
    ),
]


def register_api(router: Any) -> None:
    """Register this app's viewsets on the /api/v1/ router."""
    from protocols.api.views import register

    register(router)
