"""Admin for protocols and the standards the system runs on (reference data for all staff)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from protocols.models import (
    Acknowledgment,
    AlertSetting,
    ChecklistItem,
    ContactStandard,
    Holiday,
    Instrument,
    LevelMapping,
    ProtectedSite,
    Protocol,
    ProtocolVersion,
    ReassessmentInterval,
    RegistrationSchedule,
    ResidenceRestrictionRule,
    SpecialCondition,
)
from sartcm.admin_base import RestrictedModelAdmin, RestrictedTabularInline, reference_for_staff


class ReferenceAdmin(RestrictedModelAdmin):
    """Statewide reference data: readable by every staff member; writes need model perms."""

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        return reference_for_staff(request, queryset)


class StandardAdmin(ReferenceAdmin):
    """Standards with a jurisdiction and an effective period [from, to)."""

    list_filter = ("jurisdiction", "effective_from", "effective_to")
    date_hierarchy = "effective_from"
    raw_id_fields = ("protocol_version",)
    open_choices = ("protocol_version",)


class VersionInline(RestrictedTabularInline):
    model = ProtocolVersion
    fields = ("number", "status", "effective_from", "change_summary", "adopted_at")
    readonly_fields = ("adopted_at",)

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        return reference_for_staff(request, queryset)


@admin.register(Protocol)
class ProtocolAdmin(ReferenceAdmin):
    list_display = ("title", "area", "owner_agency")
    list_filter = ("area",)
    search_fields = ("title", "summary")
    inlines = (VersionInline,)


class AcknowledgmentInline(RestrictedTabularInline):
    model = Acknowledgment
    fields = ("staff", "acknowledged_at")
    readonly_fields = ("staff", "acknowledged_at")
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        return acknowledgments_visible(request, queryset)


def acknowledgments_visible(request: HttpRequest, queryset: QuerySet) -> QuerySet:
    """Own acknowledgments; an agency's administrators and supervisors see their agency's."""
    staff = getattr(request.user, "staff", None)
    if staff is None or not staff.active:
        return queryset.none()
    if staff.is_admin or staff.has_role("supervisor"):
        return queryset.filter(staff__agency_id=staff.agency_id)
    return queryset.filter(staff=staff)


@admin.register(ProtocolVersion)
class ProtocolVersionAdmin(ReferenceAdmin):
    list_display = ("protocol", "number", "status", "effective_from", "adopted_at")
    list_filter = ("status", "protocol__area")
    search_fields = ("protocol__title", "change_summary", "body")
    list_select_related = ("protocol",)
    filter_horizontal = ("adopting_agencies",)
    readonly_fields = ("created_by", "created_at")
    open_choices = ("protocol",)
    inlines = (AcknowledgmentInline,)


@admin.register(Acknowledgment)
class AcknowledgmentAdmin(RestrictedModelAdmin):
    list_display = ("staff", "version", "acknowledged_at")
    list_select_related = ("staff__user", "version__protocol")
    search_fields = ("staff__user__last_name", "version__protocol__title")
    date_hierarchy = "acknowledged_at"
    raw_id_fields = ("staff", "version")
    open_choices = ("version",)

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        return acknowledgments_visible(request, queryset)


@admin.register(ContactStandard)
class ContactStandardAdmin(StandardAdmin):
    list_display = (
        "supervision_level",
        "requirement",
        "count",
        "period_days",
        "initial_deadline",
        "jurisdiction",
        "effective_from",
        "effective_to",
    )
    list_filter = ("supervision_level", "requirement", *StandardAdmin.list_filter)


@admin.register(RegistrationSchedule)
class RegistrationScheduleAdmin(StandardAdmin):
    list_display = (
        "jurisdiction",
        "tier",
        "rule",
        "interval",
        "applies_to_transient",
        "period_years",
        "effective_from",
        "effective_to",
    )
    list_filter = ("tier", "rule", *StandardAdmin.list_filter)


@admin.register(Instrument)
class InstrumentAdmin(ReferenceAdmin):
    list_display = ("name", "code", "version", "kind", "builtin", "active", "owner_agency")
    list_filter = ("kind", "builtin", "active")
    search_fields = ("name", "code")


@admin.register(ReassessmentInterval)
class ReassessmentIntervalAdmin(StandardAdmin):
    list_display = (
        "instrument_code",
        "supervision_level",
        "interval_days",
        "jurisdiction",
        "effective_from",
        "effective_to",
    )
    search_fields = ("instrument_code",)


@admin.register(LevelMapping)
class LevelMappingAdmin(StandardAdmin):
    list_display = (
        "instrument_code",
        "assessment_level",
        "supervision_level",
        "jurisdiction",
        "effective_from",
        "effective_to",
    )
    search_fields = ("instrument_code", "assessment_level")


@admin.register(ChecklistItem)
class ChecklistItemAdmin(StandardAdmin):
    list_display = (
        "order",
        "code",
        "text",
        "component",
        "required",
        "jurisdiction",
        "effective_from",
    )
    list_filter = ("component", "required", *StandardAdmin.list_filter)
    search_fields = ("code", "text")


@admin.register(SpecialCondition)
class SpecialConditionAdmin(StandardAdmin):
    list_display = (
        "code",
        "version",
        "title",
        "category",
        "protects_victim",
        "effective_from",
        "effective_to",
    )
    list_filter = ("category", "protects_victim", *StandardAdmin.list_filter)
    search_fields = ("code", "title", "text")


@admin.register(ResidenceRestrictionRule)
class ResidenceRestrictionRuleAdmin(StandardAdmin):
    list_display = ("jurisdiction", "site_kind", "distance_feet", "effective_from", "effective_to")
    list_filter = ("site_kind", *StandardAdmin.list_filter)


@admin.register(ProtectedSite)
class ProtectedSiteAdmin(ReferenceAdmin):
    list_display = ("name", "kind", "jurisdiction", "latitude", "longitude")
    list_filter = ("kind", "jurisdiction")
    search_fields = ("name",)


@admin.register(Holiday)
class HolidayAdmin(ReferenceAdmin):
    list_display = ("date", "name", "jurisdiction")
    list_filter = ("jurisdiction",)
    search_fields = ("name",)
    date_hierarchy = "date"


@admin.register(AlertSetting)
class AlertSettingAdmin(StandardAdmin):
    list_display = (
        "rule",
        "enabled",
        "due_soon_days",
        "escalate_after_days",
        "release_lead_days",
        "jurisdiction",
        "effective_from",
    )
    list_filter = ("rule", "enabled", *StandardAdmin.list_filter)
