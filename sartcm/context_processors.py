"""Template context: the signed-in person's staff record and agency."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from agencies.querysets import staff_of


def staff(request: HttpRequest) -> dict[str, Any]:
    member = staff_of(getattr(request, "user", None))
    return {"current_staff": member, "current_agency": member.agency if member else None}
