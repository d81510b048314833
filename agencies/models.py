"""Agencies, their staff and roles, and specialized staff training."""

from __future__ import annotations

from datetime import date, timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from agencies.choices import AgencyKind, Role
from agencies.querysets import AgencyQuerySet, StaffQuerySet, TrainingRecordQuerySet
from agencies.roles import ADMIN_ROLES, AUDIT_ROLES


class Agency(models.Model):
    """A SART partner agency. Its auth group holds the agency's object permissions on cases."""

    API_SCOPE = "{action}:reference"  # scope an API key needs (sartcm.querysets)

    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=40)
    kind = models.CharField(max_length=32, choices=AgencyKind.choices)
    jurisdiction = models.CharField(max_length=100, help_text="State or county the agency serves.")
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)
    group = models.OneToOneField(
        Group, on_delete=models.PROTECT, related_name="agency", editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AgencyQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "agencies"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                name="%(app_label)s_%(class)s_unique_name",
                violation_error_message="An agency with this name already exists.",
            ),
            models.UniqueConstraint(
                fields=["short_name"],
                name="%(app_label)s_%(class)s_unique_short_name",
                violation_error_message="An agency with this short name already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        if self.group_id is None:
            self.group, _ = Group.objects.get_or_create(name=f"agency:{self.short_name}")
        super().save(*args, **kwargs)


def display_name(first_name: str, last_name: str, username: str) -> str:
    """A staff member's name as shown: Django's `get_full_name()`, else the username. Also
    for rows that carry the three columns instead of the user (`agencies.querysets.names`)."""
    return f"{first_name} {last_name}".strip() or username


class StaffMember(models.Model):
    """A person working for one agency, with the roles they hold there."""

    API_SCOPE = "{action}:reference"  # scope an API key needs (sartcm.querysets)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="staff")
    roles = ArrayField(models.CharField(max_length=32, choices=Role.choices), default=list)
    title = models.CharField(max_length=100, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    is_signatory = models.BooleanField(
        default=False, help_text="Authorized to sign MOUs for the agency."
    )
    active = models.BooleanField(default=True)
    supervisor = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )

    objects = StaffQuerySet.as_manager()

    class Meta:
        ordering = ["user__last_name", "user__first_name"]
        indexes = [models.Index(fields=["agency", "active"], name="staff_agency_active_idx")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(roles=[]),
                name="%(app_label)s_%(class)s_has_role",
                violation_error_message="A staff member needs at least one role.",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        user = self.user
        return display_name(user.first_name, user.last_name, user.username)

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_admin(self) -> bool:
        return any(role in ADMIN_ROLES for role in self.roles)

    @property
    def is_auditor(self) -> bool:
        return any(role in AUDIT_ROLES for role in self.roles)

    def role_labels(self) -> str:
        return ", ".join(Role(role).label for role in self.roles)


class TrainingCourse(models.Model):
    """Specialized training (e.g. "Static-99R coding", "Containment model for officers")."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    hours = models.DecimalField(max_digits=5, decimal_places=1, default=0)
    provider = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(
                fields=["title"],
                name="%(app_label)s_%(class)s_unique_title",
                violation_error_message="A course with this title already exists.",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class TrainingRequirement(models.Model):
    """A role must complete a course, and renew it every `renewal_months` (0 = once)."""

    role = models.CharField(max_length=32, choices=Role.choices)
    course = models.ForeignKey(
        TrainingCourse, on_delete=models.CASCADE, related_name="requirements"
    )
    renewal_months = models.PositiveIntegerField(default=12)
    grace_days = models.PositiveIntegerField(
        default=30, help_text="Days after hire to complete it."
    )
    agency = models.ForeignKey(
        Agency,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="training_requirements",
        help_text="Empty: applies statewide.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["role", "course", "agency"],
                name="%(app_label)s_%(class)s_unique_role_course",
                nulls_distinct=False,
                violation_error_message="This role already has a requirement for this course.",
            ),
        ]

    def __str__(self) -> str:
        return f"{Role(self.role).label}: {self.course}"


class TrainingRecord(models.Model):
    """A completed course, with evidence, and when it expires."""

    API_SCOPE = "{action}:training"  # scope an API key needs (sartcm.querysets)

    staff = models.ForeignKey(
        StaffMember, on_delete=models.CASCADE, related_name="training_records"
    )
    course = models.ForeignKey(TrainingCourse, on_delete=models.PROTECT, related_name="records")
    completed_on = models.DateField()
    expires_on = models.DateField(null=True, blank=True)
    evidence = models.FileField(upload_to="training/", blank=True)
    evidence_note = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = TrainingRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-completed_on"]
        indexes = [
            # Training-expiry alert sweep: WHERE expires_on <= %s
            models.Index(fields=["expires_on"], name="training_expires_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True) | Q(expires_on__gt=models.F("completed_on")),
                name="%(app_label)s_%(class)s_expires_after_completion",
                violation_error_message="The expiry date must be after the completion date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.staff} — {self.course} ({self.completed_on})"

    def is_current(self, on: date | None = None) -> bool:
        on = on or date.today()
        return self.expires_on is None or self.expires_on >= on

    def expiring_within(self, days: int, on: date | None = None) -> bool:
        on = on or date.today()
        return self.expires_on is not None and on <= self.expires_on <= on + timedelta(days=days)
