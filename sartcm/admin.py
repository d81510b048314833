"""Admin for the audit trail and the outbox, and a restricted user admin.

The audit trail is append-only: nobody adds, changes or deletes it here, and reading it is
itself audited (AUDIT_READ). Superusers see all of it; an agency's administrators and
auditors see their agency's events; nobody else sees any.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from sartcm import audit
from sartcm.admin_base import ReadOnlyAdminMixin, RestrictedModelAdmin
from sartcm.models import (
    APIKey,
    AuditAction,
    AuditEvent,
    IdempotencyRecord,
    OutboxMessage,
    ReportExport,
    SyncTombstone,
    WebhookDelivery,
    WebhookSubscription,
)


def _staff(request: HttpRequest) -> Any:
    staff = getattr(request.user, "staff", None)  # None when the user has no staff row
    return staff if staff is not None and staff.active else None


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    list_display = (
        "at",
        "username",
        "action",
        "outcome",
        "channel",
        "object_type",
        "object_id",
        "case_id",
        "source_address",
    )
    list_filter = ("action", "outcome", "channel", "object_type")
    search_fields = ("username", "object_repr", "object_id", "=case_id", "detail")
    date_hierarchy = "at"
    ordering = ("-at",)

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        staff = _staff(request)
        if staff is None or not staff.is_auditor:
            return queryset.none()
        return queryset.filter(agency_id=staff.agency_id)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not request.user.is_superuser and (
            _staff(request) is None or not _staff(request).is_auditor
        ):
            return False
        return super().has_view_permission(request, obj)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response = super().changelist_view(request, extra_context)
        if response.status_code == 200:
            audit.record(
                request.user,
                AuditAction.AUDIT_READ,
                object_type="sartcm.auditevent",
                detail=f"admin list {request.GET.urlencode()}"[:500],
            )
        return response

    def change_view(
        self,
        request: HttpRequest,
        object_id: str,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        response = super().change_view(request, object_id, form_url, extra_context)
        obj = getattr(response, "context_data", {}).get("original")
        if response.status_code == 200 and obj is not None:
            audit.record(request.user, AuditAction.AUDIT_READ, obj, detail="admin")
        return response


@admin.register(OutboxMessage)
class OutboxMessageAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    """Payloads may carry case data: operations (superusers) only."""

    list_display = ("created_at", "kind", "status", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("status", "kind")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        return queryset.none()


User = get_user_model()


class RestrictedUserAdmin(UserAdmin):
    """Users of one's own agency only (agency administrators); superusers see all."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        staff = _staff(request)
        if staff is None or not staff.is_admin:
            return queryset.filter(pk=request.user.pk)
        return queryset.filter(staff__agency_id=staff.agency_id)


if admin.site.is_registered(User):
    admin.site.unregister(User)
admin.site.register(User, RestrictedUserAdmin)


@admin.register(APIKey)
class APIKeyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Keys are issued, rotated and revoked on the integrations pages (shown once there);
    the admin only lists them, for operations. Only the hash is stored."""

    list_display = (
        "name",
        "prefix",
        "user",
        "created_at",
        "expires_at",
        "revoked_at",
        "last_used_at",
    )
    list_select_related = ("user",)
    search_fields = ("name", "prefix", "user__username")
    exclude = ("key_hash",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        from sartcm.apikeys import keys_visible_to

        return keys_visible_to(request.user).select_related("user")


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "agency", "url", "active", "created_at")
    list_select_related = ("agency",)
    exclude = ("secret",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        staff = _staff(request)
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return (
            qs.filter(agency_id=staff.agency_id)
            if staff is not None and staff.is_admin
            else qs.none()
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("event", "subscription", "attempted_at", "status_code", "ok", "error")
    list_select_related = ("subscription",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        staff = _staff(request)
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        if staff is None or not staff.is_admin:
            return qs.none()
        return qs.filter(subscription__agency_id=staff.agency_id)


@admin.register(IdempotencyRecord)
class IdempotencyRecordAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Stored POST responses (may hold case data): superusers only."""

    list_display = ("key", "user", "method", "path", "response_status", "created_at")
    list_select_related = ("user",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.none()


@admin.register(SyncTombstone)
class SyncTombstoneAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Deletion/revocation markers for incremental sync (derived state): read-only; an agency's
    administrators see their agency's own."""

    list_display = (
        "at",
        "reason",
        "object_type",
        "object_id",
        "case_id",
        "agency_id",
        "record_type",
    )
    list_filter = ("reason", "record_type")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        staff = _staff(request)
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return (
            qs.filter(agency_id=staff.agency_id)
            if staff is not None and staff.is_admin
            else qs.none()
        )


@admin.register(ReportExport)
class ReportExportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Background report exports: each person sees their own (files are downloaded, audited,
    from the reports pages)."""

    list_display = ("title", "kind", "status", "requested_by", "created_at")
    list_select_related = ("requested_by",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(requested_by=request.user)
