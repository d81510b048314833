"""Base API classes every resource uses: restrict() on every read, 404 for the invisible,
re-check after writes, field allow-lists on output, refused writes to unpermitted fields.

A resource's viewset sets `queryset` and `serializer_class`; the serializer subclasses
`FieldLimitedSerializer` and names its `record_type`.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import Http404
from rest_framework import permissions, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings

from sartcm import audit
from sartcm.api.openapi import SafeWriteAutoSchema
from sartcm.api.pagination import SyncAwarePagination, UpdatedSinceFilter
from sartcm.api.safety import ETagMixin, IdempotentCreateMixin
from sartcm.models import AuditAction, AuditOutcome

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
        data = super().to_representation(instance)
        allowed = self.allowed(instance)
        return {k: v for k, v in data.items() if k in self.always_fields or k in allowed}

    def check_writable(self, case: Any, attrs: dict[str, Any]) -> None:
        """Refuse (400, audited) a write naming a field the caller may not write."""
        from cases.access import allowed_fields

        allowed = allowed_fields(self._user(), case, self.record_type)
        forbidden = sorted(
            name
            for name in self.initial_data
            if name not in allowed and name not in self.always_fields
        )
        if forbidden:
            audit.record(
                self._user(),
                AuditAction.DENIED,
                outcome=AuditOutcome.DENIED,
                case_id=case.pk,
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

    Lists and details are audited as reads with the fields disclosed.
    """

    permission_classes = [IsActiveStaff]
    audit_reads = True
    # Incremental sync: `?updated_since=` on every list, walked by a (updated_at, id) cursor.
    filter_backends = [*api_settings.DEFAULT_FILTER_BACKENDS, UpdatedSinceFilter]
    pagination_class = SyncAwarePagination
    schema = SafeWriteAutoSchema()  # documents Idempotency-Key, If-Match, ETag, problem+json

    def restrict_action(self) -> str:
        return ACTION_FOR_METHOD.get(self.request.method or "GET", "view")

    def get_queryset(self) -> Any:
        return self.queryset.model.objects.restrict(
            self.request.user, self.restrict_action()
        ).order_by(*(self.queryset.query.order_by or self.queryset.model._meta.ordering or ["pk"]))

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().list(request, *args, **kwargs)
        if self.audit_reads:
            page = getattr(self, "_audited_page", None)
            if page:
                audit.record_reads(request.user, AuditAction.LIST, page)
        return response

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)
        self._audited_page = page if page is not None else list(queryset)
        return page

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        instance = self.get_object()  # within restrict(user, "view"): invisible -> 404
        self._etag_instance = instance
        data = self.get_serializer(instance).data
        if self.audit_reads:
            audit.record(
                request.user, AuditAction.VIEW, instance, fields=[k for k in data if k != "id"]
            )
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
            instance = serializer.save(**extra)
            self.recheck_scope(instance, "change")
            audit.record(
                self.request.user, AuditAction.CHANGE, instance, changes={"after": serializer.data}
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
