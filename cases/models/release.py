"""Release plans, their components, victims, and parole board review and decisions."""

from __future__ import annotations

import pgtrigger
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from agencies.choices import RecordType
from agencies.models import Agency, StaffMember
from cases.choices import Decision, HousingStatus, ReleasePlanStatus, Vote
from cases.models.core import Case
from cases.querysets import BoardScopedQuerySet, CaseRecordQuerySet
from protocols.models import SpecialCondition


class ReleasePlan(models.Model):
    """A release plan prepared before release and reviewed by the parole board.

    `version` increments on each save; a save that names an older version is refused as a
    conflict (two editors never silently overwrite each other).
    """

    RECORD_TYPE = RecordType.RELEASE_PLANS

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="release_plans")
    status = models.CharField(
        max_length=26, choices=ReleasePlanStatus.choices, default=ReleasePlanStatus.DRAFT
    )
    release_date = models.DateField()
    planner = models.ForeignKey(StaffMember, null=True, on_delete=models.SET_NULL, related_name="+")
    # Residence
    residence_address = models.CharField(max_length=300, blank=True)
    residence_city = models.CharField(max_length=100, blank=True)
    residence_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    residence_longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    housing_status = models.CharField(max_length=16, choices=HousingStatus.choices, blank=True)
    landlord = models.CharField(max_length=200, blank=True)
    residence_approved = models.BooleanField(
        null=True, help_text="Outcome of the home investigation."
    )
    home_investigated_by = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    home_investigated_on = models.DateField(null=True, blank=True)
    restriction_check = models.JSONField(
        default=dict, blank=True, help_text="Result of the residence-restriction check."
    )
    # Treatment, employment, transport, support
    treatment_referral = models.CharField(max_length=300, blank=True)
    treatment_provider = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    treatment_intake_date = models.DateField(null=True, blank=True)
    employment = models.CharField(max_length=300, blank=True)
    income_source = models.CharField(max_length=200, blank=True)
    transportation = models.CharField(max_length=300, blank=True)
    support_network = models.TextField(blank=True)
    # Victim safety
    exclusion_zones = models.TextField(blank=True)
    notification_wishes = models.TextField(blank=True)
    # Transition
    transition_services = models.JSONField(
        default=dict, blank=True, help_text="id, benefits, medication, first_appointments"
    )
    pre_registered = models.BooleanField(default=False)
    supervision_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    supervision_officer = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    checklist = models.JSONField(default=dict, blank=True, help_text="Checklist item code → done.")
    version = models.PositiveIntegerField(default=1)
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    BOARD_FIELD = "reviews__board_id"  # the reviewing board (BoardScopedQuerySet)
    objects = BoardScopedQuerySet.as_manager()

    class Meta:
        ordering = ["release_date"]
        indexes = [
            # Board queue: WHERE status IN ('submitted','under_review') ORDER BY release_date
            models.Index(
                fields=["release_date"],
                name="plan_review_queue_idx",
                condition=Q(status__in=["submitted", "under_review"]),
            ),
            models.Index(fields=["case", "status"], name="plan_case_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=~Q(status__in=["denied", "released", "returned"]),
                name="%(app_label)s_%(class)s_one_open_per_case",
                violation_error_message="This case already has an open release plan.",
            ),
        ]

    def __str__(self) -> str:
        return f"Release plan for {self.case.case_number} ({self.get_status_display()})"


class HouseholdMember(models.Model):
    """Someone living at the proposed residence; minors matter."""

    RECORD_TYPE = RecordType.RELEASE_PLANS

    plan = models.ForeignKey(
        ReleasePlan, on_delete=models.CASCADE, related_name="household_members"
    )
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=150)
    relationship = models.CharField(max_length=60)
    age = models.PositiveSmallIntegerField(null=True, blank=True)
    is_minor = models.BooleanField(default=False)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(age__isnull=True) | Q(age__gte=18) | Q(is_minor=True),
                name="%(app_label)s_%(class)s_minor_flag",
                violation_error_message="A household member under 18 must be flagged as a minor.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PlanCondition(models.Model):
    """A special condition chosen for a plan from the versioned catalogue."""

    RECORD_TYPE = RecordType.RELEASE_PLANS

    plan = models.ForeignKey(ReleasePlan, on_delete=models.CASCADE, related_name="conditions")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    condition = models.ForeignKey(SpecialCondition, on_delete=models.PROTECT, related_name="+")
    details = models.TextField(blank=True, help_text="e.g. curfew hours, exclusion zone.")

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["plan", "condition"],
                name="%(app_label)s_%(class)s_unique",
                violation_error_message="This condition is already on the plan.",
            ),
        ]

    def __str__(self) -> str:
        return str(self.condition)


class Victim(models.Model):
    """A victim registered for notification / protected by no-contact conditions.

    Victim identity is the most sensitive data in the system: victim-safety standing only.
    """

    RECORD_TYPE = RecordType.VICTIM_SAFETY

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="victims")
    name = models.CharField(max_length=150)
    no_contact = models.BooleanField(default=True)
    notify = models.BooleanField(default=True)
    notification_channel = models.CharField(
        max_length=20, blank=True, help_text="email, phone, mail"
    )
    notification_address = models.CharField(max_length=200, blank=True)
    advocate_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = CaseRecordQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Victim on {self.case.case_number}"


class BoardReview(models.Model):
    """A plan referred to the board, with an optional hearing."""

    RECORD_TYPE = RecordType.BOARD_DECISIONS

    plan = models.ForeignKey(ReleasePlan, on_delete=models.CASCADE, related_name="reviews")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    board = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="board_reviews")
    referred_at = models.DateTimeField(auto_now_add=True)
    hearing_date = models.DateTimeField(null=True, blank=True)
    hearing_location = models.CharField(max_length=200, blank=True)
    public_comment = models.TextField(blank=True)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    BOARD_FIELD = "board_id"  # the reviewing board (BoardScopedQuerySet)
    objects = BoardScopedQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Board review of {self.plan}"


@pgtrigger.register(
    # A recorded decision is the board's legal act: PostgreSQL refuses any change or removal;
    # a later decision points at it through `supersedes` instead.
    pgtrigger.Protect(name="board_decision_immutable_update", operation=pgtrigger.Update),
    pgtrigger.Protect(name="board_decision_immutable_delete", operation=pgtrigger.Delete),
)
class BoardDecision(models.Model):
    """A recorded decision: immutable; a later decision supersedes it."""

    RECORD_TYPE = RecordType.BOARD_DECISIONS

    review = models.ForeignKey(BoardReview, on_delete=models.PROTECT, related_name="decisions")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    decision = models.CharField(max_length=24, choices=Decision.choices)
    decided_on = models.DateField()
    conditions = models.TextField(blank=True)
    rationale = models.TextField()
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    recorded_by = models.ForeignKey(
        StaffMember, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    BOARD_FIELD = "review__board_id"  # the reviewing board (BoardScopedQuerySet)
    objects = BoardScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-recorded_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(rationale=""),
                name="%(app_label)s_%(class)s_rationale_required",
                violation_error_message="A decision needs a rationale.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} on {self.decided_on}"


@pgtrigger.register(
    pgtrigger.Protect(name="board_vote_immutable_update", operation=pgtrigger.Update),
    pgtrigger.Protect(name="board_vote_immutable_delete", operation=pgtrigger.Delete),
)
class BoardVote(models.Model):
    """One board member's vote on a decision (immutable with it)."""

    RECORD_TYPE = RecordType.BOARD_DECISIONS

    decision = models.ForeignKey(BoardDecision, on_delete=models.CASCADE, related_name="votes")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    member = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    vote = models.CharField(max_length=24, choices=Vote.choices)
    comment = models.TextField(blank=True)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    BOARD_FIELD = "decision__review__board_id"  # the reviewing board (BoardScopedQuerySet)
    objects = BoardScopedQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["decision", "member"],
                name="%(app_label)s_%(class)s_unique_member",
                violation_error_message="This member has already voted on this decision.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_vote_display()}"
