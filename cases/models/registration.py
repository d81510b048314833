"""Sex-offender registration, registration events and address verification."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now

from agencies.choices import RecordType
from agencies.models import Agency, StaffMember
from cases.choices import RegistrationEventKind, RegistrationStatus, VerificationResult
from cases.models.core import Case
from cases.querysets import CaseRecordQuerySet
from protocols.choices import Tier


class RegistrationRecord(models.Model):
    """A registrant's registration in one jurisdiction: tier, period, status, next due date.

    `next_verification_due` is denormalized (recomputed on every event) so the alert sweep is
    one indexed range scan.
    """

    RECORD_TYPE = RecordType.REGISTRATION

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="registrations")
    registering_agency = models.ForeignKey(
        Agency, on_delete=models.PROTECT, related_name="registrations"
    )
    tier = models.CharField(max_length=3, choices=Tier.choices)
    jurisdiction = models.CharField(max_length=100)
    start_date = models.DateField()
    period_years = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Empty = life."
    )
    custody_days_excluded = models.PositiveIntegerField(
        default=0, help_text="Time in custody does not count."
    )
    juvenile = models.BooleanField(default=False)
    transient = models.BooleanField(default=False)
    status = models.CharField(
        max_length=18, choices=RegistrationStatus.choices, default=RegistrationStatus.COMPLIANT
    )
    last_verified_on = models.DateField(null=True, blank=True)
    next_verification_due = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        indexes = [
            # Registration sweep: WHERE status <> 'ended' AND next_verification_due <= %s
            models.Index(
                fields=["next_verification_due"],
                name="registration_due_idx",
                condition=~Q(status="ended"),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "jurisdiction"],
                condition=~Q(status="ended"),
                name="%(app_label)s_%(class)s_one_open_per_jurisdiction",
                violation_error_message="This case is already registered in this jurisdiction.",
            ),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gt=F("start_date")),
                name="%(app_label)s_%(class)s_end_after_start",
                violation_error_message="The end date must be after the start date.",
            ),
        ]

    def __str__(self) -> str:
        return f"Tier {self.tier} registration in {self.jurisdiction}"


class RegistrationEvent(models.Model):
    """Something the registrant reported (or should have): late when reported after the window."""

    RECORD_TYPE = RecordType.REGISTRATION

    registration = models.ForeignKey(
        RegistrationRecord, on_delete=models.CASCADE, related_name="events"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=12, choices=RegistrationEventKind.choices)
    changed_on = models.DateField(help_text="When the change happened.")
    reported_on = models.DateField()
    due_by = models.DateField(null=True, blank=True, help_text="Last day to report in time.")
    late = models.BooleanField(default=False)
    details = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        StaffMember, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-reported_on"]
        indexes = [
            # Late-update sweep: WHERE late
            models.Index(fields=["reported_on"], name="regevent_late_idx", condition=Q(late=True)),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(reported_on__gte=F("changed_on")),
                name="%(app_label)s_%(class)s_reported_after_change",
                violation_error_message="The report date must be on or after the date of the change.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reported {self.reported_on}"


class AddressVerification(models.Model):
    """A registry officer's visit to the registered address; a failure starts absconder review."""

    RECORD_TYPE = RecordType.REGISTRATION

    registration = models.ForeignKey(
        RegistrationRecord, on_delete=models.CASCADE, related_name="verifications"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    officer = models.ForeignKey(StaffMember, null=True, on_delete=models.SET_NULL, related_name="+")
    verified_on = models.DateField()
    address = models.CharField(max_length=300)
    result = models.CharField(max_length=16, choices=VerificationResult.choices)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-verified_on"]
        indexes = [
            # Failed-verification sweep: WHERE result <> 'verified'
            models.Index(
                fields=["verified_on"],
                name="verification_failed_idx",
                condition=~Q(result="verified"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_result_display()} on {self.verified_on}"

    @property
    def failed(self) -> bool:
        return self.result != VerificationResult.VERIFIED
