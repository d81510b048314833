"""What people do with an alert: acknowledge it, resolve it with a note.

Both are compare-and-swap updates (the expected status is in the WHERE), audited in the same
transaction (resolving queues the `alert.resolved` webhook in it, as the sweep does when a
condition clears; acknowledging is no event). Who may act: the assignee, the person it was escalated to, or a supervisor of the
alert's agency (superusers too, audited like everyone).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from agencies.querysets import staff_of
from cases.alerts.engine import queue_alert_webhooks
from cases.choices import AlertStatus
from cases.models import Alert
from sartcm import audit
from sartcm.models import AuditAction, WebhookEvent


def access_alert(user: Any, pk: Any) -> Alert:
    """The alert if the user can see it; 404 whether it is missing or hidden."""
    try:
        alert = Alert.objects.restrict(user, "view").select_related("case").filter(pk=pk).first()
    except (TypeError, ValueError):  # a malformed id ("null,null") is as unknown as a missing one
        alert = None
    if alert is None:
        raise Http404("No such alert.")
    return alert


def can_act(user: Any, alert: Alert) -> bool:
    if user.is_superuser:
        return True
    staff = staff_of(user)
    if staff is None:
        return False
    return (
        alert.assignee_id == staff.pk
        or alert.escalated_to_id == staff.pk
        or (staff.has_role("supervisor") and alert.agency_id == staff.agency_id)
    )


def _check(user: Any, alert: Alert) -> None:
    if not can_act(user, alert):
        raise PermissionDenied(
            "Only the assignee, the person it was escalated to, or a supervisor of the "
            "agency may act on this alert."
        )


def acknowledge(user: Any, alert: Alert) -> Alert:
    """Mark an open alert as seen and being handled (stops its escalation)."""
    _check(user, alert)
    with transaction.atomic():
        changed = Alert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).update(
            status=AlertStatus.ACKNOWLEDGED,
            acknowledged_by=staff_of(user),
            acknowledged_at=timezone.now(),
        )
        if changed != 1:
            raise ValidationError({"status": "Only an open alert can be acknowledged."})
        alert.refresh_from_db()
        audit.record(
            user,
            AuditAction.CHANGE,
            alert,
            changes={"status": [AlertStatus.OPEN, AlertStatus.ACKNOWLEDGED]},
        )
    return alert


def resolve(user: Any, alert: Alert, note: str) -> Alert:
    """Close an alert with a note. A manual resolution sticks: the sweep will not raise the
    same alert (rule, subject, due date) again; the next due date opens a new one."""
    _check(user, alert)
    if not note.strip():
        raise ValidationError({"note": "Say how the alert was resolved."})
    with transaction.atomic():
        previous = alert.status
        changed = (
            Alert.objects.filter(pk=alert.pk)
            .exclude(status=AlertStatus.RESOLVED)
            .update(
                status=AlertStatus.RESOLVED,
                resolved_by=staff_of(user),
                resolved_at=timezone.now(),
                resolution_note=note.strip(),
            )
        )
        if changed != 1:
            raise ValidationError({"status": "This alert is already resolved."})
        alert.refresh_from_db()
        audit.record(
            user,
            AuditAction.CHANGE,
            alert,
            changes={"status": [previous, AlertStatus.RESOLVED]},
            detail=note.strip(),
        )
        queue_alert_webhooks(WebhookEvent.ALERT_RESOLVED, alert)
    return alert
