"""Incremental sync for agency systems (protocol: docs/api.md, "Incremental sync").

- `UpdatedSinceFilter`: every RestrictedViewSet list accepts `?updated_since=<ISO date-time>`;
  it keeps rows with `updated_at >= updated_since` and switches the list to the keyset
  cursor of sartcm.api.pagination (ordered by updated_at, id).
- `RemovedViewSet` (`/api/v1/sync/removed/?since=…&record_type=…`): what the caller's system
  must drop — deleted objects its agency could see, and cases whose record type its agency
  lost (revoked MOU terms): see sartcm.tombstones.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import ValidationError

from agencies.choices import RecordType
from sartcm.api.pagination import (  # noqa: F401 - UpdatedSinceFilter re-exported
    UPDATED_SINCE,
    SyncCursorPagination,
    UpdatedSinceFilter,
    parse_instant,
)
from sartcm.api.viewsets import IsActiveStaff
from sartcm.models import SyncTombstone, TombstoneReason
from sartcm.tombstones import visible_tombstones


def resource_for_model() -> dict[str, str]:
    """Model label -> the /api/v1/ collection that lists it (from the router)."""
    from sartcm.api.urls import router

    mapping: dict[str, str] = {}
    for prefix, viewset, _basename in router.registry:
        queryset = getattr(viewset, "queryset", None)
        serializer = getattr(viewset, "serializer_class", None)
        model = getattr(getattr(serializer, "Meta", None), "model", None)
        # Only collections that render the model itself (not, e.g., computed compliance).
        if queryset is not None and model is not None and queryset.model is model:
            mapping.setdefault(model._meta.label_lower, prefix)
    return mapping


class TombstoneSerializer(serializers.ModelSerializer):
    """One thing to drop: an object (`deleted`), or every `record_type` row of a case
    (`revoked`)."""

    resource = serializers.SerializerMethodField(
        help_text="The /api/v1/ collection the deleted object was listed in (null if none, "
        "and for revocations)."
    )
    reason = serializers.ChoiceField(choices=TombstoneReason.choices)
    record_type = serializers.ChoiceField(choices=RecordType.choices)

    class Meta:
        model = SyncTombstone
        fields = [
            "id",
            "reason",
            "record_type",
            "object_type",
            "object_id",
            "resource",
            "case_id",
            "at",
        ]
        read_only_fields = fields  # always present in a response

    def get_resource(self, obj: SyncTombstone) -> str | None:
        if obj.reason == TombstoneReason.REVOKED:
            return None  # not one object: every `record_type` record of the case
        mapping = self.context.setdefault("resources", resource_for_model())
        return mapping.get(obj.object_type)


DELETED_EXAMPLE = {
    "id": 812,
    "reason": "deleted",
    "record_type": "contacts",
    "object_type": "cases.supervisioncontact",
    "object_id": 4411,
    "resource": "contacts",
    "case_id": 57,
    "at": "2026-03-01T16:02:11.204311-06:00",
}
REVOKED_EXAMPLE = {
    "id": 813,
    "reason": "revoked",
    "record_type": "treatment",
    "object_type": "cases.case",
    "object_id": 61,
    "resource": None,
    "case_id": 61,
    "at": "2026-03-02T02:00:03.877120-06:00",
}


class RemovedPagination(SyncCursorPagination):
    def __init__(self) -> None:
        super().__init__(field="at")


class RemovedViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """What your system must drop from its copy since an instant: objects deleted on cases your
    agency had standing on (`reason: deleted`, drop that object), and cases whose record type
    your agency can no longer see (`reason: revoked`, drop every record of `record_type` on
    `case_id`). Only record types your role and key scopes may view are listed."""

    permission_classes = [IsActiveStaff]
    serializer_class = TombstoneSerializer
    queryset = SyncTombstone.objects.none()
    filter_backends: list[Any] = []
    pagination_class = RemovedPagination

    def get_queryset(self) -> Any:
        params = self.request.query_params
        raw = params.get("since")
        if not raw:
            raise ValidationError(
                {"since": ["Required: the `next_since` of your last sync (ISO 8601)."]}
            )
        since = parse_instant(raw, "since")
        self.paginator.since = since
        queryset = visible_tombstones(self.request.user).filter(at__gte=since)
        wanted = [rt for value in params.getlist("record_type") for rt in value.split(",") if rt]
        unknown = sorted(set(wanted) - set(RecordType.values))
        if unknown:
            raise ValidationError(
                {"record_type": [f"Unknown {unknown}; choose from {', '.join(RecordType.values)}."]}
            )
        if wanted:
            queryset = queryset.filter(record_type__in=wanted)
        return queryset

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "since",
                OpenApiTypes.DATETIME,
                required=True,
                description="The `next_since` of your previous sync (ISO 8601).",
            ),
            OpenApiParameter(
                "record_type",
                OpenApiTypes.STR,
                enum=RecordType.values,
                many=True,
                explode=True,
                description="Only these record types (repeat the parameter or separate with commas).",
            ),
        ],
        examples=[
            OpenApiExample("A deleted contact", value=DELETED_EXAMPLE, response_only=True),
            OpenApiExample("A revoked record type", value=REVOKED_EXAMPLE, response_only=True),
        ],
    )
    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # Not audited as a read: a tombstone holds ids only, no case data.
        return super().list(request, *args, **kwargs)
