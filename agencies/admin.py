"""Admin for agencies, staff and training (restricted: see sartcm.admin_base)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from agencies.choices import Role
from agencies.models import Agency, StaffMember, TrainingCourse, TrainingRecord, TrainingRequirement
from sartcm.admin_base import (
    RestrictedModelAdmin,
    RestrictedTabularInline,
    reference_for_staff,
)


class RoleFilter(admin.SimpleListFilter):
    """Staff holding a role (roles is an array column)."""

    title = "role"
    parameter_name = "role"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(Role.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(roles__contains=[self.value()]) if self.value() else queryset


class StaffInline(RestrictedTabularInline):
    model = StaffMember
    fk_name = "agency"
    fields = ("user", "roles", "title", "phone", "is_signatory", "active", "supervisor")
    readonly_fields = ("user", "supervisor")
    inline_select_related = ("user", "supervisor__user")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # new staff are added on the staff page (they need a user first)


class RequirementInline(RestrictedTabularInline):
    model = TrainingRequirement
    fields = ("role", "course", "renewal_months", "grace_days", "agency")
    open_choices = ("course",)

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        return reference_for_staff(request, queryset)


@admin.register(Agency)
class AgencyAdmin(RestrictedModelAdmin):
    list_display = ("short_name", "name", "kind", "jurisdiction", "phone", "active")
    list_filter = ("kind", "active", "jurisdiction")
    search_fields = ("name", "short_name", "jurisdiction", "email")
    readonly_fields = ("group", "created_at")
    inlines = (StaffInline, RequirementInline)


@admin.register(StaffMember)
class StaffMemberAdmin(RestrictedModelAdmin):
    list_display = (
        "full_name",
        "username",
        "agency",
        "role_labels",
        "title",
        "supervisor",
        "is_signatory",
        "active",
    )
    list_filter = (
        RoleFilter,
        "active",
        "is_signatory",
        ("agency", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("user", "agency", "supervisor__user")
    search_fields = (
        "user__username",
        "user__first_name",
        "user__last_name",
        "title",
        "agency__short_name",
    )
    autocomplete_fields = ("agency",)
    raw_id_fields = ("user", "supervisor")

    @admin.display(ordering="user__username")
    def username(self, obj: StaffMember) -> str:
        return obj.user.username


class TrainingRecordInline(RestrictedTabularInline):
    model = TrainingRecord
    fk_name = "staff"
    fields = ("course", "completed_on", "expires_on", "evidence_note", "recorded_by")
    readonly_fields = ("recorded_by",)
    inline_select_related = ("course", "recorded_by__user")
    open_choices = ("course",)


StaffMemberAdmin.inlines = (TrainingRecordInline,)


@admin.register(TrainingCourse)
class TrainingCourseAdmin(RestrictedModelAdmin):
    list_display = ("title", "hours", "provider", "active")
    list_filter = ("active",)
    search_fields = ("title", "description", "provider")
    inlines = (RequirementInline,)

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        return reference_for_staff(request, queryset)


@admin.register(TrainingRequirement)
class TrainingRequirementAdmin(RestrictedModelAdmin):
    list_display = ("course", "role", "renewal_months", "grace_days", "agency")
    list_filter = ("role",)
    search_fields = ("course__title",)
    list_select_related = ("course", "agency")
    open_choices = ("course",)

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        return reference_for_staff(request, queryset)


class ExpiryFilter(admin.SimpleListFilter):
    """Current / expiring within 30 days / expired (the training-expiry alert windows)."""

    title = "expiry"
    parameter_name = "expiry"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("expired", "Expired"),
            ("expiring", "Expiring within 30 days"),
            ("current", "Current"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = timezone.localdate()
        soon = today + timedelta(days=30)
        if self.value() == "expired":
            return queryset.filter(expires_on__lt=today)
        if self.value() == "expiring":
            return queryset.filter(expires_on__gte=today, expires_on__lte=soon)
        if self.value() == "current":
            return queryset.exclude(expires_on__lt=today)
        return queryset


@admin.register(TrainingRecord)
class TrainingRecordAdmin(RestrictedModelAdmin):
    list_display = ("staff", "course", "completed_on", "expires_on", "current")
    list_filter = (ExpiryFilter, "course")
    list_select_related = ("staff__user", "course")
    search_fields = ("staff__user__last_name", "staff__user__first_name", "course__title")
    date_hierarchy = "expires_on"
    raw_id_fields = ("staff", "recorded_by")
    open_choices = ("course",)

    @admin.display(boolean=True)
    def current(self, obj: TrainingRecord) -> bool:
        return obj.is_current()
