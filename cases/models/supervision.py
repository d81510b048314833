"""Supervision contacts and residence history."""

from __future__ import annotations

from typing import Any

import pgtrigger
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now

from agencies.choices import RecordType
from agencies.models import StaffMember
from cases.choices import ContactOutcome, ContactType, HousingStatus
from cases.models.core import Case
from cases.querysets import CaseRecordQuerySet
from cases.requirements import qualifying_select_sql
from protocols.choices import ContactRequirement

_CONTACTS = "cases_supervisioncontact"
_SUMMARY = "cases_qualifyingcontacts"


def _refresh_summary(case_ids: str) -> str:
    """Trigger body: recompute the QualifyingContacts rows of the cases in `case_ids` (a
    transition table, or a UNION of two). The case rows are locked first (FOR NO KEY UPDATE:
    it does not conflict with the FOR KEY SHARE of a contact insert's foreign-key check), so
    two transactions logging contacts for one case take turns, and the second one's
    recomputation (a new snapshot per statement under READ COMMITTED) sees the first one's
    contacts: no lost update and no duplicate key."""
    return f"""
        PERFORM 1 FROM cases_case c
          WHERE c.id IN (SELECT case_id FROM {case_ids})
          ORDER BY c.id FOR NO KEY UPDATE;
        DELETE FROM {_SUMMARY} s WHERE s.case_id IN (SELECT case_id FROM {case_ids});
        INSERT INTO {_SUMMARY} (case_id, requirement, contact_ats)
        {qualifying_select_sql(_CONTACTS, case_ids)};
        RETURN NULL;
    """


def _summary_trigger(
    operation_name: str, operation: Any, old: str | None = None, new: str | None = None
) -> pgtrigger.Trigger:
    """A statement-level trigger recomputing the summary of the cases its rows touched."""
    tables = [t for t in (old, new) if t]
    source = (
        tables[0]
        if len(tables) == 1
        else ("(" + " UNION ".join(f"SELECT case_id FROM {t}" for t in tables) + ") AS t")
    )
    return pgtrigger.Trigger(
        name=f"qualifying_contacts_{operation_name}",
        operation=operation,
        when=pgtrigger.After,
        level=pgtrigger.Statement,
        referencing=pgtrigger.Referencing(old=old, new=new),
        func=_refresh_summary(source),
    )


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
        # QualifyingContacts follows every write, from any path (service, bulk import,
        # admin, COPY): one recomputation per statement for the cases it touched.
        triggers = [
            _summary_trigger("insert", pgtrigger.Insert, new="new_rows"),
            _summary_trigger("update", pgtrigger.Update, old="old_rows", new="new_rows"),
            _summary_trigger("delete", pgtrigger.Delete, old="old_rows"),
            pgtrigger.Trigger(
                name="qualifying_contacts_truncate",
                operation=pgtrigger.Truncate,
                when=pgtrigger.After,
                level=pgtrigger.Statement,
                # DELETE, not TRUNCATE: a flush truncates both tables in one statement
                func=f"DELETE FROM {_SUMMARY}; RETURN NULL;",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_contact_type_display()} {self.contact_at:%Y-%m-%d}"


class QualifyingContacts(models.Model):
    """Per case and contact requirement, the times of the contacts that count toward it
    (`cases.requirements.REQUIREMENT_RULES`), newest first — every such contact, so any
    evaluation date and supervision start can be applied when it is read.

    Derived data, written only by the triggers on SupervisionContact (never by Python): the
    statewide compliance statement reads one row per (case, requirement) here instead of
    four million contacts (docs/performance.md, design change 12). A requirement with no
    qualifying contact has no row."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    requirement = models.CharField(max_length=32, choices=ContactRequirement.choices)
    contact_ats = ArrayField(models.DateTimeField())

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["case", "requirement"], name="qualifying_contacts_unique"
            )
        ]

    def __str__(self) -> str:
        return f"case {self.case_id} {self.requirement}: {len(self.contact_ats)}"


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
