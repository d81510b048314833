"""Treatment enrollment, monthly progress reports and polygraph exams (containment model)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now

from agencies.choices import RecordType
from agencies.models import Agency, StaffMember
from cases.choices import DischargeStatus, PolygraphResult, PolygraphType, Rating
from cases.models.core import Case
from cases.querysets import CaseRecordQuerySet


class TreatmentEnrollment(models.Model):
    """Enrollment in a treatment program with a provider agency."""

    RECORD_TYPE = RecordType.TREATMENT

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="treatment_enrollments")
    provider = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="treatment_enrollments"
    )
    program = models.CharField(max_length=200)
    intake_date = models.DateField()
    expected_completion = models.DateField(null=True, blank=True)
    discharge_status = models.CharField(
        max_length=14, choices=DischargeStatus.choices, default=DischargeStatus.ACTIVE
    )
    discharged_on = models.DateField(null=True, blank=True)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-intake_date"]
        indexes = [
            # Monthly report sweep: WHERE discharge_status = 'active'
            models.Index(
                fields=["case"],
                name="enrollment_active_idx",
                condition=Q(discharge_status="active"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expected_completion__isnull=True)
                | Q(expected_completion__gte=F("intake_date")),
                name="%(app_label)s_%(class)s_completion_after_intake",
                violation_error_message="Expected completion must be on or after the intake date.",
            ),
            models.CheckConstraint(
                condition=Q(discharge_status="active", discharged_on__isnull=True)
                | (~Q(discharge_status="active") & Q(discharged_on__isnull=False)),
                name="%(app_label)s_%(class)s_discharge_date",
                violation_error_message="A discharge date is required once discharged, and only then.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.program} at {self.provider.short_name}"


class TreatmentReport(models.Model):
    """A monthly progress report, added by the treatment provider under its MOU."""

    RECORD_TYPE = RecordType.TREATMENT

    enrollment = models.ForeignKey(
        TreatmentEnrollment, on_delete=models.CASCADE, related_name="reports"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    month = models.DateField(help_text="First day of the month reported on.")
    sessions_scheduled = models.PositiveSmallIntegerField()
    sessions_attended = models.PositiveSmallIntegerField()
    participation = models.CharField(max_length=6, choices=Rating.choices)
    progress = models.CharField(max_length=6, choices=Rating.choices)
    concerns = models.TextField(blank=True)
    author = models.ForeignKey(StaffMember, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["enrollment", "month"],
                name="%(app_label)s_%(class)s_unique_month",
                violation_error_message="There is already a report for this month.",
            ),
            models.CheckConstraint(
                condition=Q(sessions_attended__lte=F("sessions_scheduled")),
                name="%(app_label)s_%(class)s_attended_le_scheduled",
                violation_error_message="Sessions attended cannot exceed sessions scheduled.",
            ),
            models.CheckConstraint(
                condition=Q(month__day=1),
                name="%(app_label)s_%(class)s_month_first_day",
                violation_error_message="month must be the first day of a month.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.month:%B %Y} report"


class PolygraphExam(models.Model):
    """A polygraph exam with its result and flagged disclosures (visible only where terms permit)."""

    RECORD_TYPE = RecordType.POLYGRAPH

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="polygraphs")
    exam_type = models.CharField(max_length=16, choices=PolygraphType.choices)
    exam_date = models.DateField()
    examiner = models.CharField(max_length=120)
    result = models.CharField(max_length=12, choices=PolygraphResult.choices)
    disclosures = models.TextField(blank=True)
    flagged = models.BooleanField(default=False)
    notes = models.TextField(blank=True)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-exam_date"]

    def __str__(self) -> str:
        return f"{self.get_exam_type_display()} {self.exam_date}: {self.get_result_display()}"
