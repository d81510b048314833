"""Reports for the data-collection protocol: aggregates per agency and month.

Who may report on what (the one rule, used by pages, exports, the dashboard and tests):
- roles that may open reports: analyst, supervisor, agency administrator (`REPORT_ROLES`);
- the agencies they may report on: their own — or every agency for an analyst at a statewide
  agency (a coalition: `STATEWIDE_AGENCY_KINDS`); superusers every agency
  (`reportable_agencies`);
- reports are aggregates (counts, shares, medians) over the cases whose agency is one of
  those. They read the tables deliberately unrestricted (`.unrestricted()`): an aggregate says
  nothing about a single person, and the analyst role has no standing on any case by design.
  No report row names a person; the only case-level output is the case export, offered only to
  roles that work cases (`ROW_ROLES`, never an analyst alone) and restricted by standing and
  field allow-lists like any page.

"Agency" per report: contact compliance, release plans and caseload count the case's lead
agency; registration counts the registering agency; alerts count the agency the alert was
raised for. Months are calendar months in settings.TIME_ZONE; month-end snapshots for the
current month are taken today.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Aggregate,
    Count,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncMonth

from agencies.choices import AgencyKind, RecordType, Role
from agencies.models import Agency
from agencies.querysets import staff_of
from cases.choices import AlertStatus, CaseStatus, RegistrationStatus, VerificationResult
from cases.compliance import REQUIREMENT_ORDER, ComplianceStatus, caseload_compliance, today
from protocols.choices import AlertRuleCode, ContactRequirement, SupervisionLevel

REPORT_ROLES = frozenset({Role.ANALYST, Role.SUPERVISOR, Role.AGENCY_ADMIN})
# Roles that work cases and so may export case-level rows (still restricted by standing).
ROW_ROLES = frozenset({Role.SUPERVISOR, Role.AGENCY_ADMIN})
# An analyst at one of these agencies reports statewide.
STATEWIDE_AGENCY_KINDS = frozenset({AgencyKind.COALITION})
MAX_MONTHS = 24
DEFAULT_MONTHS = 6


# --- who may report on what ------------------------------------------------------------------


def may_report(user: Any) -> bool:
    """Whether the user may open reports at all."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    staff = staff_of(user)
    return staff is not None and staff.has_role(*REPORT_ROLES)


def is_statewide(user: Any) -> bool:
    if user.is_superuser:
        return True
    staff = staff_of(user)
    return bool(
        staff and staff.has_role(Role.ANALYST) and staff.agency.kind in STATEWIDE_AGENCY_KINDS
    )


def reportable_agencies(user: Any) -> QuerySet[Agency]:
    """The agencies this user may report on (see the module docstring)."""
    if not may_report(user):
        return Agency.objects.none()
    if is_statewide(user):
        return Agency.objects.all()
    return Agency.objects.filter(pk=staff_of(user).agency_id)


def may_export_rows(user: Any) -> bool:
    """Case-level exports: roles that work cases. An analyst (alone) never sees rows."""
    if not may_report(user):
        return False
    if user.is_superuser:
        return True
    staff = staff_of(user)
    return staff is not None and staff.has_role(*ROW_ROLES)


# --- months ---------------------------------------------------------------------------------


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def month_end(month: date) -> date:
    return next_month(month) - timedelta(days=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def months_between(start: date, end: date) -> list[date]:
    months = []
    month = month_start(start)
    while month <= end:
        months.append(month)
        month = next_month(month)
    return months


def local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=ZoneInfo(settings.TIME_ZONE))


@dataclass(frozen=True)
class Filters:
    """What a report covers: agencies (already checked against reportable_agencies) and months."""

    agency_ids: tuple[int, ...]
    start: date  # first day of the first month
    end: date  # first day of the last month

    @property
    def months(self) -> list[date]:
        return months_between(self.start, self.end)

    @property
    def period_start(self) -> date:
        return self.start

    @property
    def period_end_exclusive(self) -> date:
        return next_month(self.end)

    def snapshot_day(self, month: date) -> date:
        """The day a month-end snapshot is taken: the month's last day, or today."""
        return min(month_end(month), today())

    def as_params(self) -> dict[str, Any]:
        return {
            "agency_ids": list(self.agency_ids),
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> Filters:
        return cls(
            tuple(int(a) for a in params["agency_ids"]),
            date.fromisoformat(params["start"]),
            date.fromisoformat(params["end"]),
        )


def default_filters(user: Any) -> Filters:
    end = month_start(today())
    return Filters(
        tuple(reportable_agencies(user).values_list("pk", flat=True)),
        add_months(end, -(DEFAULT_MONTHS - 1)),
        end,
    )


# --- tables ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool = False


@dataclass
class Table:
    """One aggregate table; `chart` (optional) is what static/js/reports.js draws."""

    key: str
    caption: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    chart: dict[str, Any] | None = None
    note: str = ""

    @property
    def chart_id(self) -> str:
        return f"chart-{self.key}"

    def cells(self) -> list[list[Any]]:
        return [[row.get(c.key, "") for c in self.columns] for row in self.rows]

    def body(self) -> list[list[tuple[Any, bool]]]:
        """Rows of (value, numeric) for the HTML table."""
        return [[(row.get(c.key, ""), c.numeric) for c in self.columns] for row in self.rows]


def share(part: int, whole: int) -> float | None:
    """A percentage with one decimal, or None when there is nothing to divide."""
    return round(100.0 * part / whole, 1) if whole else None


class Median(Aggregate):
    """PostgreSQL's continuous median (NULLs ignored)."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def hours_between(start: str, end: str) -> Func:
    return Func(
        F(end) - F(start),
        template="EXTRACT(EPOCH FROM %(expressions)s) / 3600.0",
        output_field=FloatField(),
    )


def _agency_names(ids: Iterable[int]) -> dict[int, str]:
    return dict(Agency.objects.filter(pk__in=list(ids)).values_list("pk", "short_name"))


def _month_label(month: date) -> str:
    return month.strftime("%Y-%m")


def _chart(
    labels: list[str],
    series: dict[str, list[Any]],
    y_label: str,
    kind: str = "line",
    stacked: bool | None = None,
) -> dict[str, Any]:
    """What static/js/reports.js draws: one dataset per series (bars stack unless told not)."""
    return {
        "type": kind,
        "labels": labels,
        "datasets": [{"label": name, "data": data} for name, data in series.items()],
        "yLabel": y_label,
        "stacked": kind == "bar" if stacked is None else stacked,
    }


def _by_month_and_agency(
    key: str, caption: str, month_label: str, columns: list[Column], rows: list[dict], **extra: Any
) -> Table:
    """A table whose rows are per month and agency (the two first columns), then `columns`."""
    return Table(
        key=key,
        caption=caption,
        columns=[Column("month", month_label), Column("agency", "Agency"), *columns],
        rows=rows,
        **extra,
    )


def _month_and_agency(month: date, agency_id: int, names: dict[int, str]) -> dict[str, str]:
    """The first two cells of a per-month, per-agency row."""
    return {"month": _month_label(month), "agency": names.get(agency_id, "")}


# --- 1. contact-standard compliance ---------------------------------------------------------


def contact_compliance(filters: Filters) -> list[Table]:
    """Share of supervised cases compliant with each contact requirement, per agency and month
    (a snapshot at each month's end; status as it is now: cases supervised today)."""
    from cases.models import Case

    # Aggregates over the reportable agencies: deliberately unrestricted (module docstring).
    cases = Case.objects.unrestricted().filter(lead_agency_id__in=filters.agency_ids)
    agency_of = dict(cases.filter(status=CaseStatus.SUPERVISED).values_list("pk", "lead_agency_id"))
    counts: dict[tuple[date, int, str], list[int]] = defaultdict(lambda: [0, 0])
    for month in filters.months:
        on = filters.snapshot_day(month)
        if on < month:
            continue  # a future month
        for case_id, statuses in caseload_compliance(cases, on).items():
            agency_id = agency_of.get(case_id)
            if agency_id is None:
                continue
            for status in statuses:
                bucket = counts[(month, agency_id, status.requirement)]
                bucket[0] += 1
                if not status.is_problem:
                    bucket[1] += 1
    names = _agency_names({k[1] for k in counts})
    rows = [
        {
            **_month_and_agency(month, agency_id, names),
            "requirement": ContactRequirement(requirement).label,
            "cases": total,
            "compliant": ok,
            "share": share(ok, total),
        }
        for (month, agency_id, requirement), (total, ok) in sorted(
            counts.items(),
            key=lambda kv: (kv[0][0], names.get(kv[0][1], ""), REQUIREMENT_ORDER.index(kv[0][2])),
        )
    ]
    labels = [_month_label(m) for m in filters.months]
    series: dict[str, list[Any]] = {}
    for requirement in ContactRequirement:
        data = []
        for month in filters.months:
            total = sum(v[0] for k, v in counts.items() if k[0] == month and k[2] == requirement)
            ok = sum(v[1] for k, v in counts.items() if k[0] == month and k[2] == requirement)
            data.append(share(ok, total))
        if any(d is not None for d in data):
            series[requirement.label] = data
    return [
        _by_month_and_agency(
            "contact-compliance",
            "Contact-standard compliance by agency, month and requirement",
            "Month",
            [
                Column("requirement", "Requirement"),
                Column("cases", "Supervised cases", numeric=True),
                Column("compliant", "Compliant", numeric=True),
                Column("share", "Compliant %", numeric=True),
            ],
            rows,
            chart=_chart(labels, series, "% of supervised cases compliant"),
            note="Snapshot on each month's last day (today for the current month) of the cases "
            "under supervision now. Compliant includes first contacts not yet due.",
        )
    ]


# --- 2. registration compliance -------------------------------------------------------------

REGISTRATION_STATUSES = (
    RegistrationStatus.COMPLIANT,
    RegistrationStatus.DUE,
    RegistrationStatus.NON_COMPLIANT,
    RegistrationStatus.ABSCONDER_REVIEW,
    RegistrationStatus.ABSCONDED,
)


def registration_compliance(filters: Filters) -> list[Table]:
    """Registrations by status now, per registering agency; and per month the address
    verifications done and failed and the updates reported late."""
    from cases.models import AddressVerification, RegistrationEvent, RegistrationRecord

    status_counts: dict[int, dict[str, int]] = defaultdict(dict)
    for agency_id, status, n in (
        RegistrationRecord.objects.unrestricted()
        .filter(registering_agency_id__in=filters.agency_ids)
        .exclude(status=RegistrationStatus.ENDED)
        .values_list("registering_agency_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    ):
        status_counts[agency_id][status] = n
    monthly: dict[tuple[date, int], dict[str, int]] = defaultdict(
        lambda: {"verifications": 0, "failed": 0, "late_updates": 0}
    )
    period = {"gte": filters.period_start, "lt": filters.period_end_exclusive}
    for month, agency_id, n, failed in (
        AddressVerification.objects.unrestricted()
        .filter(
            registration__registering_agency_id__in=filters.agency_ids,
            verified_on__gte=period["gte"],
            verified_on__lt=period["lt"],
        )
        .annotate(month=TruncMonth("verified_on"))
        .values_list("month", "registration__registering_agency_id")
        .annotate(n=Count("id"), failed=Count("id", filter=~Q(result=VerificationResult.VERIFIED)))
        .order_by()
    ):
        monthly[(month, agency_id)]["verifications"] = n
        monthly[(month, agency_id)]["failed"] = failed
    for month, agency_id, n in (
        RegistrationEvent.objects.unrestricted()
        .filter(
            registration__registering_agency_id__in=filters.agency_ids,
            late=True,
            reported_on__gte=period["gte"],
            reported_on__lt=period["lt"],
        )
        .annotate(month=TruncMonth("reported_on"))
        .values_list("month", "registration__registering_agency_id")
        .annotate(n=Count("id"))
        .order_by()
    ):
        monthly[(month, agency_id)]["late_updates"] = n
    names = _agency_names(set(status_counts) | {k[1] for k in monthly})
    status_rows = []
    for agency_id in sorted(status_counts, key=lambda a: names.get(a, "")):
        counts = status_counts[agency_id]
        total = sum(counts.values())
        row: dict[str, Any] = {"agency": names.get(agency_id, ""), "total": total}
        row.update({s.value: counts.get(s, 0) for s in REGISTRATION_STATUSES})
        row["share"] = share(counts.get(RegistrationStatus.COMPLIANT, 0), total)
        status_rows.append(row)
    monthly_rows = [
        {
            **_month_and_agency(month, agency_id, names),
            **values,
            "failed_share": share(values["failed"], values["verifications"]),
        }
        for (month, agency_id), values in sorted(
            monthly.items(), key=lambda kv: (kv[0][0], names.get(kv[0][1], ""))
        )
    ]
    status_chart = _chart(
        [r["agency"] for r in status_rows],
        {s.label: [r[s.value] for r in status_rows] for s in REGISTRATION_STATUSES},
        "registrations",
        "bar",
    )
    return [
        Table(
            key="registration-status",
            caption="Open registrations by status and registering agency (now)",
            columns=[
                Column("agency", "Agency"),
                Column("total", "Open registrations", numeric=True),
                *[Column(s.value, s.label, numeric=True) for s in REGISTRATION_STATUSES],
                Column("share", "Compliant %", numeric=True),
            ],
            rows=status_rows,
            chart=status_chart,
        ),
        _by_month_and_agency(
            "registration-activity",
            "Address verifications and late updates by agency and month",
            "Month",
            [
                Column("verifications", "Address verifications", numeric=True),
                Column("failed", "Failed", numeric=True),
                Column("failed_share", "Failed %", numeric=True),
                Column("late_updates", "Updates reported late", numeric=True),
            ],
            monthly_rows,
        ),
    ]


# --- 3. alerts ------------------------------------------------------------------------------


def alerts_by_rule(filters: Filters) -> list[Table]:
    """Alerts raised per agency, month and rule; how many were resolved and the median hours
    from raised to resolved."""
    from cases.models import Alert

    raised_in = Alert.objects.unrestricted().filter(
        agency_id__in=filters.agency_ids,
        raised_at__gte=local_midnight(filters.period_start),
        raised_at__lt=local_midnight(filters.period_end_exclusive),
    )
    resolved = Q(status=AlertStatus.RESOLVED)
    rows_raw = list(
        raised_in.annotate(month=TruncMonth("raised_at"))
        .values_list("month", "agency_id", "rule")
        .annotate(
            raised=Count("id"),
            resolved=Count("id", filter=resolved),
            median=Median(hours_between("raised_at", "resolved_at"), filter=resolved),
        )
        .order_by()
    )
    by_rule = list(
        raised_in.values_list("rule")
        .annotate(
            raised=Count("id"),
            median=Median(hours_between("raised_at", "resolved_at"), filter=resolved),
        )
        .order_by("rule")
    )
    names = _agency_names({r[1] for r in rows_raw})

    def label(rule: str) -> str:
        try:
            return str(AlertRuleCode(rule).label)
        except ValueError:
            return rule

    rows = [
        {
            **_month_and_agency(
                month.date() if isinstance(month, datetime) else month, agency_id, names
            ),
            "rule": label(rule),
            "raised": raised,
            "resolved": n_resolved,
            "open": raised - n_resolved,
            "median_hours": round(median, 1) if median is not None else None,
        }
        for month, agency_id, rule, raised, n_resolved, median in sorted(
            rows_raw, key=lambda r: (r[0], names.get(r[1], ""), r[2])
        )
    ]
    chart = _chart(
        [label(rule) for rule, _, _ in by_rule],
        {
            "Median hours to resolve": [
                round(m, 1) if m is not None else None for _, _, m in by_rule
            ]
        },
        "hours",
        "bar",
        stacked=False,
    )
    return [
        _by_month_and_agency(
            "alerts",
            "Alerts by agency, month and rule, with the median time to resolve",
            "Month raised",
            [
                Column("rule", "Rule"),
                Column("raised", "Raised", numeric=True),
                Column("resolved", "Resolved", numeric=True),
                Column("open", "Still open", numeric=True),
                Column("median_hours", "Median hours to resolve", numeric=True),
            ],
            rows,
            chart=chart,
        )
    ]


# --- 4. release plans -----------------------------------------------------------------------


def release_decisions(filters: Filters) -> list[Table]:
    """Release plans with a release date in each month (past draft), per agency: how many the
    board decided before the release date."""
    from cases.models import BoardDecision, ReleasePlan

    first_decision = (
        BoardDecision.objects.unrestricted()
        .filter(review__plan=OuterRef("pk"))
        .values("review__plan")
        .annotate(first=Min("decided_on"))
        .values("first")
    )
    raw = (
        ReleasePlan.objects.unrestricted()
        .filter(
            case__lead_agency_id__in=filters.agency_ids,
            release_date__gte=filters.period_start,
            release_date__lt=filters.period_end_exclusive,
        )
        .exclude(status="draft")
        .annotate(first_decided=Subquery(first_decision), month=TruncMonth("release_date"))
        .values_list("month", "case__lead_agency_id")
        .annotate(
            plans=Count("id"),
            before=Count("id", filter=Q(first_decided__lt=F("release_date"))),
            decided=Count("id", filter=Q(first_decided__isnull=False)),
        )
        .order_by()
    )
    data = list(raw)
    names = _agency_names({r[1] for r in data})
    rows = [
        {
            **_month_and_agency(month, agency_id, names),
            "plans": plans,
            "before": before,
            "late": decided - before,
            "undecided": plans - decided,
            "share": share(before, plans),
        }
        for month, agency_id, plans, before, decided in sorted(
            data, key=lambda r: (r[0], names.get(r[1], ""))
        )
    ]
    labels = [_month_label(m) for m in filters.months]
    per_month = {
        _month_label(m): (
            sum(r[2] for r in data if r[0] == m),
            sum(r[3] for r in data if r[0] == m),
        )
        for m in filters.months
    }
    chart = _chart(
        labels,
        {"Decided before the release date": [share(b, p) for p, b in per_month.values()]},
        "% of plans",
    )
    return [
        _by_month_and_agency(
            "release-decisions",
            "Release plans decided before the release date, by agency and release month",
            "Release month",
            [
                Column("plans", "Plans", numeric=True),
                Column("before", "Decided before release", numeric=True),
                Column("late", "Decided on or after", numeric=True),
                Column("undecided", "No decision", numeric=True),
                Column("share", "Decided before %", numeric=True),
            ],
            rows,
            chart=chart,
        )
    ]


# --- 5. caseload by risk level --------------------------------------------------------------

LEVEL_LABELS = {**{lv.value: lv.label for lv in SupervisionLevel}, "": "Not set"}


def caseload_by_level(filters: Filters) -> list[Table]:
    """Cases under supervision at each month's end, per agency and supervision level (the level
    in force then, from the level history)."""
    from cases.models import Case, SupervisionLevelChange

    counts: dict[tuple[date, int, str], int] = {}
    for month in filters.months:
        on = filters.snapshot_day(month)
        if on < month:
            continue
        cutoff = local_midnight(on + timedelta(days=1))
        changes = SupervisionLevelChange.objects.unrestricted().filter(case=OuterRef("pk"))
        before = changes.filter(changed_at__lt=cutoff).order_by("-changed_at", "-pk")
        after = changes.filter(changed_at__gte=cutoff).order_by("changed_at", "pk")
        level = Coalesce(
            Subquery(before.values("to_level")[:1]),
            Subquery(after.values("from_level")[:1]),
            F("supervision_level"),
        )
        for agency_id, lvl, n in (
            Case.objects.unrestricted()
            .filter(lead_agency_id__in=filters.agency_ids, supervision_start__lte=on)
            .filter(Q(supervision_end__isnull=True) | Q(supervision_end__gte=on))
            .annotate(level_then=level)
            .values_list("lead_agency_id", "level_then")
            .annotate(n=Count("id"))
            .order_by()
        ):
            counts[(month, agency_id, lvl or "")] = n
    names = _agency_names({k[1] for k in counts})
    rows = [
        {
            **_month_and_agency(month, agency_id, names),
            "level": LEVEL_LABELS.get(lvl, lvl),
            "cases": n,
        }
        for (month, agency_id, lvl), n in sorted(
            counts.items(), key=lambda kv: (kv[0][0], names.get(kv[0][1], ""), kv[0][2])
        )
    ]
    labels = [_month_label(m) for m in filters.months]
    levels = [lv for lv in LEVEL_LABELS if any(k[2] == lv for k in counts)]
    chart = _chart(
        labels,
        {
            LEVEL_LABELS[lv]: [
                sum(n for k, n in counts.items() if k[0] == m and k[2] == lv)
                for m in filters.months
            ]
            for lv in levels
        },
        "cases under supervision",
        "bar",
    )
    return [
        _by_month_and_agency(
            "caseload-level",
            "Cases under supervision at month end by agency and risk level",
            "Month",
            [Column("level", "Supervision level"), Column("cases", "Cases", numeric=True)],
            rows,
            chart=chart,
        )
    ]


# --- the catalogue --------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportDef:
    key: str
    title: str
    description: str
    build: Callable[[Filters], list[Table]]
    case_export: bool = False  # offers the case-level export (ROW_ROLES only)


REPORTS: dict[str, ReportDef] = {
    r.key: r
    for r in (
        ReportDef(
            "contact-compliance",
            "Contact-standard compliance",
            "Share of supervised cases meeting each contact requirement.",
            contact_compliance,
            case_export=True,
        ),
        ReportDef(
            "registration",
            "Registration compliance",
            "Registrations compliant, due, non-compliant and in absconder review; verifications "
            "and late updates.",
            registration_compliance,
        ),
        ReportDef(
            "alerts",
            "Alerts and time to resolve",
            "Alerts by rule, and the median hours from raised to resolved.",
            alerts_by_rule,
        ),
        ReportDef(
            "release-decisions",
            "Release plans decided in time",
            "Release plans the board decided before the release date.",
            release_decisions,
        ),
        ReportDef(
            "caseload-level",
            "Caseload by risk level",
            "Cases under supervision at month end by supervision level.",
            caseload_by_level,
        ),
    )
}


# --- CSV ------------------------------------------------------------------------------------

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula (OWASP "CSV injection"): text starting
    with = + - @ tab or CR gets a leading single quote. Numbers we computed pass unchanged."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def write_csv_rows(out: Any, header: list[str], rows: Iterable[list[Any]]) -> int:
    """Write a header and rows (every cell through csv_safe); returns the row count."""
    writer = csv.writer(out)
    writer.writerow([csv_safe(h) for h in header])
    n = 0
    for row in rows:
        writer.writerow([csv_safe(cell) for cell in row])
        n += 1
    return n


def table_csv(table: Table) -> str:
    out = io.StringIO()
    write_csv_rows(out, [c.label for c in table.columns], table.cells())
    return out.getvalue()


# --- the case-level export (ROW_ROLES, restricted) ------------------------------------------


CASE_EXPORT_CHUNK = 200


def case_compliance_rows(
    user: Any, filters: Filters, progress: Callable[[int, int], None] | None = None
) -> tuple[list[str], Iterable[list[Any]], list[Any]]:
    """Header, rows and the cases read for the case-level compliance export.

    Restricted like a page: cases the user may view contacts of (standing), within the
    filters' agencies; the person's name only where the identity terms share it.
    """
    from cases.access import allowed_fields, prefetch_assignments
    from cases.models import Case

    if not may_export_rows(user):
        return [], [], []
    on = today()
    cases_qs = (
        Case.objects.restrict_record(user, "view", RecordType.CONTACTS)
        .filter(lead_agency_id__in=filters.agency_ids, status=CaseStatus.SUPERVISED)
        .select_related("offender", "lead_agency")
        .order_by("case_number")
    )
    cases = list(cases_qs)
    identity_ok = set(
        Case.objects.restrict_record(user, "view", RecordType.IDENTITY)
        .filter(pk__in=[c.pk for c in cases])
        .values_list("pk", flat=True)
    )
    prefetch_assignments(user, [c.pk for c in cases])
    requirements = list(ContactRequirement)
    header = ["Case", "Name", "Agency", "Supervision level"]
    for requirement in requirements:
        header += [f"{requirement.label}: status", f"{requirement.label}: next due"]
    rows: list[list[Any]] = []
    total = len(cases)
    for start in range(0, total, CASE_EXPORT_CHUNK):
        chunk = cases[start : start + CASE_EXPORT_CHUNK]
        compliance = caseload_compliance(
            Case.objects.unrestricted().filter(pk__in=[c.pk for c in chunk]), on
        )
        for case in chunk:
            name = ""
            if case.pk in identity_ok:
                fields = allowed_fields(user, case, RecordType.IDENTITY)
                name = " ".join(
                    getattr(case.offender, f) for f in ("first_name", "last_name") if f in fields
                )
            statuses = {s.requirement: s for s in compliance.get(case.pk, [])}
            row: list[Any] = [
                case.case_number,
                name,
                case.lead_agency.short_name,
                case.get_supervision_level_display(),
            ]
            for requirement in requirements:
                s = statuses.get(requirement)
                row += [
                    ComplianceStatus(s.status).label if s else "",
                    s.due_date.isoformat() if s else "",
                ]
            rows.append(row)
        if progress is not None:
            progress(min(start + CASE_EXPORT_CHUNK, total), total)
    return header, rows, cases
