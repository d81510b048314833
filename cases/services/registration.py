"""Registration compliance: records, reported events, address verification, the schedule.

Every state change here validates, writes in one transaction, audits, and brings the
registration alerts of the case up to date in the same transaction (so a logged verification
clears its alert at once, not at the next sweep). A change of status — by a person, by a
reported event or address check, or by the calendar in the sweep — queues the
`registration.status_changed` webhook in the same transaction, once per change. The verification schedule and the window for
reporting changes come from `protocols.RegistrationSchedule` in force for the jurisdiction.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.http import Http404
from django.utils import timezone

from agencies.choices import RecordType
from agencies.models import Agency
from agencies.querysets import staff_of
from cases import webhooks as case_webhooks
from cases.choices import RegistrationEventKind, RegistrationStatus, VerificationResult
from cases.models import AddressVerification, Case, RegistrationEvent, RegistrationRecord
from protocols.calendar import add_business_days
from protocols.choices import RegistrationRule, Tier
from protocols.models import RegistrationSchedule
from sartcm import audit
from sartcm.context import current
from sartcm.models import AuditAction, WebhookEvent
from sartcm.outbox import nudge_on_commit
from sartcm.webhooks import timestamp_sql

# The SORNA minimum (34 U.S.C. 20915, 20918), used only when no RegistrationSchedule row is in
# force for a jurisdiction or by default, so that no registrant is ever left without a due
# date. Jurisdictions configure their own rules as protocol data.
SORNA_FLOOR: dict[str, tuple[int, int | None]] = {
    Tier.I: (12, 15),
    Tier.II: (6, 25),
    Tier.III: (3, None),
}
DEFAULT_DUE_SOON_DAYS = 14
DEFAULT_REPORT_CHANGE_BUSINESS_DAYS = 3
JUVENILE_TIER_III_REDUCIBLE_TO_YEARS = 25

# Statuses the calendar moves between; the others are set by people (or by ending the period).
DATE_DRIVEN = (
    RegistrationStatus.COMPLIANT,
    RegistrationStatus.DUE,
    RegistrationStatus.NON_COMPLIANT,
)
APPEARANCES = (RegistrationEventKind.INITIAL, RegistrationEventKind.PERIODIC)
REGISTRATION_RULES = (
    "registration_due_soon",
    "registration_overdue",
    "update_late",
    "verification_failed",
)

# Marks "not given" where None is meaningful (period_years=None means life).
UNSET: Any = object()


# --- dates -----------------------------------------------------------------------------------


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (Jan 31 + 1 = Feb 28)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def registration_end_date(start: date, period_years: int | None, custody_days: int) -> date | None:
    """When the registration period ends: start + period + days in custody (None = life)."""
    if period_years is None:
        return None
    return add_months(start, 12 * period_years) + timedelta(days=custody_days)


@dataclass(frozen=True)
class Schedule:
    """The verification rule that applies to one registrant (from RegistrationSchedule rows)."""

    rule: str
    interval: int
    period_years: int | None
    due_soon_days: int
    report_change_business_days: int
    source: RegistrationSchedule | None = None

    @classmethod
    def sorna_floor(cls, tier: str) -> Schedule:
        months, years = SORNA_FLOOR[tier]
        return cls(
            rule=RegistrationRule.INTERVAL_MONTHS,
            interval=months,
            period_years=years,
            due_soon_days=DEFAULT_DUE_SOON_DAYS,
            report_change_business_days=DEFAULT_REPORT_CHANGE_BUSINESS_DAYS,
        )


def schedule_for(jurisdiction: str, tier: str, transient: bool, on: date) -> Schedule:
    """The schedule in force on `on`: the jurisdiction's own rows beat the default rows; a
    transient rule applies to transient registrants; a tier's row beats an all-tier row.

    The registration period comes from the best row *for the tier* (empty = life): an all-tier
    rule such as KORA's quarterly reporting says how often, not for how long.
    """
    rows = list(
        RegistrationSchedule.objects.unrestricted()
        .in_force(on)
        .filter(jurisdiction__in=["", jurisdiction])
        .filter(Q(tier=tier) | Q(tier=""))
    )

    def rank(row: RegistrationSchedule) -> tuple[int, int, int]:
        return (
            0 if row.jurisdiction == jurisdiction and jurisdiction else 1,
            0 if row.applies_to_transient else 1,
            0 if row.tier == tier else 1,
        )

    usable = [row for row in rows if transient or not row.applies_to_transient]
    floor = Schedule.sorna_floor(tier)
    if not usable:
        return floor
    best = min(usable, key=rank)
    tier_rows = [row for row in usable if row.tier == tier and not row.applies_to_transient]
    period = min(tier_rows, key=rank).period_years if tier_rows else floor.period_years
    return Schedule(
        rule=best.rule,
        interval=best.interval,
        period_years=period,
        due_soon_days=best.due_soon_days,
        report_change_business_days=best.report_change_business_days,
        source=best,
    )


def next_verification_due(
    schedule: Schedule, *, start: date, last_appearance: date | None, birth_date: date
) -> date:
    """The next in-person verification date after the last appearance (or registration start).

    - every N months from the start: anchors start + k·N months; an appearance within the
      due-soon window before an anchor satisfies it;
    - birth month quarterly (KORA): the birth month, then the 3rd, 6th and 9th months after;
      due by the last day of the reporting month; an appearance in that month satisfies it;
    - transient: every N days after the last appearance.
    """
    last = max(d for d in (start, last_appearance) if d is not None)
    if schedule.rule == RegistrationRule.TRANSIENT_DAYS:
        return last + timedelta(days=schedule.interval)
    if schedule.rule == RegistrationRule.BIRTH_MONTH_QUARTERLY:
        months = {(birth_date.month - 1 + 3 * k) % 12 + 1 for k in range(4)}
        year, month = last.year, last.month
        for _ in range(13):
            month += 1
            if month > 12:
                year, month = year + 1, 1
            if month in months:  # the month's first day is after the last appearance
                return month_end(year, month)
        raise AssertionError("unreachable: a reporting month occurs every three months")
    k = 1
    while True:
        anchor = add_months(start, k * schedule.interval)
        if anchor - timedelta(days=schedule.due_soon_days) > last:
            return anchor
        k += 1


def date_status(next_due: date | None, due_soon_days: int, on: date) -> str:
    """compliant / due / non-compliant from the calendar alone."""
    if next_due is None or next_due - timedelta(days=due_soon_days) > on:
        return RegistrationStatus.COMPLIANT
    if next_due >= on:
        return RegistrationStatus.DUE
    return RegistrationStatus.NON_COMPLIANT


def juvenile_reducible_to(record: RegistrationRecord) -> int | None:
    """A juvenile tier III registration may be reduced to 25 years (a decision, not automatic)."""
    if record.juvenile and record.tier == Tier.III:
        return JUVENILE_TIER_III_REDUCIBLE_TO_YEARS
    return None


def _recompute(record: RegistrationRecord, on: date) -> Schedule:
    """Refresh the denormalized schedule fields of `record` in memory (caller saves)."""
    schedule = schedule_for(record.jurisdiction, record.tier, record.transient, on)
    record.next_verification_due = next_verification_due(
        schedule,
        start=record.start_date,
        last_appearance=record.last_verified_on,
        birth_date=record.case.offender.date_of_birth,
    )
    record.end_date = registration_end_date(
        record.start_date, record.period_years, record.custody_days_excluded
    )
    if record.status in DATE_DRIVEN:
        record.status = date_status(record.next_verification_due, schedule.due_soon_days, on)
    return schedule


# --- access ----------------------------------------------------------------------------------


def _one_or_404(queryset: QuerySet, pk: Any, message: str) -> Any:
    """The row `pk` of an already restricted queryset, else 404 — missing, forbidden and
    malformed ids ("null,null") alike."""
    try:
        found = queryset.filter(pk=pk).first()
    except (TypeError, ValueError):
        found = None
    if found is None:
        raise Http404(message)
    return found


def access_registration(user: Any, pk: Any, action: str = "view") -> RegistrationRecord:
    """The registration if the user may do `action` on it; 404 whether missing or forbidden."""
    return _one_or_404(
        RegistrationRecord.objects.restrict(user, action).select_related(
            "case", "case__offender", "registering_agency"
        ),
        pk,
        "No such registration.",
    )


def access_case_for_registration(user: Any, pk: Any, action: str = "view") -> Case:
    """The case if the user may do `action` on its registrations; 404 otherwise."""
    return _one_or_404(
        Case.objects.restrict_record(user, action, RecordType.REGISTRATION).select_related(
            "offender"
        ),
        pk,
        "No such case.",
    )


def _recheck(user: Any, record: RegistrationRecord, action: str) -> None:
    """After a write, inside the transaction: still in the user's scope, or roll back."""
    if not RegistrationRecord.objects.restrict(user, action).filter(pk=record.pk).exists():
        raise Http404("No such registration.")


# Case ids (by the date of the change) whose alerts wait for the end of a batch; None: no batch.
_batched: ContextVar[dict[date, set[int]] | None] = ContextVar("registration_batch", default=None)


def _refresh_alerts(case_id: int, on: date) -> None:
    pending = _batched.get()
    if pending is not None:
        pending.setdefault(on, set()).add(case_id)
        return
    from cases.alerts.engine import refresh_cases

    refresh_cases([case_id], rule_codes=REGISTRATION_RULES, on=on)


@contextmanager
def batch() -> Iterator[None]:
    """Many changes in one transaction (a bulk import): the registration alerts of their cases
    are brought up to date once, for all of them, when the batch ends — before the transaction
    commits — instead of after each change, and the status-change webhooks are queued in one
    statement (`cases.webhooks.batch`). Each change is otherwise made exactly as alone. Nothing
    is refreshed or queued when the batch fails or its transaction is marked for rollback."""
    if _batched.get() is not None:  # already inside a batch: it refreshes at its end
        yield
        return
    pending: dict[date, set[int]] = {}
    token = _batched.set(pending)
    try:
        with case_webhooks.batch():
            yield
    finally:
        _batched.reset(token)
    if connection.in_atomic_block and transaction.get_rollback():
        return
    from cases.alerts.engine import refresh_cases

    for on, case_ids in sorted(pending.items()):
        refresh_cases(case_ids, rule_codes=REGISTRATION_RULES, on=on)


def _snapshot(record: RegistrationRecord) -> dict[str, Any]:
    return {
        "tier": record.tier,
        "jurisdiction": record.jurisdiction,
        "status": record.status,
        "period_years": record.period_years,
        "custody_days_excluded": record.custody_days_excluded,
        "juvenile": record.juvenile,
        "transient": record.transient,
        "last_verified_on": str(record.last_verified_on or ""),
        "next_verification_due": str(record.next_verification_due or ""),
        "end_date": str(record.end_date or ""),
    }


@contextmanager
def _changing(record: RegistrationRecord, on: date) -> Iterator[tuple[RegistrationRecord, dict]]:
    """One change of a registration, in one transaction: the row re-read FOR UPDATE (two
    officers' changes never interleave), refused once ended, its state before the change; when
    the change is made, a status change queues its webhook and the case's registration alerts
    are brought up to date."""
    with transaction.atomic():
        locked = _locked(record)
        _refuse_if_ended(locked)
        before = _snapshot(locked)
        yield locked, before
        if locked.status != before["status"]:
            _status_changed(locked, before["status"], on)
        _refresh_alerts(locked.case_id, on)


def _save_changed(user: Any, record: RegistrationRecord, before: dict, detail: str = "") -> None:
    """Save a changed registration, re-check it is still the user's to change, audit it."""
    record.save()
    _recheck(user, record, "change")
    audit.record(
        user,
        AuditAction.CHANGE,
        record,
        changes={"before": before, "after": _snapshot(record)},
        detail=detail,
    )


def _audit_added(
    user: Any, obj: Any, after: dict, record: RegistrationRecord, before: dict
) -> None:
    """A report or check just added to `record`: within the user's scope for adding (else 404,
    which rolls the change back), and audited with the registration's state before and after."""
    if not type(obj).objects.restrict(user, "add").filter(pk=obj.pk).exists():
        raise Http404("No such registration.")
    audit.record(
        user,
        AuditAction.CREATE,
        obj,
        changes={"after": after, "registration": {"before": before, "after": _snapshot(record)}},
    )


def _term_errors(terms: dict[str, Any]) -> dict[str, str]:
    """What is wrong with the tier, custody days or period among `terms` (those given)."""
    errors: dict[str, str] = {}
    if "tier" in terms and terms["tier"] not in Tier.values:
        errors["tier"] = f"Choose one of {', '.join(Tier.values)}."
    if terms.get("custody_days_excluded", 0) < 0:
        errors["custody_days_excluded"] = "Days in custody cannot be negative."
    period = terms.get("period_years")
    if period is not None and period is not UNSET and period < 1:
        errors["period_years"] = "Give a period of at least 1 year, or leave it empty for life."
    return errors


def registration_errors(
    record: RegistrationRecord | None, values: dict[str, Any], on: date | None = None
) -> dict[str, str]:
    """What the service would refuse in `values` (any of the terms, and for a new registration
    (`record` None) its case, jurisdiction and start), field → message; {} when it is fine.
    The forms that write through the service (the admin) show these next to the fields."""
    on = on or timezone.localdate()
    terms = ("tier", "custody_days_excluded", "period_years")
    errors = _term_errors({name: values[name] for name in terms if name in values})
    if record is not None and record.status == RegistrationStatus.ENDED:
        errors["status"] = "This registration has ended; it cannot be changed."
    if record is not None:
        return errors
    jurisdiction = (values.get("jurisdiction") or "").strip()
    if "jurisdiction" in values and not jurisdiction:
        errors["jurisdiction"] = "Name the registering jurisdiction (state or county)."
    start = values.get("start_date")
    if start is not None and start > on:
        errors["start_date"] = "The registration start cannot be in the future."
    case = values.get("case")
    if (
        case is not None
        and jurisdiction
        and RegistrationRecord.objects.filter(
            case=case, jurisdiction=jurisdiction, status__in=_open_statuses()
        ).exists()
    ):
        errors["jurisdiction"] = "This case is already registered in this jurisdiction."
    return errors


# --- services --------------------------------------------------------------------------------


def register(
    user: Any,
    *,
    case: Case,
    registering_agency: Agency,
    tier: str,
    jurisdiction: str,
    start_date: date,
    period_years: int | None = UNSET,
    custody_days_excluded: int = 0,
    juvenile: bool = False,
    transient: bool = False,
    on: date | None = None,
) -> RegistrationRecord:
    """Open a registration: the period (15/25/life unless given) and the first due date come
    from the schedule in force; custody days are excluded from the period."""
    on = on or timezone.localdate()
    terms = {"tier": tier, "custody_days_excluded": custody_days_excluded}
    terms.update(period_years=period_years, jurisdiction=jurisdiction, start_date=start_date)
    errors = registration_errors(None, terms, on)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        duplicate = registration_errors(None, {"case": case, "jurisdiction": jurisdiction}, on)
        if duplicate:
            raise ValidationError(duplicate)
        schedule = schedule_for(jurisdiction.strip(), tier, transient, on)
        record = RegistrationRecord(
            case=case,
            registering_agency=registering_agency,
            tier=tier,
            jurisdiction=jurisdiction.strip(),
            start_date=start_date,
            period_years=schedule.period_years if period_years is UNSET else period_years,
            custody_days_excluded=custody_days_excluded,
            juvenile=juvenile,
            transient=transient,
            status=RegistrationStatus.COMPLIANT,
        )
        _recompute(record, on)
        record.save()
        _recheck(user, record, "add")
        audit.record(user, AuditAction.CREATE, record, changes={"after": _snapshot(record)})
        _refresh_alerts(case.pk, on)
    return record


def update_registration(
    user: Any,
    record: RegistrationRecord,
    *,
    tier: str = UNSET,
    period_years: int | None = UNSET,
    custody_days_excluded: int = UNSET,
    juvenile: bool = UNSET,
    transient: bool = UNSET,
    on: date | None = None,
) -> RegistrationRecord:
    """Change tier, period, custody days or transient status; the schedule is recomputed."""
    on = on or timezone.localdate()
    changes = {
        "tier": tier,
        "period_years": period_years,
        "custody_days_excluded": custody_days_excluded,
        "juvenile": juvenile,
        "transient": transient,
    }
    changes = {k: v for k, v in changes.items() if v is not UNSET}
    errors = _term_errors(changes)
    if errors:
        raise ValidationError(errors)
    with _changing(record, on) as (record, before):
        for name, value in changes.items():
            setattr(record, name, value)
        _recompute(record, on)
        _save_changed(user, record, before)
    return record


def clean_event(*, kind: str, changed_on: date, reported_on: date, on: date) -> None:
    """The rules a reported event must meet before it is recorded (ValidationError naming the
    field); `record_event` applies them, and a bulk import checks every row with them first."""
    errors: dict[str, str] = {}
    if kind not in RegistrationEventKind.values:
        errors["kind"] = f"Choose one of {', '.join(RegistrationEventKind.values)}."
    if reported_on > on:
        errors["reported_on"] = "The report date cannot be in the future."
    if changed_on > reported_on:
        errors["changed_on"] = "The date of the change must be on or before the report date."
    if errors:
        raise ValidationError(errors)


def record_event(
    user: Any,
    record: RegistrationRecord,
    *,
    kind: str,
    changed_on: date,
    reported_on: date,
    details: str = "",
    on: date | None = None,
) -> RegistrationEvent:
    """Record what the registrant reported. A change is due within the schedule's business days
    of the change (holidays excluded) and is late when reported after that; a periodic
    verification is due by the scheduled date. An in-person appearance (initial or periodic)
    moves the next verification date."""
    on = on or timezone.localdate()
    clean_event(kind=kind, changed_on=changed_on, reported_on=reported_on, on=on)
    with _changing(record, on) as (record, before):
        schedule = schedule_for(record.jurisdiction, record.tier, record.transient, on)
        if kind == RegistrationEventKind.PERIODIC:
            due_by = record.next_verification_due
        else:
            due_by = add_business_days(
                changed_on, schedule.report_change_business_days, record.jurisdiction
            )
        event = RegistrationEvent.objects.create(
            registration=record,
            case_id=record.case_id,
            kind=kind,
            changed_on=changed_on,
            reported_on=reported_on,
            due_by=due_by,
            late=due_by is not None and reported_on > due_by,
            details=details,
            recorded_by=staff_of(user),
        )
        if kind in APPEARANCES and (
            record.last_verified_on is None or reported_on > record.last_verified_on
        ):
            record.last_verified_on = reported_on
            _recompute(record, on)
            record.save()
        after = {
            "kind": kind,
            "changed_on": str(changed_on),
            "reported_on": str(reported_on),
            "due_by": str(due_by or ""),
            "late": event.late,
        }
        _audit_added(user, event, after, record, before)
    return event


def record_verification(
    user: Any,
    record: RegistrationRecord,
    *,
    verified_on: date,
    address: str,
    result: str,
    notes: str = "",
    on: date | None = None,
) -> AddressVerification:
    """A registry officer's address check. A failed check (not at address, vacant, refused,
    other) starts absconder review and raises an alert to the registry officer at once; a
    verified check after a failure ends the review."""
    on = on or timezone.localdate()
    errors: dict[str, str] = {}
    if result not in VerificationResult.values:
        errors["result"] = f"Choose one of {', '.join(VerificationResult.values)}."
    if verified_on > on:
        errors["verified_on"] = "The check date cannot be in the future."
    if not address.strip():
        errors["address"] = "Give the address that was checked."
    if result == VerificationResult.OTHER and not notes.strip():
        errors["notes"] = "Describe the outcome when the result is 'other'."
    if errors:
        raise ValidationError(errors)
    with _changing(record, on) as (record, before):
        verification = AddressVerification.objects.create(
            registration=record,
            case_id=record.case_id,
            officer=staff_of(user),
            verified_on=verified_on,
            address=address.strip(),
            result=result,
            notes=notes,
        )
        latest = (
            AddressVerification.objects.filter(registration=record)
            .order_by("-verified_on", "-pk")
            .first()
        )
        if latest is not None and latest.pk == verification.pk:
            if verification.failed and record.status != RegistrationStatus.ABSCONDED:
                record.status = RegistrationStatus.ABSCONDER_REVIEW
                record.save(update_fields=["status", "updated_at"])
            elif not verification.failed and record.status == RegistrationStatus.ABSCONDER_REVIEW:
                record.status = RegistrationStatus.COMPLIANT
                _recompute(record, on)
                record.save()
        after = {"verified_on": str(verified_on), "result": result}
        _audit_added(user, verification, after, record, before)
    return verification


PERSON_SET_STATUSES = (
    RegistrationStatus.COMPLIANT,
    RegistrationStatus.ABSCONDER_REVIEW,
    RegistrationStatus.ABSCONDED,
    RegistrationStatus.ENDED,
)


def set_status(
    user: Any, record: RegistrationRecord, *, status: str, reason: str, on: date | None = None
) -> RegistrationRecord:
    """A registry officer's decision: open or close absconder review, declare the registrant
    absconded, or end the registration. 'compliant' hands the status back to the calendar."""
    on = on or timezone.localdate()
    errors: dict[str, str] = {}
    if status not in PERSON_SET_STATUSES:
        errors["status"] = f"Choose one of {', '.join(PERSON_SET_STATUSES)}."
    if not reason.strip():
        errors["reason"] = "Give the reason for the status change."
    if errors:
        raise ValidationError(errors)
    with _changing(record, on) as (record, before):
        if status == RegistrationStatus.ENDED:
            record.status = RegistrationStatus.ENDED
            if record.end_date is None or record.end_date > on:
                if on <= record.start_date:
                    raise ValidationError(
                        {"status": "A registration cannot end on or before its start date."}
                    )
                record.end_date = on
        elif status == RegistrationStatus.COMPLIANT:
            record.status = RegistrationStatus.COMPLIANT
            _recompute(record, on)
        else:
            record.status = status
        _save_changed(user, record, before, detail=reason.strip())
    return record


def _open_statuses() -> list[str]:
    return [s for s in RegistrationStatus.values if s != RegistrationStatus.ENDED]


def _locked(record: RegistrationRecord) -> RegistrationRecord:
    """Re-read the row FOR UPDATE so two officers' changes never interleave."""
    locked = (
        RegistrationRecord.objects.select_for_update(of=("self",))
        .select_related("case", "case__offender")
        .get(pk=record.pk)
    )
    return locked


def _refuse_if_ended(record: RegistrationRecord) -> None:
    if record.status == RegistrationStatus.ENDED:
        raise ValidationError({"status": "This registration has ended; it cannot be changed."})


# --- the registration.status_changed webhook -------------------------------------------------


STATUS_BODY = {
    "registration": "id",
    "case": "case_id",
    "old_status": "old_status",
    "new_status": "new_status",
    "changed_at": "updated_at",
}


def _status_webhooks_sql(changed: str) -> tuple[str, dict[str, Any]]:
    """INSERT ... SELECT ... RETURNING id queuing `registration.status_changed` for each row of
    `changed` (columns id, case_id, old_status, new_status, updated_at) to every subscribed
    agency that may see the registration's status on %(on)s: the lead agency, or a partner with
    the view grant and an in-force registration term listing `status` (an agency that may see
    the registration but not its status learns nothing, not even that it changed)."""
    values = {key: f"c.{column}" for key, column in STATUS_BODY.items()}
    values["changed_at"] = timestamp_sql(values["changed_at"])
    pairs = ", ".join(f"'{key}', {value}" for key, value in values.items())
    return case_webhooks.case_queue_sql(
        WebhookEvent.REGISTRATION_STATUS,
        RecordType.REGISTRATION,
        source=f"{changed} c JOIN {Case._meta.db_table} cs ON cs.id = c.case_id",
        case="cs",
        body=lambda _allowed: f"jsonb_build_object({pairs})",
        requires="status",
    )


def _status_changed(record: RegistrationRecord, old: str, on: date) -> None:
    """Queue `registration.status_changed` for one change (at the end of a batch, in one)."""
    values = {"id": record.pk, "case_id": record.case_id, "old_status": old}
    values.update(new_status=record.status, updated_at=record.updated_at)
    keys = {key: values[column] for key, column in STATUS_BODY.items()}
    case_webhooks.queue(
        WebhookEvent.REGISTRATION_STATUS,
        RecordType.REGISTRATION,
        [case_webhooks.Notice(record.case_id, keys, {})],
        on,
        requires="status",
    )


# --- the sweep's share: date-driven statuses, set-based ---------------------------------------


def refresh_statuses(on: date, window_sql: str, window_params: dict[str, Any]) -> int:
    """Move date-driven statuses (compliant → due → non-compliant, and ended when the period
    is over) in one statement, which also writes one audit row per change and queues the
    `registration.status_changed` webhooks of the changes (so the number of queries does not
    depend on the number of registrations). Returns the number of registrations changed.

    The rows to change are locked first (FOR UPDATE): a registration changed meanwhile by a
    person is re-read, so the old status reported is the one really replaced, and a row the
    person took out of the calendar's hands is left alone.

    `window_sql` is a SQL integer expression over alias `r` (the due-soon window per
    jurisdiction and tier), built by the alert engine from protocol settings.
    """
    ctx = current()
    new_status = f"""CASE
                     WHEN r.end_date IS NOT NULL AND r.end_date <= %(on)s THEN 'ended'
                     WHEN r.next_verification_due < %(on)s THEN 'non_compliant'
                     WHEN r.next_verification_due <= %(on)s + ({window_sql}) THEN 'due'
                     ELSE 'compliant' END"""
    queue, queue_params = _status_webhooks_sql("changed")
    sql = f"""
        WITH target AS (
            SELECT r.id, r.status AS old_status, {new_status} AS new_status
              FROM cases_registrationrecord r
             WHERE r.status IN ('compliant', 'due', 'non_compliant')
               AND r.status <> {new_status}
               FOR UPDATE
        ),
        changed AS (
            UPDATE cases_registrationrecord r
               SET status = t.new_status, updated_at = now()
              FROM target t
             WHERE r.id = t.id
         RETURNING r.id, r.case_id, r.tier, r.jurisdiction, t.old_status,
                   r.status AS new_status, r.updated_at
        ),
        audited AS (
            INSERT INTO sartcm_auditevent
                (at, request_id, user_id, username, agency_id, action, outcome, channel,
                 object_type, object_id, object_repr, case_id, recipient_agency_id, fields,
                 changes, detail, source_address)
            SELECT now(), %(request_id)s, NULL, '', NULL, 'change', 'success', %(channel)s,
                   'cases.registrationrecord', c.id::text,
                   'Tier ' || c.tier || ' registration in ' || c.jurisdiction, c.case_id, NULL,
                   '[]'::jsonb,
                   jsonb_build_object('status', jsonb_build_array(c.old_status, c.new_status)),
                   'Status follows the verification calendar.', NULL
              FROM changed c
            RETURNING id
        ),
        queued AS ({queue})
        SELECT (SELECT count(*) FROM changed), (SELECT count(*) FROM audited),
               (SELECT count(*) FROM queued)
    """
    params = {
        **window_params,
        **queue_params,
        "on": on,
        "request_id": ctx.request_id,
        "channel": ctx.channel,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        changed, _audited, queued = cursor.fetchone()
    if queued:
        nudge_on_commit()
    return changed


# --- the registry officer's work list ----------------------------------------------------------


@dataclass
class WorkList:
    due_this_week: QuerySet
    overdue: QuerySet
    failed_checks: QuerySet


def work_list(user: Any, on: date | None = None) -> WorkList:
    """Verifications due in the next 7 days, overdue ones, and failed address checks (the
    latest check failed, or absconder review) — among the registrations the user may see."""
    on = on or timezone.localdate()
    visible = (
        RegistrationRecord.objects.restrict(user, "view")
        .exclude(status=RegistrationStatus.ENDED)
        .select_related("case", "case__offender", "registering_agency")
    )
    latest_result = (
        AddressVerification.objects.filter(registration=OuterRef("pk"))
        .order_by("-verified_on", "-pk")
        .values("result")[:1]
    )
    failed = visible.annotate(latest_result=Subquery(latest_result)).filter(
        Q(latest_result__in=_failed_results()) | Q(status=RegistrationStatus.ABSCONDER_REVIEW)
    )
    return WorkList(
        due_this_week=visible.filter(
            next_verification_due__gte=on, next_verification_due__lte=on + timedelta(days=7)
        ).order_by("next_verification_due", "pk"),
        overdue=visible.filter(next_verification_due__lt=on)
        .exclude(status=RegistrationStatus.ABSCONDED)
        .order_by("next_verification_due", "pk"),
        failed_checks=failed.order_by("next_verification_due", "pk"),
    )


def _failed_results() -> list[str]:
    return [r for r in VerificationResult.values if r != VerificationResult.VERIFIED]
