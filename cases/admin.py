"""Admin for offenders, cases and everything on them.

Every queryset goes through `restrict()` (sartcm.admin_base): a non-superuser sees exactly the
rows their role and their agency's standing allow, and case choices in forms are limited to
the cases where they may add or change that record type. Reads are audited.
Scores, grants and board decisions are never typed here: they come from their services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import Q, QuerySet
from django.http import HttpRequest

from agencies.querysets import staff_of
from cases.models import (
    AddressVerification,
    AgencyWideGrant,
    Alert,
    BoardDecision,
    BoardReview,
    BoardVote,
    Case,
    CaseAssignment,
    CaseCondition,
    CaseGroupObjectPermission,
    CasePlanGoal,
    Conviction,
    HouseholdMember,
    Offender,
    OffenderAlias,
    PlanCondition,
    PolygraphExam,
    ProgressNote,
    QualifyingContacts,
    RegistrationEvent,
    RegistrationRecord,
    ReleasePlan,
    Residence,
    RiskAssessment,
    SupervisionContact,
    SupervisionLevelChange,
    TreatmentEnrollment,
    TreatmentReport,
    Victim,
)
from sartcm.admin_base import (
    ReadOnlyAdminMixin,
    RestrictedModelAdmin,
    RestrictedTabularInline,
)

CASE_SEARCH = ("case__case_number", "case__offender__last_name", "case__offender__first_name")
# Reference data every staff member may pick in forms.
REFERENCE = ("condition", "instrument")


class CaseRecordAdmin(RestrictedModelAdmin):
    """A record that hangs off a case: find it by case number or offender name."""

    search_fields = CASE_SEARCH
    autocomplete_fields = ("case",)
    list_select_related = ("case__offender",)
    open_choices = REFERENCE


class ChildInline(RestrictedTabularInline):
    """Inline child rows: their own `case` key is copied from the parent on save."""

    exclude = ("case",)
    open_choices = REFERENCE


# --- the person ---------------------------------------------------------------------------
class AliasInline(ChildInline):
    model = OffenderAlias
    exclude = ()


class ConvictionInline(ChildInline):
    model = Conviction
    exclude = ()
    fields = (
        "statute",
        "description",
        "conviction_date",
        "victim_age_group",
        "victim_relationship",
        "sexual",
        "registrable",
        "is_index",
    )


@admin.register(Offender)
class OffenderAdmin(RestrictedModelAdmin):
    list_display = ("last_name", "first_name", "date_of_birth", "sex", "state_id", "doc_number")
    list_filter = ("sex",)
    search_fields = (
        "last_name",
        "first_name",
        "state_id",
        "doc_number",
        "fbi_number",
        "aliases__last_name",
    )
    readonly_fields = ("created_at", "updated_at")
    inlines = (AliasInline, ConvictionInline)


@admin.register(OffenderAlias)
class OffenderAliasAdmin(RestrictedModelAdmin):
    list_display = ("last_name", "first_name", "offender")
    search_fields = ("last_name", "first_name", "offender__last_name")
    autocomplete_fields = ("offender",)
    list_select_related = ("offender",)


@admin.register(Conviction)
class ConvictionAdmin(RestrictedModelAdmin):
    list_display = (
        "offender",
        "statute",
        "description",
        "conviction_date",
        "victim_age_group",
        "victim_relationship",
        "registrable",
        "is_index",
    )
    list_filter = ("victim_age_group", "victim_relationship", "sexual", "registrable", "is_index")
    search_fields = ("statute", "description", "offender__last_name", "offender__state_id")
    autocomplete_fields = ("offender",)
    list_select_related = ("offender",)
    date_hierarchy = "conviction_date"


# --- the case and its team --------------------------------------------------------------
class AssignmentInline(ChildInline):
    model = CaseAssignment
    inline_select_related = ("agency", "staff__user")
    exclude = ()
    fields = ("agency", "staff", "role", "start_date", "end_date")
    autocomplete_fields = ("agency", "staff")


class CaseConditionInline(ChildInline):
    model = CaseCondition
    exclude = ()
    fields = ("condition", "details", "start_date", "end_date")


@admin.register(Case)
class CaseAdmin(RestrictedModelAdmin):
    list_display = (
        "case_number",
        "offender",
        "lead_agency",
        "status",
        "supervision_level",
        "case_manager",
        "officer",
        "expected_release_date",
    )
    list_filter = ("status", "supervision_level", ("lead_agency", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("offender", "lead_agency", "case_manager__user", "officer__user")
    search_fields = (
        "case_number",
        "offender__last_name",
        "offender__first_name",
        "offender__state_id",
        "offender__doc_number",
    )
    autocomplete_fields = ("offender", "lead_agency", "case_manager", "officer")
    readonly_fields = ("version", "created_at", "updated_at")
    inlines = (AssignmentInline, CaseConditionInline)
    fieldsets = (
        (None, {"fields": ("case_number", "offender", "lead_agency", "jurisdiction", "status")}),
        ("People", {"fields": ("case_manager", "officer")}),
        (
            "Custody and supervision",
            {
                "fields": (
                    "expected_release_date",
                    "release_date",
                    "supervision_start",
                    "supervision_end",
                    "supervision_level",
                )
            },
        ),
        ("Record", {"fields": ("version", "created_at", "updated_at")}),
    )


@admin.register(CaseAssignment)
class CaseAssignmentAdmin(CaseRecordAdmin):
    list_display = ("case", "agency", "staff", "role", "start_date", "end_date")
    list_filter = ("role", ("agency", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("case__offender", "agency", "staff__user")
    autocomplete_fields = ("case", "agency", "staff")


@admin.register(CaseCondition)
class CaseConditionAdmin(CaseRecordAdmin):
    list_display = ("case", "condition", "start_date", "end_date")
    list_select_related = ("case__offender", "condition")


@admin.register(CaseGroupObjectPermission)
class CaseGrantAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    """Grants are derived state (cases.access.sync_grants): read-only, for explaining access."""

    list_display = ("content_object", "group", "permission")
    list_select_related = ("content_object__offender", "group", "permission__content_type")
    list_filter = ("permission__codename",)
    search_fields = ("content_object__case_number", "group__name")

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        visible = Case.objects.restrict(request.user, "view").values("pk")
        return queryset.filter(content_object__in=visible)


@admin.register(QualifyingContacts)
class QualifyingContactsAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    """The per-(case, requirement) contact summary the contact triggers maintain (for the
    compliance statement): derived, read-only, and shown to operations (superusers) only —
    it has no restrict() of its own, so everyone else gets no rows."""

    list_display = ("case", "requirement", "contacts")
    list_filter = ("requirement",)
    raw_id_fields = ("case",)

    @admin.display(description="Qualifying contacts")
    def contacts(self, obj: QualifyingContacts) -> int:
        return len(obj.contact_ats)


@admin.register(AgencyWideGrant)
class AgencyWideGrantAdmin(ReadOnlyAdminMixin, RestrictedModelAdmin):
    """Agency-wide grants (scope-`all` terms; cases.access.sync_grants): read-only. Visible to
    the provider's and the recipient's people."""

    list_display = ("group", "permission", "provider")
    list_select_related = ("group", "permission__content_type", "provider")
    list_filter = ("permission__codename",)
    search_fields = ("group__name", "provider__short_name")

    def restrict_queryset(self, request: HttpRequest, queryset: QuerySet, action: str) -> QuerySet:
        if request.user.is_superuser:
            return queryset
        staff = staff_of(request.user)
        if staff is None:
            return queryset.none()
        return queryset.filter(Q(provider_id=staff.agency_id) | Q(group_id=staff.agency.group_id))


# --- assessments, level history, case plan ----------------------------------------------
@admin.register(RiskAssessment)
class RiskAssessmentAdmin(CaseRecordAdmin):
    """Scores come from the scoring service: answers and scores are read-only here."""

    list_display = (
        "case",
        "instrument",
        "assessed_on",
        "total_score",
        "computed_level",
        "final_level",
        "status",
        "next_due",
    )
    list_filter = ("instrument", "status", "final_level")
    list_select_related = ("case__offender", "instrument")
    autocomplete_fields = ("override_by", "voided_by")
    date_hierarchy = "assessed_on"
    readonly_fields = (
        "case",
        "instrument",
        "assessed_on",
        "assessor",
        "answers",
        "item_scores",
        "subscores",
        "total_score",
        "computed_level",
        "created_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(SupervisionLevelChange)
class SupervisionLevelChangeAdmin(ReadOnlyAdminMixin, CaseRecordAdmin):
    list_display = ("case", "from_level", "to_level", "changed_at", "changed_by", "reason")
    list_select_related = ("case__offender", "changed_by__user")
    list_filter = ("to_level",)
    date_hierarchy = "changed_at"


class ProgressNoteInline(ChildInline):
    model = ProgressNote
    fields = ("written_on", "author", "note")
    readonly_fields = ("author",)
    inline_select_related = ("author__user",)


@admin.register(CasePlanGoal)
class CasePlanGoalAdmin(CaseRecordAdmin):
    list_display = ("case", "need", "goal", "responsible_agency", "target_date", "status")
    list_filter = ("status", "need")
    list_select_related = ("case__offender", "responsible_agency")
    autocomplete_fields = ("case", "responsible_agency", "responsible_staff")
    raw_id_fields = ("source_assessment",)
    inlines = (ProgressNoteInline,)


@admin.register(ProgressNote)
class ProgressNoteAdmin(CaseRecordAdmin):
    list_display = ("case", "goal", "written_on", "author")
    list_select_related = ("case__offender", "goal", "author__user")
    date_hierarchy = "written_on"
    raw_id_fields = ("goal", "author")


# --- supervision -------------------------------------------------------------------------
@admin.register(SupervisionContact)
class SupervisionContactAdmin(CaseRecordAdmin):
    list_display = ("case", "contact_at", "contact_type", "face_to_face", "outcome", "officer")
    list_filter = ("contact_type", "outcome", "face_to_face")
    list_select_related = ("case__offender", "officer__user")
    # Millions of rows: newest recorded first uses the primary key (no sort, no date scan).
    ordering = ("-id",)
    autocomplete_fields = ("case", "officer")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Residence)
class ResidenceAdmin(CaseRecordAdmin):
    list_display = ("case", "address", "city", "county", "housing_status", "start_date", "end_date")
    list_filter = ("housing_status", "county")
    search_fields = (*CASE_SEARCH, "address", "city")


# --- treatment and polygraph ------------------------------------------------------------
class TreatmentReportInline(ChildInline):
    model = TreatmentReport
    fields = (
        "month",
        "sessions_scheduled",
        "sessions_attended",
        "participation",
        "progress",
        "concerns",
        "author",
    )
    readonly_fields = ("author",)
    inline_select_related = ("author__user",)


@admin.register(TreatmentEnrollment)
class TreatmentEnrollmentAdmin(CaseRecordAdmin):
    list_display = (
        "case",
        "provider",
        "program",
        "intake_date",
        "expected_completion",
        "discharge_status",
    )
    list_filter = ("discharge_status", ("provider", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("case__offender", "provider")
    autocomplete_fields = ("case", "provider")
    inlines = (TreatmentReportInline,)


@admin.register(TreatmentReport)
class TreatmentReportAdmin(CaseRecordAdmin):
    list_display = (
        "case",
        "enrollment",
        "month",
        "sessions_attended",
        "sessions_scheduled",
        "participation",
        "progress",
    )
    list_filter = ("participation", "progress")
    list_select_related = ("case__offender", "enrollment__provider")
    date_hierarchy = "month"
    raw_id_fields = ("enrollment", "author")


@admin.register(PolygraphExam)
class PolygraphExamAdmin(CaseRecordAdmin):
    list_display = ("case", "exam_type", "exam_date", "examiner", "result", "flagged")
    list_filter = ("exam_type", "result", "flagged")
    date_hierarchy = "exam_date"


# --- release plans, victims and the board -------------------------------------------------
class HouseholdInline(ChildInline):
    model = HouseholdMember
    fields = ("name", "relationship", "age", "is_minor")


class PlanConditionInline(ChildInline):
    model = PlanCondition
    fields = ("condition", "details")


class BoardReviewInline(ChildInline):
    model = BoardReview
    fields = ("board", "hearing_date", "hearing_location", "public_comment")
    autocomplete_fields = ("board",)


@admin.register(ReleasePlan)
class ReleasePlanAdmin(CaseRecordAdmin):
    list_display = (
        "case",
        "status",
        "release_date",
        "housing_status",
        "residence_approved",
        "pre_registered",
        "planner",
    )
    list_filter = ("status", "housing_status", "residence_approved", "pre_registered")
    list_select_related = ("case__offender", "planner__user")
    date_hierarchy = "release_date"
    autocomplete_fields = (
        "case",
        "planner",
        "home_investigated_by",
        "treatment_provider",
        "supervision_agency",
        "supervision_officer",
    )
    readonly_fields = ("version", "submitted_at", "created_at", "updated_at")
    inlines = (HouseholdInline, PlanConditionInline, BoardReviewInline)
    fieldsets = (
        (None, {"fields": ("case", "status", "release_date", "planner")}),
        (
            "Residence",
            {
                "fields": (
                    "residence_address",
                    "residence_city",
                    ("residence_latitude", "residence_longitude"),
                    "housing_status",
                    "landlord",
                    "residence_approved",
                    ("home_investigated_by", "home_investigated_on"),
                    "restriction_check",
                )
            },
        ),
        (
            "Treatment, employment, transport, support",
            {
                "fields": (
                    "treatment_referral",
                    ("treatment_provider", "treatment_intake_date"),
                    "employment",
                    "income_source",
                    "transportation",
                    "support_network",
                )
            },
        ),
        ("Victim safety", {"fields": ("exclusion_zones", "notification_wishes")}),
        (
            "Transition and supervision",
            {
                "fields": (
                    "transition_services",
                    "pre_registered",
                    ("supervision_agency", "supervision_officer"),
                    "checklist",
                )
            },
        ),
        ("Record", {"fields": ("version", "submitted_at", "created_at", "updated_at")}),
    )


@admin.register(HouseholdMember)
class HouseholdMemberAdmin(CaseRecordAdmin):
    list_display = ("name", "relationship", "age", "is_minor", "plan")
    list_select_related = ("plan__case",)
    list_filter = ("is_minor",)
    raw_id_fields = ("plan",)


@admin.register(PlanCondition)
class PlanConditionAdmin(CaseRecordAdmin):
    list_display = ("plan", "condition")
    list_select_related = ("plan__case__offender", "case__offender", "condition")
    raw_id_fields = ("plan",)


@admin.register(Victim)
class VictimAdmin(CaseRecordAdmin):
    list_display = (
        "case",
        "name",
        "no_contact",
        "notify",
        "notification_channel",
        "advocate_agency",
    )
    list_filter = ("no_contact", "notify", "notification_channel")
    list_select_related = ("case__offender", "advocate_agency")
    autocomplete_fields = ("case", "advocate_agency")


class DecisionInline(ChildInline):
    model = BoardDecision
    inline_select_related = ("recorded_by__user",)
    fields = ("decision", "decided_on", "conditions", "rationale", "recorded_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(BoardReview)
class BoardReviewAdmin(CaseRecordAdmin):
    list_display = ("case", "plan", "board", "referred_at", "hearing_date")
    list_select_related = ("case__offender", "plan__case", "board")
    date_hierarchy = "hearing_date"
    autocomplete_fields = ("case", "board")
    raw_id_fields = ("plan",)
    inlines = (DecisionInline,)


class VoteInline(ChildInline):
    model = BoardVote
    inline_select_related = ("member__user",)
    fields = ("member", "vote", "comment")
    autocomplete_fields = ("member",)


@admin.register(BoardDecision)
class BoardDecisionAdmin(CaseRecordAdmin):
    """Decisions are immutable: a later decision supersedes one (add, never change)."""

    list_display = ("case", "decision", "decided_on", "recorded_by", "supersedes")
    list_select_related = ("case__offender", "recorded_by__user", "supersedes")
    list_filter = ("decision",)
    date_hierarchy = "decided_on"
    raw_id_fields = ("review", "supersedes", "recorded_by")
    inlines = (VoteInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        return [f.name for f in self.model._meta.concrete_fields if f.name != "id"]


@admin.register(BoardVote)
class BoardVoteAdmin(CaseRecordAdmin):
    list_display = ("case", "decision", "member", "vote")
    list_select_related = ("case__offender", "decision", "member__user")
    list_filter = ("vote",)
    raw_id_fields = ("decision",)
    autocomplete_fields = ("case", "member")


# --- registration -------------------------------------------------------------------------
class RegistrationEventInline(ChildInline):
    model = RegistrationEvent
    fields = ("kind", "changed_on", "reported_on", "due_by", "late", "details", "recorded_by")
    readonly_fields = ("recorded_by",)
    inline_select_related = ("recorded_by__user",)


class VerificationInline(ChildInline):
    model = AddressVerification
    fields = ("verified_on", "address", "result", "officer", "notes")
    readonly_fields = ("officer",)
    inline_select_related = ("officer__user",)


# What a registry officer may change on a registration through the service.
TERMS = ("tier", "period_years", "custody_days_excluded", "juvenile", "transient")


class RegistrationRecordForm(forms.ModelForm):
    """Checks what the registration service checks, so its refusals are form errors next to
    the field instead of a failed save."""

    class Meta:
        model = RegistrationRecord
        fields = ("case", "registering_agency", "jurisdiction", "start_date", *TERMS)

    def clean(self) -> dict[str, Any]:
        from cases.services import registration as service

        data = super().clean()
        errors = service.registration_errors(
            self.instance if self.instance.pk else None,
            {name: data[name] for name in (*TERMS, *RegistrationRecordAdmin.FIXED) if name in data},
        )
        for field, message in errors.items():
            self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(RegistrationRecord)
class RegistrationRecordAdmin(CaseRecordAdmin):
    list_display = (
        "case",
        "tier",
        "jurisdiction",
        "registering_agency",
        "status",
        "last_verified_on",
        "next_verification_due",
        "transient",
    )
    list_filter = (
        "tier",
        "status",
        "transient",
        ("registering_agency", admin.RelatedOnlyFieldListFilter),
    )
    list_select_related = ("case__offender", "registering_agency")
    date_hierarchy = "next_verification_due"
    autocomplete_fields = ("case", "registering_agency")
    # As in the API, every write goes through the registration service (period and schedule
    # recomputed, audited, alerts brought up to date, the registration.status_changed webhook
    # queued): the status and the calendar follow from events, checks and registry officers'
    # decisions; the end date from the start, period and custody days; case, agency,
    # jurisdiction and start are fixed once registered (the API allows no more).
    form = RegistrationRecordForm
    DERIVED = ("status", "next_verification_due", "last_verified_on", "end_date")
    FIXED = ("case", "registering_agency", "jurisdiction", "start_date")
    inlines = (RegistrationEventInline, VerificationInline)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.DERIVED if obj is None else self.DERIVED + self.FIXED

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        from cases.services import registration as service

        data = form.cleaned_data
        if change:
            terms = {name: data[name] for name in TERMS if name in form.changed_data}
            saved = service.update_registration(request.user, obj, **terms)
        else:
            saved = service.register(
                request.user,
                case=data["case"],
                registering_agency=data["registering_agency"],
                jurisdiction=data["jurisdiction"],
                start_date=data["start_date"],
                **{name: data[name] for name in TERMS},
            )
        obj.pk = saved.pk
        obj.refresh_from_db()


@admin.register(RegistrationEvent)
class RegistrationEventAdmin(CaseRecordAdmin):
    list_display = ("case", "kind", "changed_on", "reported_on", "due_by", "late")
    list_filter = ("kind", "late")
    date_hierarchy = "reported_on"
    ordering = ("-id",)  # hundreds of thousands of rows: no sort
    raw_id_fields = ("registration", "recorded_by")


@admin.register(AddressVerification)
class AddressVerificationAdmin(CaseRecordAdmin):
    list_display = ("case", "verified_on", "address", "result", "officer")
    list_select_related = ("case__offender", "officer__user")
    list_filter = ("result",)
    date_hierarchy = "verified_on"
    raw_id_fields = ("registration", "officer")


# --- alerts -----------------------------------------------------------------------------
@admin.register(Alert)
class AlertAdmin(CaseRecordAdmin):
    """Alerts are raised by the sweep; here one may reassign or annotate them."""

    list_display = ("rule", "case", "agency", "due_date", "severity", "status", "assignee")
    list_filter = ("rule", "severity", "status")
    list_select_related = ("case__offender", "agency", "assignee__user")
    search_fields = (*CASE_SEARCH, "message", "subject_key")
    date_hierarchy = "due_date"
    autocomplete_fields = ("assignee",)
    readonly_fields = (
        "rule",
        "subject_key",
        "record_type",
        "case",
        "agency",
        "due_date",
        "severity",
        "status",
        "message",
        "escalated_to",
        "escalated_at",
        "raised_at",
        "acknowledged_by",
        "acknowledged_at",
        "resolved_by",
        "resolved_at",
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
