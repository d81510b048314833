"""Alerts raised by the sweep: one open alert per rule, subject and due date."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.db.models.functions import Now

from agencies.choices import RecordType
from agencies.models import Agency, StaffMember
from cases.choices import AlertSeverity, AlertStatus
from cases.models.core import Case
from cases.querysets import AlertQuerySet
from protocols.choices import AlertRuleCode


class Alert(models.Model):
    """Something due or wrong that a person must act on.

    `subject_key` identifies what the alert is about (e.g. "case:12:face_to_face",
    "mou:3", "training:41"); with rule and due date it is unique among open alerts, so two
    sweeps can never raise the same alert twice.
    """

    RECORD_TYPE = RecordType.STATUS

    rule = models.CharField(max_length=32, choices=AlertRuleCode.choices)
    subject_key = models.CharField(max_length=80)
    record_type = models.CharField(
        max_length=20, choices=RecordType.choices, default=RecordType.STATUS
    )
    case = models.ForeignKey(
        Case, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="alerts")
    due_date = models.DateField()
    severity = models.CharField(
        max_length=8, choices=AlertSeverity.choices, default=AlertSeverity.WARNING
    )
    status = models.CharField(max_length=12, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    message = models.CharField(max_length=300)
    # Field-name → value pairs behind the message (names from agencies.vocabulary for
    # `record_type`), so each reader's text is rendered from the fields allowed to them.
    facts = models.JSONField(default=dict, blank=True)
    assignee = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts"
    )
    escalated_to = models.ForeignKey(
        StaffMember,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # alert_escalated_to_idx: only escalated alerts (new ones are not)
    )
    escalated_at = models.DateTimeField(null=True, blank=True)
    raised_at = models.DateTimeField(auto_now_add=True)
    # No index on acknowledged_by / resolved_by: nothing looks alerts up by them, and every
    # index costs each of the sweep's inserts (a first statewide sweep raises ≈138,000).
    acknowledged_by = models.ForeignKey(
        StaffMember,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        StaffMember,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)

    updated_at = models.DateTimeField(auto_now=True, db_default=Now())

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["due_date"]
        indexes = [
            # Inbox: WHERE assignee_id = %s AND status <> 'resolved'
            models.Index(
                fields=["assignee", "due_date"],
                name="alert_inbox_idx",
                condition=~Q(status="resolved"),
            ),
            # The sweep's "a person resolved this very alert" check: only manual resolutions,
            # so it stays small while resolved alerts pile up over the years (and costs the
            # sweep's inserts nothing: new alerts are open)
            models.Index(
                fields=["rule", "subject_key", "due_date"],
                name="alert_manual_resolution_idx",
                condition=Q(status="resolved", resolved_by__isnull=False),
            ),
            # The inbox's "escalated to me": partial, so the sweep's inserts skip it
            models.Index(
                fields=["escalated_to"],
                name="alert_escalated_to_idx",
                condition=Q(escalated_to__isnull=False),
            ),
            # Escalation sweep: WHERE status = 'open' AND escalated_at IS NULL AND raised_at <= %s
            models.Index(
                fields=["raised_at"],
                name="alert_escalation_idx",
                condition=Q(status="open", escalated_at__isnull=True),
            ),
        ]
        constraints = [
            # Also the sweep's index for "the rule's open alerts" (WHERE rule = %s AND status
            # <> 'resolved'): a second index on (rule, subject_key) only cost inserts.
            models.UniqueConstraint(
                fields=["rule", "subject_key", "due_date"],
                condition=~Q(status="resolved"),
                name="%(app_label)s_%(class)s_unique_open",
                violation_error_message="An open alert for this rule, subject and due date already exists.",
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | Q(resolved_at__isnull=False),
                name="%(app_label)s_%(class)s_resolved_has_time",
                violation_error_message="A resolved alert needs a resolution time.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_rule_display()}: {self.message}"
