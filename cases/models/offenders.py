"""The person: identity, aliases and convictions (record type: identity)."""

from __future__ import annotations

from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Collate, Lower, Now

from agencies.choices import RecordType
from cases.choices import Sex, VictimAgeGroup, VictimRelationship
from cases.querysets import OffenderQuerySet, OffenderRecordQuerySet


class Offender(models.Model):
    """A person under SART management. Identity is shared across the person's cases."""

    RECORD_TYPE = RecordType.IDENTITY

    first_name = models.CharField(max_length=80)
    middle_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices)
    state_id = models.CharField("state ID", max_length=20, blank=True)
    doc_number = models.CharField("DOC number", max_length=20, blank=True)
    fbi_number = models.CharField("FBI number", max_length=20, blank=True)
    height_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    weight_kg = models.PositiveSmallIntegerField(null=True, blank=True)
    eye_color = models.CharField(max_length=20, blank=True)
    hair_color = models.CharField(max_length=20, blank=True)
    scars_marks_tattoos = models.TextField(blank=True)
    photo_note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = OffenderQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            # Forgiving name search: WHERE last_name % %s / ILIKE, via pg_trgm
            GinIndex(fields=["last_name"], name="offender_last_trgm", opclasses=["gin_trgm_ops"]),
            GinIndex(fields=["first_name"], name="offender_first_trgm", opclasses=["gin_trgm_ops"]),
            models.Index(fields=["date_of_birth"], name="offender_dob_idx"),
            # Search by prefix (cases.search): `lower(name) COLLATE "C" LIKE 'dav%'` is a range
            # of these, walked in (name, other name, id) order until enough visible people.
            models.Index(
                Collate(Lower("first_name"), "C"),
                Collate(Lower("last_name"), "C"),
                F("id"),
                name="offender_first_lower",
            ),
            models.Index(
                Collate(Lower("last_name"), "C"),
                Collate(Lower("first_name"), "C"),
                F("id"),
                name="offender_last_lower",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["state_id"],
                condition=~Q(state_id=""),
                name="%(app_label)s_%(class)s_unique_state_id",
                violation_error_message="Another offender already has this state ID.",
            ),
            models.UniqueConstraint(
                fields=["doc_number"],
                condition=~Q(doc_number=""),
                name="%(app_label)s_%(class)s_unique_doc_number",
                violation_error_message="Another offender already has this DOC number.",
            ),
            models.UniqueConstraint(
                fields=["fbi_number"],
                condition=~Q(fbi_number=""),
                name="%(app_label)s_%(class)s_unique_fbi_number",
                violation_error_message="Another offender already has this FBI number.",
            ),
            models.CheckConstraint(
                condition=Q(date_of_birth__gt="1900-01-01"),
                name="%(app_label)s_%(class)s_plausible_dob",
                violation_error_message="The date of birth must be after 1900-01-01.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name}"

    @property
    def full_name(self) -> str:
        return " ".join(
            part for part in (self.first_name, self.middle_name, self.last_name) if part
        )


class OffenderAlias(models.Model):
    """Another name the person is known by (searchable)."""

    RECORD_TYPE = RecordType.IDENTITY

    offender = models.ForeignKey(Offender, on_delete=models.CASCADE, related_name="aliases")
    first_name = models.CharField(max_length=80, blank=True)
    last_name = models.CharField(max_length=80)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = OffenderRecordQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "offender aliases"
        indexes = [
            GinIndex(fields=["last_name"], name="alias_last_trgm", opclasses=["gin_trgm_ops"])
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name}".strip(", ")


class Conviction(models.Model):
    """A conviction, with the victim's age group and relationship (for instrument coding)."""

    RECORD_TYPE = RecordType.IDENTITY

    offender = models.ForeignKey(Offender, on_delete=models.CASCADE, related_name="convictions")
    statute = models.CharField(max_length=60)
    description = models.CharField(max_length=300)
    jurisdiction = models.CharField(max_length=100)
    offense_date = models.DateField(null=True, blank=True)
    conviction_date = models.DateField()
    sentencing_date = models.DateField(null=True, blank=True)
    victim_age_group = models.CharField(
        max_length=12, choices=VictimAgeGroup.choices, default=VictimAgeGroup.UNKNOWN
    )
    victim_relationship = models.CharField(
        max_length=12, choices=VictimRelationship.choices, default=VictimRelationship.UNKNOWN
    )
    victim_male = models.BooleanField(default=False)
    sexual = models.BooleanField(default=True)
    registrable = models.BooleanField(default=True)
    is_index = models.BooleanField(
        default=False, help_text="The index offense of the current case."
    )

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = OffenderRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-conviction_date"]
        constraints = [
            models.CheckConstraint(
                condition=Q(offense_date__isnull=True) | Q(offense_date__lte=F("conviction_date")),
                name="%(app_label)s_%(class)s_offense_before_conviction",
                violation_error_message="The offense date must be on or before the conviction date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.statute} {self.description} ({self.conviction_date})"
