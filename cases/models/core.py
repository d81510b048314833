"""The case, its team, its active conditions and the object-permission table."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from guardian.models import GroupObjectPermissionBase

from agencies.choices import RecordType, all_case_permissions
from agencies.models import Agency, StaffMember
from cases.choices import CaseStatus, TeamRole
from cases.models.offenders import Offender
from cases.querysets import CaseQuerySet, CaseRecordQuerySet
from protocols.choices import SupervisionLevel
from protocols.models import SpecialCondition


class Case(models.Model):
    """An offender's case with one lead agency, which has full standing on it.

    Other agencies see it only through active MOU terms (guardian grants on this row).
    `version` increases on every change, for optimistic concurrency (ETag / If-Match).
    """

    RECORD_TYPE = RecordType.STATUS

    offender = models.ForeignKey(Offender, on_delete=models.PROTECT, related_name="cases")
    case_number = models.CharField(max_length=30)
    lead_agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="lead_cases")
    case_manager = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="managed_cases"
    )
    officer = models.ForeignKey(
        StaffMember,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supervised_cases",
    )
    status = models.CharField(
        max_length=16, choices=CaseStatus.choices, default=CaseStatus.INCARCERATED
    )
    jurisdiction = models.CharField(max_length=100)
    expected_release_date = models.DateField(null=True, blank=True)
    release_date = models.DateField(null=True, blank=True)
    supervision_start = models.DateField(null=True, blank=True)
    supervision_end = models.DateField(null=True, blank=True)
    supervision_level = models.CharField(
        max_length=10, choices=SupervisionLevel.choices, blank=True
    )
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        permissions = all_case_permissions()
        indexes = [
            # restrict(): WHERE lead_agency_id = %s OR id IN (grants)
            models.Index(fields=["lead_agency", "status"], name="case_lead_status_idx"),
            # Contact sweep: WHERE status = 'supervised'
            models.Index(
                fields=["supervision_level"],
                name="case_supervised_idx",
                condition=Q(status="supervised"),
            ),
            # Release-plan sweep: WHERE expected_release_date <= %s AND status IN (...)
            models.Index(
                fields=["expected_release_date"],
                name="case_release_idx",
                condition=Q(status__in=["incarcerated", "pre_release"]),
            ),
            models.Index(fields=["updated_at"], name="case_updated_idx"),
            # A partner's case list picks its page by updated_at among the ids its grants
            # give (≈700 statewide), and a case-team partner's search finds the people of
            # those cases (7,300 at national size): index-only probes instead of a heap read
            # per case (docs/performance.md, design changes 11 and 22). Case updates already
            # touch case_updated_idx, so this costs them one more index entry, not HOT updates.
            models.Index(
                fields=["id"], include=["updated_at", "offender"], name="case_id_covering_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case_number"],
                name="%(app_label)s_%(class)s_unique_case_number",
                violation_error_message="A case with this number already exists.",
            ),
            models.CheckConstraint(
                condition=Q(supervision_end__isnull=True)
                | Q(supervision_start__isnull=False, supervision_end__gte=F("supervision_start")),
                name="%(app_label)s_%(class)s_supervision_period",
                violation_error_message="Supervision end must be on or after supervision start.",
            ),
            models.CheckConstraint(
                condition=~Q(status="supervised")
                | (Q(supervision_start__isnull=False) & ~Q(supervision_level="")),
                name="%(app_label)s_%(class)s_supervised_has_start_and_level",
                violation_error_message="A supervised case needs a supervision start date and a supervision level.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_number} ({self.offender})"

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> Case:
        """Remember the lead agency the row had when loaded: saving a change of it re-syncs
        the case's grants (cases.signals). Here rather than in a post_init receiver, which
        made Django send post_init for every model instance it builds (≈300 per list page)
        and recorded a value never loaded for an instance built by hand."""
        instance = super().from_db(db, field_names, values)
        # __dict__ so a deferred field is never loaded just for this
        instance._loaded_lead_agency_id = instance.__dict__.get("lead_agency_id")  # type: ignore[attr-defined]
        return instance

    @property
    def case_id(self) -> int:  # so audit helpers treat a case like its children
        return self.pk


class CaseAssignment(models.Model):
    """A member of the case team: an agency (and optionally a person) in a role, for a period.

    An active assignment of a partner agency brings `assigned`-scope MOU terms into play.
    """

    RECORD_TYPE = RecordType.STATUS

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="assignments")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="case_assignments")
    staff = models.ForeignKey(
        StaffMember,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="case_assignments",
    )
    role = models.CharField(max_length=24, choices=TeamRole.choices)
    start_date = models.DateField(default=date.today)
    end_date = models.DateField(null=True, blank=True)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        indexes = [
            # Grant derivation for `assigned` scope: WHERE agency_id = %s AND end_date IS NULL
            models.Index(
                fields=["agency", "case"],
                name="assignment_active_idx",
                condition=Q(end_date__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="%(app_label)s_%(class)s_period",
                violation_error_message="The end date must be on or after the start date.",
            ),
            models.UniqueConstraint(
                fields=["case", "agency", "role"],
                condition=Q(end_date__isnull=True),
                name="%(app_label)s_%(class)s_unique_active",
                violation_error_message="This agency already has an active assignment in this role on the case.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency.short_name} as {self.get_role_display()} on {self.case.case_number}"


class CaseCondition(models.Model):
    """A special condition in force on a case (copied from the approved release plan)."""

    RECORD_TYPE = RecordType.STATUS

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="conditions")
    condition = models.ForeignKey(SpecialCondition, on_delete=models.PROTECT, related_name="+")
    details = models.TextField(blank=True)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__isnull=True) | Q(end_date__gte=F("start_date")),
                name="%(app_label)s_%(class)s_period",
                violation_error_message="The end date must be on or after the start date.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.condition.title} on {self.case.case_number}"


class CaseGroupObjectPermission(GroupObjectPermissionBase):
    """guardian direct-foreign-key grants: an agency group's permission on one case.

    Derived state: written only by cases.access.sync_grants from the active MOU terms.
    """

    content_object = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="grants")

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
        # guardian's unique_together (group, permission, content_object) is the index that
        # serves restrict(): WHERE group_id = %s AND permission_id = %s -> content_object_id


class AgencyWideGrant(models.Model):
    """Standing on EVERY case whose lead agency is `provider`: one row per recipient agency
    group, permission and provider, for MOU terms of scope `all`.

    A statewide term would otherwise need one CaseGroupObjectPermission row per case and
    permission (100,000 cases x 36 permissions = 3.6 million rows for one community
    supervision district); this is one row per permission, and it covers cases opened later
    without a sync. Per-case rows remain for scope `assigned` (the case team decides).
    Derived state: written only by cases.access.sync_grants from the in-force MOU terms.
    """

    group = models.ForeignKey("auth.Group", on_delete=models.CASCADE, related_name="+")
    permission = models.ForeignKey("auth.Permission", on_delete=models.CASCADE, related_name="+")
    provider = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            # also the index that serves restrict(): group + permission -> provider ids
            models.UniqueConstraint(
                fields=["group", "permission", "provider"], name="cases_agencywidegrant_unique"
            )
        ]
        indexes = [models.Index(fields=["provider"], name="cases_agencywidegrant_provider")]

    def __str__(self) -> str:
        return f"{self.group} {self.permission.codename} on every case of {self.provider}"
