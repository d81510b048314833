"""Pages and API routes for the search topic of the cases app."""

from __future__ import annotations

from typing import Any

from django.urls import path

from cases.views import search as views

urlpatterns: list[Any] = [
    path("search/", views.SearchView.as_view(), name="search"),
]


def register_api(router: Any) -> None:
    """Register this topic's viewsets on the /api/v1/ router."""
    router.register("search", views.SearchViewSet, basename="search")
