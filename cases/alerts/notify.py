"""What a person reads about an alert — on screen and by email — from THEIR allow-list.

An alert stores a neutral `message` and `facts` keyed by the field names of its record type.
`alert_text(alert, user)` adds only the facts whose field the reader may see
(cases.access.allowed_fields), so a victim advocate's text carries no assessment detail.
Emails are rendered when the outbox delivers them, for the recipient, from the alerts they can
still see at that moment.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from agencies.models import StaffMember
from cases.access import ALL_FIELDS, allowed_fields, prefetch_assignments
from cases.models import Alert
from protocols.choices import AlertRuleCode
from sartcm.outbox import handler, nudge_on_commit

FACT_LABELS: dict[str, str] = {
    "next_verification_due": "Next verification due",
    "tier": "Tier",
    "jurisdiction": "Jurisdiction",
    "status": "Status",
    "events": "Report",
    "verifications": "Check",
    "instrument": "Instrument",
    "next_due": "Due",
    "assessed_on": "Last assessed",
    "total_score": "Score",
    "final_level": "Level",
    "expected_release_date": "Expected release",
    "release_date": "Release date",
    "planner_name": "Planner",
    "provider_name": "Provider",
    "program": "Program",
    "reports": "Reports",
    "contact_type": "Requirement",
    "title": "MOU",
    "expiration_date": "Expires",
    "course": "Course",
    "expires_on": "Expires",
    "protocol": "Protocol",
    "version": "Version",
}


def allowed_for(alert: Alert, user: Any) -> frozenset[str]:
    """The fact names `user` may read on this alert: agency-level alerts (MOU, training,
    protocol) carry no case data; case alerts follow the case's field allow-list."""
    if alert.case_id is None:
        return ALL_FIELDS
    return allowed_fields(user, alert.case, alert.record_type)


def allowed_facts(alert: Alert, user: Any) -> dict[str, str]:
    """The alert's facts whose field `user` may see, by field name."""
    allowed = allowed_for(alert, user)
    return {
        name: str(value)
        for name, value in (alert.facts or {}).items()
        if name in allowed and value not in (None, "")
    }


def visible_facts(alert: Alert, user: Any) -> list[tuple[str, str]]:
    """(label, value) pairs of the facts `user` may see."""
    return [
        (FACT_LABELS.get(name, name.replace("_", " ").capitalize()), value)
        for name, value in allowed_facts(alert, user).items()
    ]


def alert_text(alert: Alert, user: Any) -> str:
    """The alert's text for this reader: the neutral message plus the facts they may see."""
    facts = visible_facts(alert, user)
    if not facts:
        return alert.message
    return f"{alert.message} ({'; '.join(f'{label}: {value}' for label, value in facts)})"


def prepare(alerts: list[Alert], user: Any) -> None:
    """Load the reader's case-team membership for a page of alerts in one query."""
    prefetch_assignments(user, sorted({a.case_id for a in alerts if a.case_id}))


# --- email -------------------------------------------------------------------------------------

EMAIL_LIST_LIMIT = 50  # an email lists this many alerts; the inbox has the rest

SUBJECTS = {
    "raised": "[SARTCM] New critical alert",
    "escalated": "[SARTCM] Alerts escalated to you",
    "digest": "[SARTCM] Your open alerts",
    "referred": "[SARTCM] Release plan referred to your board",
}


def render_email(staff: StaffMember, alerts: list[Alert], reason: str) -> tuple[str, str]:
    """Subject and plain-text body for `staff`, built from fields allowed to them."""
    user = staff.user
    prepare(alerts, user)
    intro = {
        "raised": "A critical alert was raised for you:",
        "escalated": "These alerts were not acknowledged in time and are escalated to you:",
        "digest": "Your open alerts:",
        "referred": "A release plan was referred to your board for review:",
    }[reason]
    lines = [f"Hello {staff.full_name},", "", intro, ""]
    for alert in alerts[:EMAIL_LIST_LIMIT]:
        lines.append(
            f"- [{alert.get_severity_display()}] {AlertRuleCode(alert.rule).label}: "
            f"{alert_text(alert, user)} — due {alert.due_date:%Y-%m-%d}"
        )
    if len(alerts) > EMAIL_LIST_LIMIT:
        lines.append(f"… and {len(alerts) - EMAIL_LIST_LIMIT} more in your inbox.")
    inbox = settings.SITE_URL.rstrip("/") + reverse("cases:alert-inbox")
    lines += ["", f"Open your inbox: {inbox}", "", "SARTCM — restricted system; use is monitored."]
    if reason == "raised" and len(alerts) > 1:
        subject = f"[SARTCM] {len(alerts)} new critical alerts"
    elif reason == "digest":
        subject = f"{SUBJECTS[reason]} ({len(alerts)})"
    else:
        subject = SUBJECTS[reason]
    return subject, "\n".join(lines)


def _recipient(staff_id: Any) -> StaffMember | None:
    staff = (
        StaffMember.objects.select_related("user", "agency")
        .filter(pk=staff_id, active=True, user__is_active=True, agency__active=True)
        .first()
    )
    if staff is None or not staff.user.email:
        return None
    staff.user._sartcm_staff = staff  # staff_of() cache: restrict() needs no second lookup
    return staff


def _send(staff: StaffMember, alerts: list[Alert], reason: str) -> None:
    subject, body = render_email(staff, alerts, reason)
    EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[staff.user.email]
    ).send(fail_silently=False)


@handler("alert_email")
def deliver_alert_email(payload: dict[str, Any]) -> None:
    """A new critical alert or an escalation: only alerts the recipient can still see."""
    staff = _recipient(payload.get("staff_id"))
    if staff is None:
        return
    alerts = list(
        Alert.objects.restrict(staff.user)
        .open()
        .filter(pk__in=payload.get("alert_ids", []))
        .select_related("case")
        .order_by("due_date", "pk")
    )
    if alerts:
        _send(staff, alerts, payload.get("reason", "raised"))


@handler("alert_digest")
def deliver_alert_digest(payload: dict[str, Any]) -> None:
    """The daily digest: open alerts assigned or escalated to the recipient."""
    staff = _recipient(payload.get("staff_id"))
    if staff is None:
        return
    alerts = list(
        Alert.objects.restrict(staff.user)
        .open()
        .filter(Q(assignee=staff) | Q(escalated_to=staff))
        .select_related("case")
        .order_by("due_date", "pk")
    )
    if alerts:
        _send(staff, alerts, "digest")


DIGEST_SQL = """
INSERT INTO sartcm_outboxmessage
    (id, created_at, kind, payload, status, attempts, next_attempt_at, sent_at, last_error)
SELECT gen_random_uuid(), now(), 'alert_digest',
       jsonb_build_object('staff_id', r.staff_id, 'on', %(on)s::text),
       'pending', 0, now(), NULL, ''
  FROM (SELECT assignee_id AS staff_id FROM cases_alert
         WHERE NOT (status = 'resolved') AND assignee_id IS NOT NULL
        UNION
        SELECT escalated_to_id FROM cases_alert
         WHERE NOT (status = 'resolved') AND escalated_to_id IS NOT NULL) r
  JOIN agencies_staffmember s ON s.id = r.staff_id
  JOIN auth_user u ON u.id = s.user_id
 WHERE s.active AND u.is_active AND u.email <> ''
   AND NOT EXISTS (
       SELECT 1 FROM sartcm_outboxmessage o
        WHERE o.kind = 'alert_digest'
          AND o.payload @> jsonb_build_object('staff_id', r.staff_id, 'on', %(on)s::text))
"""


def queue_digests(on: date | None = None) -> int:
    """Queue one digest per person with open alerts (once per day), in one statement."""
    on = on or timezone.localdate()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(DIGEST_SQL, {"on": on.isoformat()})
            queued = cursor.rowcount
        if queued:
            nudge_on_commit()
    return queued
