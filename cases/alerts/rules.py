"""Alert rules: each one small, set-based SQL producing the alerts that *should* be open now.

A rule is an object with a `code` (protocols.choices.AlertRuleCode), the `record_type` its facts
belong to, and `desired(ctx)` returning (sql, params): one query, no per-case Python loop, whose
rows have exactly these columns

    subject_key text, case_id bigint, agency_id bigint, due_date date, severity text,
    message text, assignee_id bigint, facts jsonb

`message` is the neutral text anyone who can see the alert may read; `facts` are field-name →
value pairs (names from agencies.vocabulary for `record_type`) that are shown to a reader only
when the field is on their allow-list (cases.alerts.notify.alert_text).

Optionally `holds(ctx)` is a SQL predicate over an open alert `a` that keeps the alert open
although it is no longer in the desired set (a missing monthly report stays missing after the
month rolls over). `available()` is False when the rule's data source is not installed, and
the sweep reports the rule as skipped.

The sweep deliberately sees every row (it is the `.unrestricted()` background job of the
access model); what people then see of an alert is restricted when it is read.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from agencies.choices import RecordType, Role
from cases.choices import (
    CaseStatus,
    RegistrationStatus,
    ReleasePlanStatus,
    TeamRole,
)
from protocols.choices import AlertRuleCode, ContactRequirement, SupervisionLevel

Sql = tuple[str, dict[str, Any]]

R = AlertRuleCode


# --- settings from protocols, loaded once per sweep ------------------------------------------


@dataclass
class SweepSettings:
    """AlertSetting and RegistrationSchedule rows in force on the sweep date (two queries).

    Values resolve per jurisdiction: the jurisdiction's own row, else the default row ('').
    """

    alert: dict[tuple[str, str], Any] = field(default_factory=dict)
    schedules: list[Any] = field(default_factory=list)

    @classmethod
    def load(cls, on: date) -> SweepSettings:
        from protocols.models import AlertSetting, RegistrationSchedule

        alert = {
            (row.rule, row.jurisdiction): row
            for row in AlertSetting.objects.unrestricted().in_force(on)
        }
        schedules = list(RegistrationSchedule.objects.unrestricted().in_force(on))
        return cls(alert=alert, schedules=schedules)

    def setting(self, rule: str, jurisdiction: str = "") -> Any:
        return self.alert.get((rule, jurisdiction)) or self.alert.get((rule, ""))

    def enabled(self, rule: str) -> bool:
        """False only when the default row disables the rule and no jurisdiction enables it."""
        default = self.alert.get((rule, ""))
        if default is None or default.enabled:
            return True
        return any(row.enabled for (code, j), row in self.alert.items() if code == rule and j)

    def value(self, rule: str, name: str, fallback: int, jurisdiction: str = "") -> int:
        row = self.setting(rule, jurisdiction)
        return getattr(row, name) if row is not None else fallback

    def by_jurisdiction(self, rule: str, name: str, fallback: int, column: str, key: str) -> Sql:
        """A SQL integer: the setting for the row's jurisdiction (`column`), else the default."""
        default = self.value(rule, name, fallback)
        params: dict[str, Any] = {f"{key}_default": default}
        whens = []
        for n, ((code, jurisdiction), row) in enumerate(sorted(self.alert.items())):
            if code != rule or not jurisdiction:
                continue
            params[f"{key}_j{n}"] = jurisdiction
            params[f"{key}_v{n}"] = getattr(row, name)
            whens.append(f"WHEN {column} = %({key}_j{n})s THEN %({key}_v{n})s")
        sql = f"(CASE {' '.join(whens)} ELSE %({key}_default)s END)" if whens else ""
        return (sql or f"%({key}_default)s::int", params)

    def maximum(self, rule: str, name: str, fallback: int) -> int:
        values = [getattr(row, name) for (code, _), row in self.alert.items() if code == rule]
        return max([fallback if self.setting(rule) is None else 0, *values])

    def disabled_jurisdictions(self, rule: str) -> list[str]:
        return [
            j for (code, j), row in self.alert.items() if code == rule and j and not row.enabled
        ]

    def registration_window(self, key: str = "win") -> Sql:
        """Due-soon window (days) over alias `r` (a registration): the jurisdiction's alert
        setting, else its schedule for the tier, else the default alert setting, else the
        default schedule, else 14 days."""
        rule = R.REGISTRATION_DUE_SOON
        params: dict[str, Any] = {}
        whens: list[str] = []
        n = 0

        def add(condition: str, values: dict[str, Any], days: int) -> None:
            nonlocal n
            names = {k: f"{key}_{k}{n}" for k in values}
            cond = condition.format(**{k: f"%({v})s" for k, v in names.items()})
            params.update({names[k]: v for k, v in values.items()})
            params[f"{key}_d{n}"] = days
            whens.append(f"WHEN {cond} THEN %({key}_d{n})s")
            n += 1

        for (code, jurisdiction), row in sorted(self.alert.items()):
            if code == rule and jurisdiction:
                add("r.jurisdiction = {j}", {"j": jurisdiction}, row.due_soon_days)

        # Schedules in the order schedule_for() ranks them: a transient rule (for transient
        # registrants only) before a tier's rule before an all-tier rule.
        def schedule_whens(rows: list[Any], jurisdiction_sql: str) -> None:
            for s in sorted(
                rows, key=lambda s: (s.jurisdiction, not s.applies_to_transient, s.tier == "")
            ):
                parts = [jurisdiction_sql] if jurisdiction_sql else []
                values: dict[str, Any] = {"j": s.jurisdiction} if jurisdiction_sql else {}
                if s.applies_to_transient:
                    parts.append("r.transient")
                if s.tier:
                    parts.append("r.tier = {t}")
                    values["t"] = s.tier
                add(" AND ".join(parts) or "TRUE", values, s.due_soon_days)

        schedule_whens([s for s in self.schedules if s.jurisdiction], "r.jurisdiction = {j}")
        default_setting = self.alert.get((rule, ""))
        if default_setting is None:
            schedule_whens([s for s in self.schedules if not s.jurisdiction], "")
        fallback = default_setting.due_soon_days if default_setting is not None else 14
        params[f"{key}_else"] = fallback
        sql = f"(CASE {' '.join(whens)} ELSE %({key}_else)s END)" if whens else ""
        return (sql or f"%({key}_else)s::int", params)

    def registration_window_max(self) -> int:
        days = [s.due_soon_days for s in self.schedules]
        days += [
            row.due_soon_days
            for (code, _), row in self.alert.items()
            if code == R.REGISTRATION_DUE_SOON
        ]
        return max([14, *days])


@dataclass
class RuleContext:
    """What a rule needs: the sweep date, an optional case scope, the settings, a memo."""

    on: date
    settings: SweepSettings
    case_ids: list[int] | None = None
    memo: dict[str, Any] = field(default_factory=dict)

    def scope(self, column: str) -> str:
        """SQL restricting a case-id column to the scope (empty for a full sweep)."""
        return "" if self.case_ids is None else f" AND {column} = ANY(%(case_ids)s)"

    def params(self, **extra: Any) -> dict[str, Any]:
        base: dict[str, Any] = {"on": self.on}
        if self.case_ids is not None:
            base["case_ids"] = list(self.case_ids)
        base.update(extra)
        return base


# --- SQL building blocks ------------------------------------------------------------------------


def lit(value: str) -> str:
    """A SQL string literal for a code constant (TextChoices values: never user input)."""
    if not all(ch.isalnum() or ch in "_- " for ch in value):
        raise ValueError(f"not a code constant: {value!r}")
    return f"'{value}'"


def labels(column: str, choices: Iterable[tuple[str, str]]) -> str:
    """CASE mapping a choice column to its human label (labels are code constants)."""
    whens = " ".join(
        f"WHEN {lit(value)} THEN '{str(label).replace(chr(39), chr(39) * 2)}'"
        for value, label in choices
    )
    return f"(CASE {column} {whens} ELSE {column} END)"


def iso(column: str) -> str:
    return f"to_char({column}, 'YYYY-MM-DD')"


def active_staff(column: str) -> str:
    """The staff id in `column` if that person is active (else NULL). An uncorrelated IN, so
    PostgreSQL hashes the active staff once per statement instead of two index probes per row
    (statewide, 70,000 contact alerts: ≈0.3 s)."""
    return (
        f"(CASE WHEN {column} IN (SELECT s.id FROM agencies_staffmember s"
        " JOIN auth_user u ON u.id = s.user_id WHERE s.active AND u.is_active)"
        f" THEN {column} END)"
    )


def first_with_role(agency_column: str, role: str) -> str:
    """The agency's first active staff member holding `role` (lowest id: stable routing)."""
    return (
        "(SELECT s.id FROM agencies_staffmember s JOIN auth_user u ON u.id = s.user_id"
        f" WHERE s.agency_id = {agency_column} AND s.active AND u.is_active"
        f" AND {lit(role)} = ANY(s.roles) ORDER BY s.id LIMIT 1)"
    )


def case_officer(case_alias: str = "c") -> str:
    """Contact and treatment alerts: the supervising officer, else the case manager."""
    return f"COALESCE({active_staff(f'{case_alias}.officer_id')}, {active_staff(f'{case_alias}.case_manager_id')})"


def case_manager(case_alias: str = "c") -> str:
    """Reassessment and release alerts: the case manager, else the supervising officer."""
    return f"COALESCE({active_staff(f'{case_alias}.case_manager_id')}, {active_staff(f'{case_alias}.officer_id')})"


def registry_officer(reg_alias: str = "r") -> str:
    """Registration alerts: the registering agency's registry officer on the case team, else
    that agency's first active registry officer."""
    team = (
        "(SELECT ca.staff_id FROM cases_caseassignment ca"
        " JOIN agencies_staffmember s ON s.id = ca.staff_id JOIN auth_user u ON u.id = s.user_id"
        f" WHERE ca.case_id = {reg_alias}.case_id AND ca.agency_id = {reg_alias}.registering_agency_id"
        f" AND ca.role = {lit(TeamRole.REGISTRY)} AND ca.end_date IS NULL"
        f" AND s.active AND u.is_active AND {lit(Role.REGISTRY_OFFICER)} = ANY(s.roles)"
        " ORDER BY ca.id LIMIT 1)"
    )
    fallback = first_with_role(f"{reg_alias}.registering_agency_id", Role.REGISTRY_OFFICER)
    return f"COALESCE({team}, {fallback})"


def not_disabled(settings: SweepSettings, rule: str, column: str, key: str) -> Sql:
    disabled = settings.disabled_jurisdictions(rule)
    if not disabled:
        return ("", {})
    return (f" AND NOT ({column} = ANY(%({key})s))", {key: disabled})


# --- the rule type ------------------------------------------------------------------------------


class Rule:
    """One alert rule. Subclasses set `code`, `record_type` and implement `desired`."""

    code: str = ""
    record_type: str = RecordType.STATUS
    case_scoped: bool = True  # can be limited to some cases (False: staff/agency-level rules)
    # For a sweep run in lanes (cases.alerts.engine): rules with the same lane_group share a
    # session (a memoised temporary table) and run in one lane; weight balances the lanes
    # (statewide seconds, roughly).
    lane_group: str = ""
    weight: float = 0.1

    def available(self) -> bool:
        return True

    def desired(self, ctx: RuleContext) -> Sql:
        raise NotImplementedError

    def holds(self, ctx: RuleContext) -> Sql | None:
        return None

    def __repr__(self) -> str:
        return f"<Rule {self.code}>"


class RegistrationDueSoon(Rule):
    """Verification due within the window (alert setting, else the registration schedule)."""

    code = R.REGISTRATION_DUE_SOON
    weight = 0.5
    record_type = RecordType.REGISTRATION
    severity = "warning"
    overdue = False

    def desired(self, ctx: RuleContext) -> Sql:
        window, wparams = ctx.settings.registration_window()
        off, oparams = not_disabled(ctx.settings, self.code, "r.jurisdiction", "off")
        if self.overdue:
            when = "r.next_verification_due < %(on)s"
            text = "'Registration verification overdue since ' || " + iso("r.next_verification_due")
        else:
            when = (
                "r.next_verification_due >= %(on)s"
                " AND r.next_verification_due <= %(on)s + %(max_window)s::int"
                f" AND r.next_verification_due <= %(on)s + {window}"
            )
            text = "'Registration verification due ' || " + iso("r.next_verification_due")
        sql = f"""
            SELECT 'registration:' || r.id AS subject_key, r.case_id,
                   r.registering_agency_id AS agency_id, r.next_verification_due AS due_date,
                   {lit(self.severity)} AS severity,
                   {text} || ' — case ' || c.case_number AS message,
                   {registry_officer("r")} AS assignee_id,
                   jsonb_build_object(
                       'next_verification_due', {iso("r.next_verification_due")},
                       'tier', r.tier, 'jurisdiction', r.jurisdiction,
                       'status', {labels("r.status", RegistrationStatus.choices)}
                   ) AS facts
              FROM cases_registrationrecord r JOIN cases_case c ON c.id = r.case_id
             WHERE NOT (r.status = 'ended') AND r.status <> 'absconded'
               AND r.next_verification_due IS NOT NULL AND {when}
               {off}{ctx.scope("r.case_id")}
        """
        return sql, ctx.params(
            **wparams, **oparams, max_window=ctx.settings.registration_window_max()
        )


class RegistrationOverdue(RegistrationDueSoon):
    """The verification date has passed without an in-person appearance."""

    code = R.REGISTRATION_OVERDUE
    severity = "critical"
    weight = 0.8
    overdue = True


EVENT_KINDS = (
    ("initial", "Initial registration"),
    ("periodic", "Periodic verification"),
    ("residence", "Change of residence"),
    ("employment", "Change of employment"),
    ("school", "Change of school/student status"),
    ("name", "Change of name"),
    ("vehicle", "Change of vehicle"),
    ("internet", "Change of internet identifier"),
    ("travel", "Travel notice"),
)
VERIFICATION_RESULTS = (
    ("verified", "Verified"),
    ("not_at_address", "Not at address"),
    ("vacant", "Vacant"),
    ("refused", "Refused"),
    ("other", "Other"),
)


class UpdateReportedLate(Rule):
    """A change reported after its window. Stays open until a person resolves it (a late
    report does not become timely), or the event is corrected, or the registration ends."""

    code = R.UPDATE_LATE
    weight = 1.0
    record_type = RecordType.REGISTRATION

    def desired(self, ctx: RuleContext) -> Sql:
        off, oparams = not_disabled(ctx.settings, self.code, "r.jurisdiction", "off")
        kind = labels("e.kind", EVENT_KINDS)
        sql = f"""
            SELECT 'regevent:' || e.id AS subject_key, e.case_id,
                   r.registering_agency_id AS agency_id, e.due_by AS due_date,
                   'warning' AS severity,
                   'Registration update reported late — case ' || c.case_number AS message,
                   {registry_officer("r")} AS assignee_id,
                   jsonb_build_object(
                       'events', {kind} || ' on ' || {iso("e.changed_on")} || ', reported '
                                 || {iso("e.reported_on")} || ' (due ' || {iso("e.due_by")} || ')',
                       'jurisdiction', r.jurisdiction
                   ) AS facts
              FROM cases_registrationevent e
              JOIN cases_registrationrecord r ON r.id = e.registration_id
              JOIN cases_case c ON c.id = e.case_id
             WHERE e.late AND e.due_by IS NOT NULL AND NOT (r.status = 'ended')
               {off}{ctx.scope("e.case_id")}
        """
        return sql, ctx.params(**oparams)


class VerificationFailed(Rule):
    """The latest address check of a registration failed (not at address, vacant, …).
    Clears when a later check verifies the address."""

    code = R.VERIFICATION_FAILED
    weight = 0.3
    record_type = RecordType.REGISTRATION

    def desired(self, ctx: RuleContext) -> Sql:
        off, oparams = not_disabled(ctx.settings, self.code, "r.jurisdiction", "off")
        result = labels("v.result", VERIFICATION_RESULTS)
        sql = f"""
            SELECT 'verification:' || v.id AS subject_key, v.case_id,
                   r.registering_agency_id AS agency_id, v.verified_on AS due_date,
                   'critical' AS severity,
                   'Address verification failed on ' || {iso("v.verified_on")}
                       || ' — case ' || c.case_number AS message,
                   {registry_officer("r")} AS assignee_id,
                   jsonb_build_object(
                       'verifications', {result} || ' at ' || v.address || ' on '
                                        || {iso("v.verified_on")},
                       'status', {labels("r.status", RegistrationStatus.choices)},
                       'jurisdiction', r.jurisdiction
                   ) AS facts
              FROM cases_addressverification v
              JOIN cases_registrationrecord r ON r.id = v.registration_id
              JOIN cases_case c ON c.id = v.case_id
             WHERE NOT (v.result = 'verified') AND NOT (r.status = 'ended')
               AND NOT EXISTS (
                   SELECT 1 FROM cases_addressverification later
                    WHERE later.registration_id = v.registration_id
                      AND (later.verified_on, later.id) > (v.verified_on, v.id))
               {off}{ctx.scope("v.case_id")}
        """
        return sql, ctx.params(**oparams)


class ReassessmentDue(Rule):
    """The latest valid assessment per case and instrument is due for repetition (within the
    alert setting's due-soon window, or past due). Clears when a newer assessment is scored."""

    code = R.REASSESSMENT_DUE
    record_type = RecordType.ASSESSMENTS

    def desired(self, ctx: RuleContext) -> Sql:
        window, wparams = ctx.settings.by_jurisdiction(
            self.code, "due_soon_days", 14, "c.jurisdiction", "win"
        )
        off, oparams = not_disabled(ctx.settings, self.code, "c.jurisdiction", "off")
        sql = f"""
            SELECT 'reassessment:' || a.case_id || ':' || i.code AS subject_key, a.case_id,
                   c.lead_agency_id AS agency_id, a.next_due AS due_date,
                   CASE WHEN a.next_due < %(on)s THEN 'critical' ELSE 'warning' END AS severity,
                   'Reassessment due ' || {iso("a.next_due")} || ' — case ' || c.case_number
                       AS message,
                   {case_manager("c")} AS assignee_id,
                   jsonb_build_object(
                       'instrument', i.name, 'next_due', {iso("a.next_due")},
                       'assessed_on', {iso("a.assessed_on")}, 'total_score', a.total_score,
                       'final_level', a.final_level
                   ) AS facts
              FROM cases_riskassessment a
              JOIN protocols_instrument i ON i.id = a.instrument_id
              JOIN cases_case c ON c.id = a.case_id
             WHERE a.status = 'valid' AND a.next_due IS NOT NULL
               AND a.next_due <= %(on)s + %(max_window)s::int
               AND a.next_due <= %(on)s + {window}
               AND c.status NOT IN ({lit(CaseStatus.DISCHARGED)}, {lit(CaseStatus.DECEASED)})
               AND NOT EXISTS (
                   SELECT 1 FROM cases_riskassessment b
                     JOIN protocols_instrument bi ON bi.id = b.instrument_id
                    WHERE b.case_id = a.case_id AND bi.code = i.code AND b.status = 'valid'
                      AND (b.assessed_on, b.id) > (a.assessed_on, a.id))
               {off}{ctx.scope("a.case_id")}
        """
        return sql, ctx.params(
            **wparams,
            **oparams,
            max_window=ctx.settings.maximum(self.code, "due_soon_days", 14),
        )


class ReleaseWithoutPlan(Rule):
    """Expected release within the protocol's lead time and no approved release plan."""

    code = R.RELEASE_NO_PLAN
    record_type = RecordType.STATUS

    def desired(self, ctx: RuleContext) -> Sql:
        lead, lparams = ctx.settings.by_jurisdiction(
            self.code, "release_lead_days", 90, "c.jurisdiction", "lead"
        )
        off, oparams = not_disabled(ctx.settings, self.code, "c.jurisdiction", "off")
        approved = ", ".join(
            lit(s) for s in (ReleasePlanStatus.APPROVED, ReleasePlanStatus.APPROVED_WITH_CONDITIONS)
        )
        status = labels("c.status", CaseStatus.choices)
        sql = f"""
            SELECT 'release:' || c.id AS subject_key, c.id AS case_id,
                   c.lead_agency_id AS agency_id, c.expected_release_date AS due_date,
                   CASE WHEN c.expected_release_date <= %(on)s + 30 THEN 'critical'
                        ELSE 'warning' END AS severity,
                   'Release on ' || {iso("c.expected_release_date")}
                       || ' without an approved release plan — case ' || c.case_number
                       AS message,
                   {case_manager("c")} AS assignee_id,
                   jsonb_build_object(
                       'expected_release_date', {iso("c.expected_release_date")},
                       'status', {status}
                   ) AS facts
              FROM cases_case c
             WHERE c.status IN ({lit(CaseStatus.INCARCERATED)}, {lit(CaseStatus.PRE_RELEASE)})
               AND c.expected_release_date <= %(on)s + %(max_lead)s::int
               AND c.expected_release_date <= %(on)s + {lead}
               AND NOT EXISTS (
                   SELECT 1 FROM cases_releaseplan p
                    WHERE p.case_id = c.id AND p.status IN ({approved}))
               {off}{ctx.scope("c.id")}
        """
        return sql, ctx.params(
            **lparams,
            **oparams,
            max_lead=ctx.settings.maximum(self.code, "release_lead_days", 90),
        )


class BoardReferral(Rule):
    """A plan referred to a parole board and awaiting its decision: one alert per active board
    member of that board, in their inbox until the board decides (the plan leaves review).

    Keyed by the referral (BoardReview) and the member, so a re-referral after a return raises
    new alerts, and re-applying the rule (a retried request, the next sweep) raises none. The
    facts are release-plan fields: each member reads only those their board's terms share.
    """

    code = R.BOARD_REFERRAL
    record_type = RecordType.RELEASE_PLANS

    def desired(self, ctx: RuleContext) -> Sql:
        off, oparams = not_disabled(ctx.settings, self.code, "c.jurisdiction", "off")
        status = labels("p.status", ReleasePlanStatus.choices)
        planner = (
            "(SELECT COALESCE(NULLIF(trim(pu.first_name || ' ' || pu.last_name), ''), pu.username)"
            " FROM agencies_staffmember ps JOIN auth_user pu ON pu.id = ps.user_id"
            " WHERE ps.id = p.planner_id)"
        )
        sql = f"""
            SELECT 'boardreview:' || r.id || ':member:' || s.id AS subject_key, r.case_id,
                   r.board_id AS agency_id, p.release_date AS due_date,
                   CASE WHEN p.release_date <= %(on)s + 30 THEN 'warning'
                        ELSE 'info' END AS severity,
                   'Release plan referred to ' || b.short_name || ' for review — case '
                       || c.case_number AS message,
                   s.id AS assignee_id,
                   jsonb_strip_nulls(jsonb_build_object(
                       'release_date', {iso("p.release_date")},
                       'status', {status},
                       'planner_name', {planner}
                   )) AS facts
              FROM cases_boardreview r
              JOIN cases_releaseplan p ON p.id = r.plan_id
              JOIN cases_case c ON c.id = r.case_id
              JOIN agencies_agency b ON b.id = r.board_id
              JOIN agencies_staffmember s ON s.agency_id = r.board_id
              JOIN auth_user u ON u.id = s.user_id
             WHERE p.status = {lit(ReleasePlanStatus.UNDER_REVIEW)}
               AND NOT EXISTS (
                   SELECT 1 FROM cases_boardreview later
                    WHERE later.plan_id = r.plan_id
                      AND (later.referred_at, later.id) > (r.referred_at, r.id))
               AND s.active AND u.is_active AND {lit(Role.BOARD_MEMBER)} = ANY(s.roles)
               {off}{ctx.scope("r.case_id")}
        """
        return sql, ctx.params(**oparams)


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(day: date) -> date:
    return month_start(month_start(day) - timedelta(days=1))


class TreatmentReportMissing(Rule):
    """An active enrollment (intake before this month) has no progress report for the previous
    month. The alert (due the first of this month) stays open until that month's report is
    filed or the enrollment ends, even after later months roll in."""

    code = R.TREATMENT_REPORT_MISSING
    record_type = RecordType.TREATMENT

    def desired(self, ctx: RuleContext) -> Sql:
        off, oparams = not_disabled(ctx.settings, self.code, "c.jurisdiction", "off")
        sql = f"""
            SELECT 'enrollment:' || e.id || ':' || to_char(%(month)s::date, 'YYYY-MM')
                       AS subject_key,
                   e.case_id, c.lead_agency_id AS agency_id, %(this_month)s::date AS due_date,
                   'warning' AS severity,
                   'Treatment report missing for ' || to_char(%(month)s::date, 'FMMonth YYYY')
                       || ' — case ' || c.case_number AS message,
                   {case_officer("c")} AS assignee_id,
                   jsonb_build_object(
                       'provider_name', p.name, 'program', e.program,
                       'reports', 'No report for ' || to_char(%(month)s::date, 'FMMonth YYYY')
                   ) AS facts
              FROM cases_treatmentenrollment e
              JOIN cases_case c ON c.id = e.case_id
              JOIN agencies_agency p ON p.id = e.provider_id
             WHERE e.discharge_status = 'active' AND e.intake_date < %(this_month)s
               AND NOT EXISTS (
                   SELECT 1 FROM cases_treatmentreport t
                    WHERE t.enrollment_id = e.id AND t.month = %(month)s::date)
               {off}{ctx.scope("e.case_id")}
        """
        return sql, ctx.params(
            **oparams, month=previous_month(ctx.on), this_month=month_start(ctx.on)
        )

    def holds(self, ctx: RuleContext) -> Sql | None:
        sql = """
            EXISTS (
                SELECT 1 FROM cases_treatmentenrollment e
                 WHERE e.id = split_part(a.subject_key, ':', 2)::bigint
                   AND e.discharge_status = 'active'
                   AND NOT EXISTS (
                       SELECT 1 FROM cases_treatmentreport t
                        WHERE t.enrollment_id = e.id
                          AND t.month = (a.due_date - interval '1 month')::date))
        """
        return sql, {}


class MouExpiring(Rule):
    """An active MOU expires within the window (default 60 days): one alert per party agency,
    to that agency's administrator."""

    code = R.MOU_EXPIRING
    case_scoped = False

    def desired(self, ctx: RuleContext) -> Sql:
        sql = f"""
            SELECT 'mou:' || m.id || ':agency:' || mp.agency_id AS subject_key,
                   NULL::bigint AS case_id, mp.agency_id, m.expiration_date AS due_date,
                   CASE WHEN m.expiration_date <= %(on)s + 14 THEN 'critical'
                        ELSE 'warning' END AS severity,
                   'MOU expires on ' || {iso("m.expiration_date")} || ': ' || m.title AS message,
                   {first_with_role("mp.agency_id", Role.AGENCY_ADMIN)} AS assignee_id,
                   jsonb_build_object('title', m.title,
                                      'expiration_date', {iso("m.expiration_date")}) AS facts
              FROM mou_mou m JOIN mou_mouparty mp ON mp.mou_id = m.id
             WHERE m.status = 'active'
               AND m.expiration_date >= %(on)s AND m.expiration_date <= %(on)s + %(window)s::int
        """
        return sql, ctx.params(window=ctx.settings.value(self.code, "due_soon_days", 60))


class MouExpired(Rule):
    """An MOU has passed its expiration date (raised for 30 days after; stays open until a
    person resolves it, or the MOU is extended or terminated)."""

    code = R.MOU_EXPIRED
    case_scoped = False
    lookback_days = 30

    def desired(self, ctx: RuleContext) -> Sql:
        sql = f"""
            SELECT 'mou:' || m.id || ':agency:' || mp.agency_id AS subject_key,
                   NULL::bigint AS case_id, mp.agency_id, m.expiration_date AS due_date,
                   'critical' AS severity,
                   'MOU expired on ' || {iso("m.expiration_date")} || ': ' || m.title
                       || ' — sharing under it has stopped' AS message,
                   {first_with_role("mp.agency_id", Role.AGENCY_ADMIN)} AS assignee_id,
                   jsonb_build_object('title', m.title,
                                      'expiration_date', {iso("m.expiration_date")}) AS facts
              FROM mou_mou m JOIN mou_mouparty mp ON mp.mou_id = m.id
             WHERE m.status IN ('active', 'expired')
               AND m.expiration_date < %(on)s AND m.expiration_date >= %(on)s - %(lookback)s::int
        """
        return sql, ctx.params(lookback=self.lookback_days)

    def holds(self, ctx: RuleContext) -> Sql | None:
        sql = """
            EXISTS (
                SELECT 1 FROM mou_mou m
                 WHERE m.id = split_part(a.subject_key, ':', 2)::bigint
                   AND m.status IN ('active', 'expired') AND m.expiration_date < %(on)s)
        """
        return sql, {"on": ctx.on}


class TrainingExpiring(Rule):
    """The latest record per staff member and course expires within the window (default
    30 days); the alert goes to the staff member themself. Clears when renewed."""

    code = R.TRAINING_EXPIRING
    case_scoped = False
    expired = False

    def desired(self, ctx: RuleContext) -> Sql:
        if self.expired:
            when = "t.expires_on < %(on)s"
            text = "'Training expired on '"
            severity = "'critical'"
            params = ctx.params()
        else:
            when = "t.expires_on >= %(on)s AND t.expires_on <= %(on)s + %(window)s::int"
            text = "'Training expires on '"
            severity = "'warning'"
            params = ctx.params(window=ctx.settings.value(self.code, "due_soon_days", 30))
        sql = f"""
            SELECT 'training:' || t.staff_id || ':' || t.course_id AS subject_key,
                   NULL::bigint AS case_id, s.agency_id, t.expires_on AS due_date,
                   {severity} AS severity,
                   {text} || {iso("t.expires_on")} || ': ' || co.title AS message,
                   s.id AS assignee_id,
                   jsonb_build_object('course', co.title,
                                      'expires_on', {iso("t.expires_on")}) AS facts
              FROM agencies_trainingrecord t
              JOIN agencies_staffmember s ON s.id = t.staff_id
              JOIN auth_user u ON u.id = s.user_id
              JOIN agencies_trainingcourse co ON co.id = t.course_id
             WHERE t.expires_on IS NOT NULL AND {when}
               AND s.active AND u.is_active AND co.active
               AND NOT EXISTS (
                   SELECT 1 FROM agencies_trainingrecord later
                    WHERE later.staff_id = t.staff_id AND later.course_id = t.course_id
                      AND (later.completed_on, later.id) > (t.completed_on, t.id))
        """
        return sql, params


class TrainingExpired(TrainingExpiring):
    code = R.TRAINING_EXPIRED
    expired = True


# --- rules over other helpers' set-based functions ------------------------------------------


def _function(path: str) -> Callable[..., Any] | None:
    module_name, _, name = path.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    return getattr(module, name, None)


def _field(row: Any, name: str, index: int) -> Any:
    if isinstance(row, Mapping):
        return row[name]
    if hasattr(row, name):
        return getattr(row, name)
    return row[index]


class ExternalRule(Rule):
    """A rule computed from another module's set-based function; available when installed."""

    source = ""

    def available(self) -> bool:
        return _function(self.source) is not None

    def rows(self, ctx: RuleContext, *args: Any, **kwargs: Any) -> list[Any]:
        key = f"{self.source}:{ctx.on}:{ctx.case_ids}"
        if key not in ctx.memo:
            fn = _function(self.source)
            assert fn is not None
            ctx.memo[key] = list(fn(*args, **kwargs))
        return ctx.memo[key]


REQUIREMENTS = tuple(ContactRequirement.choices)


# The problem rows of the compliance statement, computed once per sweep and kept in the
# database for both contact rules (a temporary table of this session, replaced by the next
# sweep): nothing crosses to Python and back, and ANALYZE gives the planner their real number.
CONTACT_PROBLEMS = "pg_temp.alert_contact_problems"


def contact_problems(ctx: RuleContext) -> str:
    """The table of (case_id, requirement, due_date, kind) for the sweep's scope, built by the
    first contact rule that asks (one query of three statements); its name."""
    from django.db import connection

    from cases.compliance import (
        BEHIND,
        FIRST_MISSED,
        PROBLEM_STATUSES,
        ComplianceStatus,
        compliance_sql,
        scope_sql,
    )

    key = f"contact_problems:{ctx.on}:{ctx.case_ids}"
    if key not in ctx.memo:
        scope, scope_params = scope_sql(ctx.case_ids)
        sql, params = compliance_sql(scope, scope_params, ctx.on, only_statuses=PROBLEM_STATUSES)
        params.update(
            _first_missed_status=ComplianceStatus.INITIAL_MISSED.value,
            _first_missed=FIRST_MISSED,
            _behind=BEHIND,
        )
        with connection.cursor() as cursor:
            cursor.execute(
                f"DROP TABLE IF EXISTS {CONTACT_PROBLEMS};"
                " CREATE TEMPORARY TABLE alert_contact_problems AS"
                " SELECT p.case_id, p.requirement::text AS requirement, p.due_date,"
                " CASE WHEN p.status = %(_first_missed_status)s THEN %(_first_missed)s"
                " ELSE %(_behind)s END AS kind"
                f" FROM ({sql}) p;"
                f" ANALYZE {CONTACT_PROBLEMS};",
                params,
            )
        ctx.memo[key] = CONTACT_PROBLEMS
    return ctx.memo[key]


class ContactBehind(Rule):
    """Contact standard behind, per requirement: the rows of the compliance statement
    (`cases.compliance.compliance_sql`) whose status is 'behind' (this rule) or
    'initial_missed' (FirstContactMissed), through `contact_problems`."""

    code = R.CONTACT_BEHIND
    lane_group = "contacts"  # both read the temporary table contact_problems builds
    weight = 3.0
    record_type = RecordType.CONTACTS
    source = "cases.compliance:compliance_sql"
    kind = "behind"
    prefix = "contact"

    def available(self) -> bool:
        return _function(self.source) is not None

    def desired(self, ctx: RuleContext) -> Sql:
        table = contact_problems(ctx)
        off, oparams = not_disabled(ctx.settings, self.code, "c.jurisdiction", "off")
        requirement = labels("b.requirement", REQUIREMENTS)
        text = (
            "'Contact standard behind: '"
            if self.kind == "behind"
            else "'First-contact deadline missed: '"
        )
        sql = f"""
            SELECT {lit(self.prefix)} || ':' || b.case_id || ':' || b.requirement AS subject_key,
                   b.case_id, c.lead_agency_id AS agency_id, b.due_date,
                   CASE WHEN c.supervision_level = {lit(SupervisionLevel.HIGH)}
                        THEN 'critical' ELSE 'warning' END AS severity,
                   {text} || lower({requirement}) || ' due ' || {iso("b.due_date")}
                       || ' — case ' || c.case_number AS message,
                   {case_officer("c")} AS assignee_id,
                   jsonb_build_object('contact_type', {requirement},
                                      'due_date', {iso("b.due_date")}) AS facts
              FROM {table} b
              JOIN cases_case c ON c.id = b.case_id
             WHERE b.kind = %(b_want)s {off}{ctx.scope("b.case_id")}
        """
        return sql, ctx.params(**oparams, b_want=self.kind)


class FirstContactMissed(ContactBehind):
    code = R.FIRST_CONTACT_MISSED
    kind = "first_missed"
    weight = 0.3  # the shared compliance evaluation is counted once, on ContactBehind
    prefix = "first-contact"


class ProtocolUnacknowledged(ExternalRule):
    """A staff member has not acknowledged an adopted protocol version in time, from
    `protocols.services.unacknowledged(on)`, whose rows carry (staff_id, version_id, due_date)."""

    code = R.PROTOCOL_UNACKNOWLEDGED
    source = "protocols.services:unacknowledged"
    case_scoped = False

    def desired(self, ctx: RuleContext) -> Sql:
        rows = self.rows(ctx, ctx.on)
        staff = [_field(row, "staff_id", 0) for row in rows]
        versions = [_field(row, "version_id", 1) for row in rows]
        dues = [_field(row, "due_date", 2) for row in rows]
        sql = f"""
            SELECT 'protocol:' || v.id || ':staff:' || s.id AS subject_key,
                   NULL::bigint AS case_id, s.agency_id, b.due_date,
                   'warning' AS severity,
                   'Acknowledge ' || p.title || ' v' || v.number || ' by '
                       || {iso("b.due_date")} AS message,
                   s.id AS assignee_id,
                   jsonb_build_object('protocol', p.title, 'version', v.number) AS facts
              FROM unnest(%(b_staff)s::bigint[], %(b_version)s::bigint[], %(b_due)s::date[])
                       AS b(staff_id, version_id, due_date)
              JOIN agencies_staffmember s ON s.id = b.staff_id
              JOIN protocols_protocolversion v ON v.id = b.version_id
              JOIN protocols_protocol p ON p.id = v.protocol_id
        """
        return sql, ctx.params(b_staff=staff, b_version=versions, b_due=dues)


RULES: tuple[Rule, ...] = (
    ContactBehind(),
    FirstContactMissed(),
    RegistrationDueSoon(),
    RegistrationOverdue(),
    UpdateReportedLate(),
    VerificationFailed(),
    ReassessmentDue(),
    ReleaseWithoutPlan(),
    BoardReferral(),
    TreatmentReportMissing(),
    MouExpiring(),
    MouExpired(),
    TrainingExpiring(),
    TrainingExpired(),
    ProtocolUnacknowledged(),
)
RULES_BY_CODE: dict[str, Rule] = {rule.code: rule for rule in RULES}
