"""Pages of the agencies app."""

from __future__ import annotations

from typing import Any

app_name = "agencies"
urlpatterns: list[Any] = []


def register_api(router: Any) -> None:
    """Register this app's viewsets on the /api/v1/ router."""
