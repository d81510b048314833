"""URLs of the cases app, one module per topic so topics can grow independently."""

from __future__ import annotations

from typing import Any

from cases.urls import (
    access,
    alerts,
    assessments,
    contacts,
    registration,
    release,
    reports,
    search,
    sync,
)

TOPICS = (access, assessments, contacts, release, registration, alerts, search, reports, sync)

urlpatterns: list[Any] = [pattern for topic in TOPICS for pattern in topic.urlpatterns]


def register_api(router: Any) -> None:
    for topic in TOPICS:
        topic.register_api(router)
