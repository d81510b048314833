"""Base API classes every resource uses: restrict() on every read, 404 for the invisible,
re-check after writes, field allow-lists on output, refused writes to unpermitted fields.

A resource's viewset sets `queryset` and `serializer_class`; the serializer subclasses
`FieldLimitedSerializer` and names its `record_type`.

DRF trap: `DjangoObjectPermissions` lets any signed-in user GET any object. Here every method
maps to an action (GET/HEAD/OPTIONS → view, POST → add, PUT/PATCH/DELETE → change) and the
queryset is restricted by that action, so an object the caller may view but not change answers
404 to a write, before anything is saved. Reads are audited with the fields disclosed, and a
read by an agency other than the case's lead agency is also recorded as a dissemination.
Every resource gets a field-limited CSV export at `<prefix>/export/`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject
from rest_framework.response import Response
from rest_framework.settings import api_settings

from sartcm import audit
from sartcm.api.openapi import SafeWriteAutoSchema
from sartcm.api.pagination import SyncAwarePagination, UpdatedSinceFilter
from sartcm.api.safety import ETagMixin, IdempotentCreateMixin
from sartcm.exports import csv_response
from sartcm.models import AuditAction

ACTION_FOR_METHOD = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "change",
}


class IsActiveStaff(permissions.BasePermission):
    """Signed in, active, and linked to an active agency (or a superuser)."""

    def has_permission(self, request: Any, view: Any) -> bool:
        from agencies.querysets import staff_of

        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return user.is_superuser or staff_of(user) is not None


class FieldLimitedSerializer(serializers.ModelSerializer):
    """Renders only the fields the viewer may see; refuses writes naming other fields.

    `record_type`: the record type of the model. `always_fields`: structural fields shown to
    anyone with standing (ids, links). Every other field must appear in the allow-list.
    The case is found through `case_for(instance)` (default: `instance.case`).
    """

    record_type: str = ""
    always_fields: tuple[str, ...] = ("id",)

    def case_for(self, instance: Any) -> Any:
        return instance.case

    def _user(self) -> Any:
        request = self.context.get("request")
        return getattr(request, "user", None)

    def allowed(self, instance: Any) -> frozenset[str]:
        from cases.access import allowed_fields

        return allowed_fields(self._user(), self.case_for(instance), self.record_type)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        # DRF's loop over the readable fields, for the permitted ones only: a field the viewer
        # may not see is never computed, so a field-limited row costs what it shows.
        allowed = self.allowed(instance)
        always = self.always_fields
        data: dict[str, Any] = {}
        for field in self._readable_fields:
            name = field.field_name
            if name not in always and name not in allowed:
                continue
            try:
                attribute = field.get_attribute(instance)
            except SkipField:
                continue
            value = attribute.pk if isinstance(attribute, PKOnlyObject) else attribute
            data[name] = None if value is None else field.to_representation(attribute)
        return data

    def check_writable(
        self, case: Any, attrs: dict[str, Any], *, allowed: frozenset[str] | None = None
    ) -> None:
        """Refuse (400, audited) a write naming a field the caller may not write.

        `allowed` overrides the allow-list (for records that are not under one case)."""
        from cases.access import allowed_fields

        if allowed is None:
            allowed = allowed_fields(self._user(), case, self.record_type)
        forbidden = sorted(
            name
            for name in self.initial_data
            if name not in allowed and name not in self.always_fields
        )
        if forbidden:
            audit.record_refusal(
                self._user(),
                case_id=getattr(case, "pk", None),
                object_type=self.Meta.model._meta.label_lower,
                fields=forbidden,
                detail="write to fields not permitted by the caller's MOU terms",
            )
            raise ValidationError(
                {
                    name: ["You may not write this field (not shared with your agency)."]
                    for name in forbidden
                }
            )


class RestrictedViewSet(IdempotentCreateMixin, ETagMixin, viewsets.ModelViewSet):
    """restrict(user, action) for every request; objects outside it answer 404.

    Lists, details and exports are audited as reads with the fields disclosed (and as
    disseminations when the reader's agency is not the case's lead agency).
    """

    permission_classes = [IsActiveStaff]
    audit_reads = True
    export_limit = 10_000
    # Ordering by a field the caller may not see would leak it: widen deliberately per viewset.
    ordering_fields = ["id"]
    # Incremental sync: `?updated_since=` on every list, walked by a (updated_at, id) cursor.
    filter_backends = [*api_settings.DEFAULT_FILTER_BACKENDS, UpdatedSinceFilter]
    pagination_class = SyncAwarePagination
    schema = SafeWriteAutoSchema()  # documents Idempotency-Key, If-Match, ETag, problem+json

    def restrict_action(self) -> str:
        return ACTION_FOR_METHOD.get(self.request.method or "GET", "view")

    def get_queryset(self) -> Any:
        # restrict the declared queryset (keeps its select_related/prefetch_related)
        queryset = (
            self.queryset.all()
            .restrict(self.request.user, self.restrict_action())
            .order_by(
                *(self.queryset.query.order_by or self.queryset.model._meta.ordering or ["pk"])
            )
        )
        if self.request.method in permissions.SAFE_METHODS and self.action in (
            "retrieve",
            "export",
        ):
            columns = self.row_columns()
            if columns:
                queryset = queryset.annotate(**columns)
        return queryset

    def row_columns(self) -> dict[str, Any]:
        """Annotations that reads show per row instead of loading related objects (a name
        for a staff member and its user, a list for a prefetch; docs/performance.md, design
        change 19). One record and the export get them in their query; a list page gets them
        in the query that fetches its rows, after its ids are picked and counted
        (sartcm.api.pagination)."""
        return {}

    def audit_case_ids(self, obj: Any) -> list[int] | None:
        """Cases through which `obj` is disclosed (default: its own case)."""
        return None

    def prepare_page(self, objects: list[Any]) -> None:
        """Before serializing: load case-team membership for every case of the page in one
        query, so field allow-lists cost the same for 5 rows as for 50 (none for the cases
        the viewer's agency leads)."""
        from cases.access import prefetch_assignments

        case_lists, self._page_case_owners = audit.page_cases(objects, self.audit_case_ids)
        case_ids = sorted({cid for ids in case_lists for cid in ids})
        if case_ids:
            prefetch_assignments(self.request.user, case_ids, self._page_case_owners)

    def audit_disclosure(self, action: str, objects: list[Any], rows: list[dict]) -> None:
        if not self.audit_reads or not objects:
            return
        fields = [[k for k in row if k != "id"] for row in rows]
        audit.record_disclosure(
            self.request.user,
            action,
            objects,
            fields_by_object=fields,
            case_ids_by_object=[self.audit_case_ids(obj) for obj in objects],
            known_owners=getattr(self, "_page_case_owners", None),
        )

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        objects = list(page) if page is not None else list(queryset)
        self.prepare_page(objects)
        data = self.get_serializer(objects, many=True).data
        self.audit_disclosure(AuditAction.LIST, objects, list(data))
        if page is not None:
            return self.get_paginated_response(data)
        return Response(data)

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()  # within restrict(user, "view"): invisible -> 404
        self._etag_instance = instance
        self.prepare_page([instance])
        data = self.get_serializer(instance).data
        self.audit_disclosure(AuditAction.VIEW, [instance], [data])
        return Response(data)

    def update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        """Update under a row lock; a stale If-Match answers 412 and changes nothing."""
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.locked_object()  # within restrict(user, "change"): else 404
            self.check_if_match(instance)
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            self.perform_update(serializer)
        self._etag_instance = serializer.instance
        return Response(serializer.data)

    def destroy(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            instance = self.locked_object()
            self.check_if_match(instance)
            self.perform_destroy(instance)
        return Response(status=204)

    @extend_schema(
        summary="Export as CSV (only the fields you may see)",
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    @action(detail=False, methods=["get"], url_path="export")
    def export(self, request: Any) -> HttpResponse:
        """The filtered list as CSV, field-limited like the API and audited as an export."""
        queryset = self.filter_queryset(self.get_queryset())[: self.export_limit]
        objects = list(queryset)
        self.prepare_page(objects)
        rows = list(self.get_serializer(objects, many=True).data)
        header: list[str] = []
        for row in rows:
            header.extend(k for k in row if k not in header)
        self.audit_disclosure(AuditAction.EXPORT, objects, rows)
        name = self.queryset.model._meta.model_name
        return csv_response(
            f"{name}-export.csv", header, ([row.get(k, "") for k in header] for row in rows)
        )

    def perform_create(self, serializer: Any) -> None:
        with transaction.atomic():
            instance = serializer.save()
            self.recheck_scope(instance, "add")
            audit.record(
                self.request.user, AuditAction.CREATE, instance, changes={"after": serializer.data}
            )

    def perform_update(self, serializer: Any) -> None:
        extra = {}
        if hasattr(serializer.instance, "version"):
            extra["version"] = serializer.instance.version + 1  # safe: the row is locked
        with transaction.atomic():
            before = type(serializer)(serializer.instance, context=serializer.context).data
            instance = serializer.save(**extra)
            self.recheck_scope(instance, "change")
            audit.record(
                self.request.user,
                AuditAction.CHANGE,
                instance,
                changes={"before": before, "after": serializer.data},
            )

    def perform_destroy(self, instance: Any) -> None:
        with transaction.atomic():
            audit.record(self.request.user, AuditAction.DELETE, instance)
            instance.delete()

    def recheck_scope(self, instance: Any, action: str) -> None:
        """After a write, inside the same transaction: still in the user's scope, or roll back."""
        model = type(instance)
        if not model.objects.restrict(self.request.user, action).filter(pk=instance.pk).exists():
            raise Http404  # the atomic block rolls back
