"""Pages and API routes for the search topic of the cases app."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []


def register_api(router: Any) -> None:
    """Register this topic's viewsets on the /api/v1/ router."""
