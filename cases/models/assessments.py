"""Risk/needs assessments, supervision-level history and the case plan."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from agencies.choices import RecordType
from agencies.models import Agency, StaffMember
from cases.choices import AssessmentStatus, GoalStatus
from cases.models.core import Case
from cases.querysets import CaseRecordQuerySet
from protocols.choices import SupervisionLevel
from protocols.models import Instrument


class RiskAssessment(models.Model):
    """One administration of an instrument. Score and level are computed by the scoring code
    from `answers`, never typed; a supervisor may override the level with a reason."""

    RECORD_TYPE = RecordType.ASSESSMENTS

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assessments")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="assessments")
    assessed_on = models.DateField()
    assessor = models.ForeignKey(
        StaffMember, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    answers = models.JSONField(help_text="Item code → answer value.")
    item_scores = models.JSONField(default=dict, help_text="Item code → points, as computed.")
    subscores = models.JSONField(default=dict, blank=True)
    total_score = models.SmallIntegerField()
    computed_level = models.CharField(max_length=20)
    final_level = models.CharField(max_length=20)
    override_reason = models.TextField(blank=True)
    override_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    next_due = models.DateField(null=True, blank=True)
    status = models.CharField(
        max_length=8, choices=AssessmentStatus.choices, default=AssessmentStatus.VALID
    )
    # Voiding keeps the row (history) but takes it out of level derivation and due dates.
    void_reason = models.TextField(blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    voided_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-assessed_on"]
        indexes = [
            models.Index(
                fields=["case", "instrument", "-assessed_on"], name="assessment_latest_idx"
            ),
            # Reassessment sweep: WHERE status = 'valid' AND next_due <= %s
            models.Index(
                fields=["next_due"], name="assessment_due_idx", condition=Q(status="valid")
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(final_level=models.F("computed_level")) | ~Q(override_reason=""),
                name="%(app_label)s_%(class)s_override_has_reason",
                violation_error_message="Overriding the computed level needs a written reason.",
            ),
            models.CheckConstraint(
                condition=~Q(status="voided") | ~Q(void_reason=""),
                name="%(app_label)s_%(class)s_void_has_reason",
                violation_error_message="Voiding an assessment needs a written reason.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.instrument.name} {self.assessed_on}: {self.total_score} ({self.final_level})"

    @property
    def overridden(self) -> bool:
        return self.final_level != self.computed_level


class SupervisionLevelChange(models.Model):
    """History of a case's supervision level: what changed, when and why."""

    RECORD_TYPE = RecordType.STATUS

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="level_changes")
    from_level = models.CharField(max_length=10, choices=SupervisionLevel.choices, blank=True)
    to_level = models.CharField(max_length=10, choices=SupervisionLevel.choices)
    changed_at = models.DateTimeField(auto_now_add=True)
    reason = models.CharField(max_length=300)
    assessment = models.ForeignKey(
        RiskAssessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.case.case_number}: {self.from_level or '—'} → {self.to_level}"


class CasePlanGoal(models.Model):
    """A case-plan goal, usually for a need identified by a dynamic assessment item."""

    RECORD_TYPE = RecordType.CASE_PLAN

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="goals")
    need = models.CharField(
        max_length=60, help_text="The dynamic item (e.g. stable2007.sex_as_coping)."
    )
    source_assessment = models.ForeignKey(
        RiskAssessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="goals"
    )
    goal = models.CharField(max_length=300)
    interventions = models.TextField(blank=True)
    responsible_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    responsible_staff = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    target_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=GoalStatus.choices, default=GoalStatus.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        ordering = ["target_date"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(goal=""),
                name="%(app_label)s_%(class)s_goal_required",
                violation_error_message="A goal needs a description.",
            ),
        ]

    def __str__(self) -> str:
        return self.goal


class ProgressNote(models.Model):
    """A dated note on progress toward a case-plan goal."""

    RECORD_TYPE = RecordType.CASE_PLAN

    goal = models.ForeignKey(CasePlanGoal, on_delete=models.CASCADE, related_name="progress_notes")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    written_on = models.DateField()
    author = models.ForeignKey(StaffMember, null=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField()

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-written_on"]

    def __str__(self) -> str:
        return f"{self.written_on}: {self.note[:40]}"
