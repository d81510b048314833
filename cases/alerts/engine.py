"""The alert engine: apply each rule's desired set to the alert table, idempotently.

For each rule, in ONE transaction and ONE statement (data-modifying CTEs):
- insert the desired alerts that are not open yet (ON CONFLICT on the partial unique index
  `cases_alert_unique_open` DO NOTHING), unless a person already resolved that very alert
  (same rule, subject and due date) — a manual resolution sticks until the next due date;
- resolve open alerts of the rule whose condition has cleared (not desired, and the rule's
  `holds` predicate, if any, no longer true);
- refresh routing and text of alerts that stay open (a new officer takes over the alert);
- queue an immediate email (outbox, same transaction) for new critical alerts: one per
  recipient per run, however many alerts it lists;
- queue the `alert.raised` and `alert.resolved` webhooks of the alerts raised and resolved
  (outbox, same statement; `alert_webhooks_sql`).

A PostgreSQL advisory lock per rule (`pg_try_advisory_xact_lock`) keeps two concurrent sweeps
from working the same rule: the second one reports it as busy. Rules are independent, so a
sweep runs them in `ALERT_SWEEP_WORKERS` lanes side by side, each on its own connection
(`run_sweep`). Because each rule commits on
its own, a worker killed mid-sweep loses nothing; the next run completes the set. The number
of queries depends on the number of rules, never on the number of cases.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, NamedTuple

from django.conf import settings as django_settings
from django.db import connection, connections, transaction
from django.utils import timezone

from cases.alerts.rules import RULES, RULES_BY_CODE, Rule, RuleContext, SweepSettings
from sartcm import webhooks
from sartcm.context import job_context
from sartcm.models import WebhookEvent
from sartcm.outbox import nudge_on_commit

logger = logging.getLogger(__name__)

# Advisory-lock namespace of the alert engine (first key of the two-int form).
LOCK_NAMESPACE = 60611
AUTO_RESOLUTION_NOTE = "Resolved automatically: the condition cleared."


class RuleCounts(NamedTuple):
    raised: int
    still_open: int
    resolved: int


class SweepResult(dict):
    """rule code → RuleCounts for the rules applied; `skipped` says why others were not
    (unavailable: data source not installed; disabled; busy: another sweep holds the rule;
    error: the rule failed and was rolled back)."""

    def __init__(self) -> None:
        super().__init__()
        self.skipped: dict[str, str] = {}
        self.statuses_changed = 0


def _lock_sql(blocking: bool) -> str:
    fn = "pg_advisory_xact_lock" if blocking else "pg_try_advisory_xact_lock"
    return f"SELECT {fn}(%(ns)s, hashtext(%(key)s))"


def _acquire(key: str, blocking: bool = False) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(_lock_sql(blocking), {"ns": LOCK_NAMESPACE, "key": key})
        row = cursor.fetchone()
    return True if blocking else bool(row and row[0])


APPLY_SQL = """
WITH desired AS MATERIALIZED (
    SELECT DISTINCT ON (q.subject_key, q.due_date) q.*
      FROM ({desired}) q
     WHERE q.agency_id IS NOT NULL AND q.due_date IS NOT NULL
     ORDER BY q.subject_key, q.due_date
),
open_alerts AS MATERIALIZED (
    -- the rule's open alerts, read once; desired and open are then matched with hash joins
    -- instead of one index probe per desired alert in each of three statements (statewide,
    -- 70,000 contact alerts: docs/performance.md, design change 12)
    SELECT a.id, a.subject_key, a.due_date, a.assignee_id, a.agency_id, a.severity,
           a.message, a.facts
      FROM cases_alert a
     WHERE a.rule = %(_rule)s AND NOT (a.status = 'resolved')
),
manual AS MATERIALIZED (
    -- the rule's alerts a person resolved (that very alert stays resolved until its next due
    -- date), read once through their partial index. As a correlated NOT EXISTS on the table
    -- it was planned, when the statistics said the table was empty (a first sweep, or after
    -- a purge), as a sequential scan once per new alert of a table this very INSERT was
    -- growing: 72-78 s instead of 3.5 s for 70,290 alerts (docs/performance.md, change 21)
    SELECT m.subject_key, m.due_date
      FROM cases_alert m
     WHERE m.rule = %(_rule)s AND m.status = 'resolved' AND m.resolved_by_id IS NOT NULL
),
matched AS MATERIALIZED (
    SELECT o.id, d.assignee_id, d.agency_id, d.severity, left(d.message, 300) AS message,
           d.facts,
           (o.assignee_id IS DISTINCT FROM d.assignee_id OR o.agency_id <> d.agency_id
            OR o.severity <> d.severity OR o.message <> left(d.message, 300)
            OR o.facts <> d.facts) AS changed
      FROM desired d
      JOIN open_alerts o ON o.subject_key = d.subject_key AND o.due_date = d.due_date
),
existing AS (SELECT id FROM matched),
inserted AS (
    INSERT INTO cases_alert
        (rule, subject_key, record_type, case_id, agency_id, due_date, severity, status,
         message, facts, assignee_id, raised_at, resolution_note)
    SELECT %(_rule)s, d.subject_key, %(_record_type)s, d.case_id, d.agency_id, d.due_date,
           d.severity, 'open', left(d.message, 300), d.facts, d.assignee_id, now(), ''
      FROM desired d
     WHERE NOT EXISTS (
           SELECT 1 FROM open_alerts o
            WHERE o.subject_key = d.subject_key AND o.due_date = d.due_date)
       AND NOT EXISTS (
           SELECT 1 FROM manual m
            WHERE m.subject_key = d.subject_key AND m.due_date = d.due_date)
    -- the rule's lock keeps other sweeps out; the partial unique index stays the guarantee
    ON CONFLICT (rule, subject_key, due_date) WHERE NOT (status = 'resolved') DO NOTHING
    RETURNING {alert_columns}
),
resolved AS (
    UPDATE cases_alert a
       SET status = 'resolved', resolved_at = now(), resolution_note = %(_note)s
      FROM open_alerts o
     WHERE a.id = o.id AND a.rule = %(_rule)s AND NOT (a.status = 'resolved')
       AND NOT EXISTS (
           SELECT 1 FROM desired d
            WHERE d.subject_key = o.subject_key AND d.due_date = o.due_date)
       {holds}{scope}
    RETURNING {alert_columns_a}
),
refreshed AS (
    UPDATE cases_alert a
       SET assignee_id = m.assignee_id, agency_id = m.agency_id, severity = m.severity,
           message = m.message, facts = m.facts
      FROM matched m
     WHERE a.id = m.id AND m.changed AND NOT (a.status = 'resolved')
    RETURNING a.id
),
notified AS (
    INSERT INTO sartcm_outboxmessage
        (id, created_at, kind, payload, status, attempts, next_attempt_at, sent_at, last_error)
    SELECT gen_random_uuid(), now(), 'alert_email',
           jsonb_build_object('staff_id', i.assignee_id,
                              'alert_ids', jsonb_agg(i.id ORDER BY i.id), 'reason', 'raised'),
           'pending', 0, now(), NULL, ''
      FROM inserted i
     WHERE i.severity = 'critical' AND i.assignee_id IS NOT NULL
     GROUP BY i.assignee_id
    RETURNING id
),
raised_hooks AS ({raised_hooks}),
resolved_hooks AS ({resolved_hooks})
SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM existing),
       (SELECT count(*) FROM resolved), (SELECT count(*) FROM refreshed),
       (SELECT count(*) FROM notified),
       (SELECT count(*) FROM raised_hooks) + (SELECT count(*) FROM resolved_hooks)
"""

# What an alert's webhooks need of the alert (RETURNING of the statements that raise or
# resolve it, or the row itself).
ALERT_COLUMNS = (
    "id, rule, record_type, case_id, agency_id, due_date, severity, status, message, facts,"
    " assignee_id, raised_at, resolved_at, resolved_by_id, resolution_note"
)


def alert_webhooks_sql(event: str, record_type: str, source: str) -> tuple[str, dict[str, Any]]:
    """INSERT ... SELECT ... RETURNING id queuing `event` (alert.raised / alert.resolved) for
    each alert row of `source` (alias `x`, ALERT_COLUMNS, all of `record_type`) on %(on)s.

    Heard by the agency the alert is routed to (`agency_id`), if subscribed — for an alert on a
    case only while that agency may see the alert's record type on the case (lead agency, or
    view grant and an in-force term covering the case); an agency-level alert (MOU, training)
    always. The body carries the alert's neutral message and its facts limited to the fields
    of the record type the agency may see (all of them for an agency-level alert)."""
    from cases.models import Case
    from cases.webhooks import case_queue_sql

    def body(allowed: str) -> str:
        return f"""jsonb_build_object(
            'alert', x.id, 'rule', x.rule, 'case', x.case_id, 'agency', x.agency_id,
            'severity', x.severity, 'status', x.status, 'due_date', x.due_date,
            'message', x.message,
            'facts', CASE WHEN x.case_id IS NULL THEN x.facts
                          ELSE {webhooks.only_keys_sql("x.facts", allowed)} END,
            'raised_at', {webhooks.timestamp_sql("x.raised_at")},
            'resolved_at', {webhooks.timestamp_sql("x.resolved_at")},
            'resolved_by', CASE WHEN x.status <> 'resolved' THEN NULL
                                WHEN x.resolved_by_id IS NULL THEN 'sweep'
                                ELSE 'person' END,
            'resolution_note', x.resolution_note)"""

    return case_queue_sql(
        event,
        record_type,
        source=f"{source} x LEFT JOIN {Case._meta.db_table} cs ON cs.id = x.case_id",
        case="cs",
        body=body,
        routed_to="x.agency_id",
    )


def apply_rule(rule: Rule, ctx: RuleContext, *, blocking: bool = False) -> RuleCounts | None:
    """Bring one rule's open alerts in line with its desired set, in one transaction.

    Returns None when another transaction holds the rule (non-blocking mode)."""
    with transaction.atomic():
        if not _acquire(f"alerts:{rule.code}", blocking=blocking):
            return None
        desired_sql, params = rule.desired(ctx)
        holds = rule.holds(ctx)
        holds_sql = ""
        if holds is not None:
            holds_sql = f" AND NOT ({holds[0]})"
            params = {**params, **holds[1]}
        scope = "" if ctx.case_ids is None else " AND a.case_id = ANY(%(_case_ids)s)"
        raised_hooks, hook_params = alert_webhooks_sql(
            WebhookEvent.ALERT_RAISED, rule.record_type, "inserted"
        )
        resolved_hooks, _ = alert_webhooks_sql(
            WebhookEvent.ALERT_RESOLVED, rule.record_type, "resolved"
        )
        sql = APPLY_SQL.format(
            desired=desired_sql,
            holds=holds_sql,
            scope=scope,
            alert_columns=ALERT_COLUMNS,
            alert_columns_a=", ".join(f"a.{c.strip()}" for c in ALERT_COLUMNS.split(",")),
            raised_hooks=raised_hooks,
            resolved_hooks=resolved_hooks,
        )
        params = {
            "on": ctx.on,
            **params,
            **hook_params,
            "_rule": rule.code,
            "_record_type": rule.record_type,
            "_note": AUTO_RESOLUTION_NOTE,
        }
        if ctx.case_ids is not None:
            params["_case_ids"] = list(ctx.case_ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            raised, still_open, resolved, _refreshed, notified, hooks = cursor.fetchone()
        if notified or hooks:
            nudge_on_commit()
        return RuleCounts(raised, still_open, resolved)


def queue_alert_webhooks(event: str, alert: Any) -> int:
    """Queue `event` for one alert as it now is (a person resolved it), in the caller's
    transaction, in one statement. Returns the number queued."""
    hooks, params = alert_webhooks_sql(
        event,
        alert.record_type,
        f"(SELECT {ALERT_COLUMNS} FROM cases_alert WHERE id = %(_alert_id)s)",
    )
    params.update(on=timezone.localdate(), _alert_id=alert.pk)
    return webhooks.execute(hooks, params)


def _refresh_statuses(on: date, settings: SweepSettings) -> int | None:
    from cases.services.registration import refresh_statuses

    with transaction.atomic():
        if not _acquire("alerts:registration_statuses"):
            return None
        window, params = settings.registration_window()
        return refresh_statuses(on, window, params)


# ANALYZE the alert table when more than STALE_AFTER of its rows changed since its statistics
# were taken. The apply statement matches a rule's desired and open alerts with hash joins
# when it knows how many there are; right after a first statewide sweep raised ≈138,000 alerts
# the statistics still said "empty" (autovacuum had not come round yet), and the plan made on
# that — a nested loop over 70,000 × 70,000 rows — ran 13 minutes instead of 3 seconds. The
# limit is a number of rows, not a share of the table: what goes wrong is one rule's count,
# and a rule that went from none to 5,000 open alerts in a table of 138,000 (under a tenth)
# was planned as 5,000 × 5,000 nested loops, 9 s instead of 0.1 s. So when a sweep starts, no
# rule's estimate is more than STALE_AFTER rows off (docs/performance.md, design change 21).
STALE_AFTER = 1000
ANALYZE_IF_STALE_SQL = f"""
DO $$
BEGIN
    IF (SELECT s.n_mod_since_analyze > {STALE_AFTER}
          FROM pg_stat_user_tables s WHERE s.relid = 'cases_alert'::regclass) THEN
        ANALYZE cases_alert;
    END IF;
END
$$
"""


def _analyze_alerts_if_stale() -> None:
    with connection.cursor() as cursor:
        cursor.execute(ANALYZE_IF_STALE_SQL)


def _selected(rule_codes: Iterable[str] | None) -> list[Rule]:
    if rule_codes is None:
        return list(RULES)
    wanted = set(rule_codes)
    unknown = wanted - set(RULES_BY_CODE)
    if unknown:
        raise ValueError(f"Unknown alert rules: {', '.join(sorted(unknown))}")
    return [rule for rule in RULES if rule.code in wanted]


def _lanes(rules: list[Rule], workers: int) -> list[list[Rule]]:
    """Rules split into at most `workers` lanes that can run side by side. Rules sharing a
    memoised source (the contact rules' temporary table, which lives in one session) stay in
    one lane; the lanes are balanced by each rule's `weight` (a rough cost)."""
    groups: dict[str, list[Rule]] = {}
    for rule in rules:
        groups.setdefault(rule.lane_group or rule.code, []).append(rule)
    lanes: list[list[Rule]] = [[] for _ in range(max(1, min(workers, len(groups))))]
    for group in sorted(groups.values(), key=lambda g: -sum(r.weight for r in g)):
        lightest = min(lanes, key=lambda lane: sum(r.weight for r in lane))
        lightest.extend(group)
    order = {rule.code: n for n, rule in enumerate(rules)}
    return [sorted(lane, key=lambda r: order[r.code]) for lane in lanes if lane]


def _run_lane(lane: list[Rule], on: date, settings: SweepSettings, result: SweepResult) -> None:
    memo: dict[str, Any] = {}  # shared, so rules over one data source call it once
    for rule in lane:
        if not rule.available():
            result.skipped[rule.code] = "unavailable"
            continue
        if not settings.enabled(rule.code):
            result.skipped[rule.code] = "disabled"
            continue
        ctx = RuleContext(on=on, settings=settings, memo=memo)
        try:
            counts = apply_rule(rule, ctx)
        except Exception:  # one failing rule must not stop the others (no crash loop)
            logger.exception("alert rule %s failed; rolled back", rule.code)
            result.skipped[rule.code] = "error"
            memo.clear()  # what it built (a shared temporary table) was rolled back too
            continue
        if counts is None:
            result.skipped[rule.code] = "busy"
        else:
            result[rule.code] = counts


def _run_lane_in_thread(
    lane: list[Rule],
    on: date,
    settings: SweepSettings,
    result: SweepResult,
    died: list[BaseException],
) -> None:
    """A lane on its own connection (Django's connections are per thread), closed after. What
    kills it (not a rule's Exception, which _run_lane survives) is handed to the caller."""
    try:
        with job_context("job"):
            _run_lane(lane, on, settings, result)
    except BaseException as exc:  # noqa: BLE001 - re-raised by run_sweep
        died.append(exc)
    finally:
        connections.close_all()


def run_sweep(
    on: date | None = None,
    rule_codes: Iterable[str] | None = None,
    workers: int | None = None,
) -> SweepResult:
    """Run every rule once: dict rule → (raised, still_open, resolved); see SweepResult.

    Rules are independent (each its own transaction and advisory lock), so with `workers` > 1
    (default settings.ALERT_SWEEP_WORKERS) they run in that many lanes side by side, each lane
    on its own database connection: a statewide sweep is bound by the database's CPU, and a
    2-core server has two. Inside a transaction (a test, a rolled-back benchmark) the lanes run
    one after the other on the caller's connection, since other connections would not see
    its uncommitted rows."""
    on = on or timezone.localdate()
    if workers is None:
        workers = getattr(django_settings, "ALERT_SWEEP_WORKERS", 1)
    if connection.in_atomic_block:
        workers = 1
    result = SweepResult()
    with job_context("job"):
        settings = SweepSettings.load(on)
        changed = _refresh_statuses(on, settings)
        result.statuses_changed = changed or 0
        _analyze_alerts_if_stale()
        lanes = _lanes(_selected(rule_codes), workers)
        died: list[BaseException] = []
        threads = [
            threading.Thread(
                target=_run_lane_in_thread,
                args=(lane, on, settings, result, died),
                name=f"alert-sweep-lane-{n}",
            )
            for n, lane in enumerate(lanes[1:], start=1)
        ]
        for thread in threads:
            thread.start()
        try:
            if lanes:
                _run_lane(lanes[0], on, settings, result)
        finally:
            for thread in threads:
                thread.join()
        if died:
            raise died[0]
    # the report lists rules in their declared order, whichever lane ran them
    order = {rule.code: n for n, rule in enumerate(RULES)}
    ordered = SweepResult()
    for code in sorted(result, key=order.__getitem__):
        ordered[code] = result[code]
    ordered.skipped = dict(sorted(result.skipped.items(), key=lambda item: order[item[0]]))
    ordered.statuses_changed = result.statuses_changed
    return ordered


def refresh_cases(
    case_ids: Iterable[int], rule_codes: Iterable[str] | None = None, on: date | None = None
) -> SweepResult:
    """Re-run case rules for a few cases inside the caller's transaction (after a change that
    may raise or clear an alert). Waits for a sweep that holds a rule instead of skipping it."""
    on = on or timezone.localdate()
    ids = sorted(set(case_ids))
    result = SweepResult()
    settings = SweepSettings.load(on)
    memo: dict[str, Any] = {}
    for rule in _selected(rule_codes):
        if not rule.case_scoped or not rule.available() or not settings.enabled(rule.code):
            continue
        ctx = RuleContext(on=on, settings=settings, case_ids=ids, memo=memo)
        counts = apply_rule(rule, ctx, blocking=True)
        if counts is not None:
            result[rule.code] = counts
    return result


ESCALATE_SQL = """
WITH due AS (
    SELECT a.id, COALESCE(
             (SELECT sup.id FROM agencies_staffmember s
                JOIN agencies_staffmember sup ON sup.id = s.supervisor_id
                JOIN auth_user u ON u.id = sup.user_id
               WHERE s.id = a.assignee_id AND sup.active AND u.is_active),
             (SELECT s.id FROM agencies_staffmember s JOIN auth_user u ON u.id = s.user_id
               WHERE s.agency_id = a.agency_id AND s.active AND u.is_active
                 AND 'supervisor' = ANY(s.roles) AND s.id IS DISTINCT FROM a.assignee_id
               ORDER BY s.id LIMIT 1)) AS target
      FROM cases_alert a LEFT JOIN cases_case c ON c.id = a.case_id
     WHERE a.status = 'open' AND a.escalated_at IS NULL
       AND a.raised_at <= %(now)s - make_interval(days => {days})
),
escalated AS (
    UPDATE cases_alert a SET escalated_to_id = d.target, escalated_at = %(now)s
      FROM due d
     WHERE a.id = d.id AND d.target IS NOT NULL AND a.status = 'open'
       AND a.escalated_at IS NULL
    RETURNING a.id, a.escalated_to_id
),
mail AS (
    INSERT INTO sartcm_outboxmessage
        (id, created_at, kind, payload, status, attempts, next_attempt_at, sent_at, last_error)
    SELECT gen_random_uuid(), now(), 'alert_email',
           jsonb_build_object('staff_id', e.escalated_to_id,
                              'alert_ids', jsonb_agg(e.id ORDER BY e.id),
                              'reason', 'escalated'),
           'pending', 0, now(), NULL, ''
      FROM escalated e GROUP BY e.escalated_to_id
    RETURNING id
)
SELECT (SELECT count(*) FROM escalated), (SELECT count(*) FROM mail)
"""


def _escalation_days(settings: SweepSettings) -> tuple[str, dict[str, Any]]:
    """Days before escalation per alert, from AlertSetting (rule × case jurisdiction)."""
    params: dict[str, Any] = {"esc_default": 3}
    whens: list[str] = []
    rows = sorted(settings.alert.items(), key=lambda item: (item[0][0], item[0][1] == ""))
    for n, ((rule, jurisdiction), row) in enumerate(rows):
        params[f"esc_r{n}"] = rule
        params[f"esc_v{n}"] = row.escalate_after_days
        if jurisdiction:
            params[f"esc_j{n}"] = jurisdiction
            whens.append(
                f"WHEN a.rule = %(esc_r{n})s AND c.jurisdiction = %(esc_j{n})s THEN %(esc_v{n})s"
            )
        else:
            whens.append(f"WHEN a.rule = %(esc_r{n})s THEN %(esc_v{n})s")
    if not whens:
        return "%(esc_default)s::int", params
    return f"(CASE {' '.join(whens)} ELSE %(esc_default)s END)::int", params


def escalate(now: datetime | None = None) -> int:
    """Escalate open (unacknowledged) alerts older than the rule's escalate_after_days to the
    assignee's supervisor, else a supervisor of the alert's agency; the supervisor is emailed
    (through the outbox, same statement). Returns the number escalated."""
    now = now or timezone.now()
    with job_context("job"), transaction.atomic():
        if not _acquire("alerts:escalation"):
            return 0
        settings = SweepSettings.load(timezone.localdate(now))
        days, params = _escalation_days(settings)
        with connection.cursor() as cursor:
            cursor.execute(ESCALATE_SQL.format(days=days), {**params, "now": now})
            escalated, mails = cursor.fetchone()
        if mails:
            nudge_on_commit()
    return escalated
