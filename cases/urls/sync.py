"""API routes for incremental sync and bulk import (no pages)."""

from __future__ import annotations

from typing import Any

urlpatterns: list[Any] = []


def register_api(router: Any) -> None:
    """Register this topic's viewsets on the /api/v1/ router."""
    from cases.api.bulk import BulkContactViewSet
    from cases.api.bulk_registration import BulkRegistrationEventViewSet
    from sartcm.api.sync import RemovedViewSet

    router.register("sync/removed", RemovedViewSet, basename="sync-removed")
    router.register("bulk/contacts", BulkContactViewSet, basename="bulk-contact")
    router.register(
        "bulk/registration-events", BulkRegistrationEventViewSet, basename="bulk-registration-event"
    )
