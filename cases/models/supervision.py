"""Supervision contacts and residence history."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now

from agencies.choices import RecordType
from agencies.models import StaffMember
from cases.choices import ContactOutcome, ContactType, HousingStatus
from cases.models.core import Case
from cases.querysets import CaseRecordQuerySet


class SupervisionContact(models.Model):
    """A contact logged by a supervision officer. Future-dated contacts are refused."""

    RECORD_TYPE = RecordType.CONTACTS

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    contact_at = models.DateTimeField()
    officer = models.ForeignKey(
        StaffMember, null=True, on_delete=models.SET_NULL, related_name="contacts"
    )
    contact_type = models.CharField(max_length=24, choices=ContactType.choices)
    face_to_face = models.BooleanField(default=True)
    location = models.CharField(max_length=200, blank=True)
    outcome = models.CharField(
        max_length=12, choices=ContactOutcome.choices, default=ContactOutcome.COMPLETED
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-contact_at", "-id"]
        indexes = [
            # Compliance per requirement: WHERE case_id = %s AND contact_type = %s AND contact_at >= %s
            models.Index(
                fields=["case", "contact_type", "-contact_at"], name="contact_case_type_at_idx"
            ),
            models.Index(fields=["updated_at"], name="contact_updated_idx"),
            # the contacts list, newest first, for an agency that sees many cases: walk the
            # newest rows and stop at a page (without it: sort all 4 million, ~4 s)
            models.Index(fields=["-contact_at", "-id"], name="contact_at_idx"),
        ]
        constraints = [
            # "Not in the future" is checked in the service (a CHECK cannot use now()).
        ]

    def __str__(self) -> str:
        return f"{self.get_contact_type_display()} {self.contact_at:%Y-%m-%d}"


class Residence(models.Model):
    """Where the person lives (or transient status) for a period."""

    RECORD_TYPE = RecordType.RESIDENCE

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="residences")
    address = models.CharField(max_length=300, blank=True)
    city = models.CharField(max_length=100, blank=True)
    county = models.CharField(max_length=100, blank=True)
    housing_status = models.CharField(max_length=16, choices=HousingStatus.choices)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="%(app_label)s_%(class)s_period",
                violation_error_message="The end date must be on or after the start date.",
            ),
            models.CheckConstraint(
                condition=Q(housing_status="transient") | ~Q(address=""),
                name="%(app_label)s_%(class)s_address_unless_transient",
                violation_error_message="An address is required unless the person is transient/homeless.",
            ),
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(end_date__isnull=True),
                name="%(app_label)s_%(class)s_one_current",
                violation_error_message="The case already has a current residence; end it first.",
            ),
        ]

    def __str__(self) -> str:
        return self.address or self.get_housing_status_display()
