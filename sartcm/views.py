"""Site-wide pages: the dashboard and health check.

The dashboard composes role panels. A panel is a small function returning its template context,
registered with `@dashboard_panel(...)` in an app's `dashboard.py` (found like admin.py, by
autodiscovery, so sartcm imports no domain app). A person sees every panel one of their roles
is listed for, in `order`. Panels restrict their own data (restrict(), field allow-lists) and
keep a constant number of queries whatever the number of cases.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.module_loading import autodiscover_modules

from agencies.querysets import staff_of

PanelBuilder = Callable[[HttpRequest, Any], dict[str, Any]]


@dataclass(frozen=True)
class Panel:
    """One dashboard panel: who sees it, how to build its context, how to render it."""

    key: str
    title: str
    roles: frozenset[str]
    template: str
    build: PanelBuilder
    order: int = 100


_PANELS: dict[str, Panel] = {}


def dashboard_panel(
    key: str, title: str, roles: set[str] | frozenset[str], template: str, order: int = 100
) -> Callable[[PanelBuilder], PanelBuilder]:
    """Register `build(request, staff) -> context` as the panel `key` for `roles`."""

    def register(build: PanelBuilder) -> PanelBuilder:
        _PANELS[key] = Panel(key, title, frozenset(roles), template, build, order)
        return build

    return register


@cache
def _discover() -> None:
    autodiscover_modules("dashboard")


def panels_for(staff: Any) -> list[Panel]:
    """The panels for a staff member's roles, in order."""
    _discover()
    if staff is None:
        return []
    return sorted(
        (p for p in _PANELS.values() if staff.has_role(*p.roles)), key=lambda p: (p.order, p.key)
    )


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Each of the person's role panels: what is due first, queues and overviews."""
    staff = staff_of(request.user)
    panels = [{"panel": panel, "data": panel.build(request, staff)} for panel in panels_for(staff)]
    return render(request, "dashboard.html", {"panels": panels})


def healthz(request: HttpRequest) -> JsonResponse:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
