"""The sweep: idempotent, safe under concurrency and crashes, constant query count."""

from __future__ import annotations

import datetime as dt
import sys
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.choices import Role
from cases.alerts import engine, rules
from cases.alerts.engine import LOCK_NAMESPACE, escalate, run_sweep
from cases.alerts.services import acknowledge, resolve
from cases.choices import AlertStatus, CaseStatus
from cases.models import Alert
from protocols.choices import AlertRuleCode as R
from sartcm.models import OutboxMessage
from tests.factories import AgencyFactory, CaseFactory
from tests.factories_registration import (
    RegistrationFactory,
    VerificationFactory,
    alert_setting,
    assessment,
    enrollment,
    staff,
    training,
)

ON = dt.date(2026, 3, 16)


def build_world(agency, n: int) -> None:
    """n cases, each with something due under several rules."""
    manager = staff(agency, Role.CASE_MANAGER)
    for i in range(n):
        case = CaseFactory(lead_agency=agency, case_manager=manager)
        reg = RegistrationFactory(case=case, next_verification_due=ON + dt.timedelta(i % 20 - 10))
        VerificationFactory(registration=reg, verified_on=ON, result="not_at_address")
        assessment(case, assessed_on=dt.date(2025, 9, 1), next_due=ON + dt.timedelta(i % 10))
        enrollment(case, intake_date=dt.date(2025, 10, 1))
        CaseFactory(
            lead_agency=agency,
            status=CaseStatus.INCARCERATED,
            supervision_start=None,
            supervision_level="",
            expected_release_date=ON + dt.timedelta(30 + i),
        )
        training(
            staff(agency, Role.SUPERVISION_OFFICER),
            completed_on=ON.replace(2025),
            expires_on=ON - dt.timedelta(1),
        )


def no_duplicates() -> bool:
    dupes = (
        Alert.objects.exclude(status=AlertStatus.RESOLVED)
        .values("rule", "subject_key", "due_date")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    return not dupes.exists()


@pytest.mark.django_db
class TestIdempotence:
    def test_running_twice_raises_nothing_new(self):
        build_world(AgencyFactory(), 4)
        first = run_sweep(ON)
        total = Alert.objects.count()
        second = run_sweep(ON)
        assert sum(c.raised for c in first.values()) == total > 0
        assert all(c.raised == 0 and c.resolved == 0 for c in second.values())
        assert sum(c.still_open for c in second.values()) == total
        assert Alert.objects.count() == total

    def test_an_alert_reopens_as_a_new_one_on_the_next_due_date(self):
        reg = RegistrationFactory(next_verification_due=ON - dt.timedelta(1))
        run_sweep(ON, rule_codes=[R.REGISTRATION_OVERDUE])
        first = Alert.objects.get()
        # verified (next date moves), then missed again three months later
        reg.next_verification_due = ON + dt.timedelta(90)
        reg.save()
        assert (
            run_sweep(ON, rule_codes=[R.REGISTRATION_OVERDUE])[R.REGISTRATION_OVERDUE].resolved == 1
        )
        later = ON + dt.timedelta(91)
        assert (
            run_sweep(later, rule_codes=[R.REGISTRATION_OVERDUE])[R.REGISTRATION_OVERDUE].raised
            == 1
        )
        second = Alert.objects.exclude(pk=first.pk).get()
        assert second.due_date == ON + dt.timedelta(90)
        first.refresh_from_db()
        assert first.status == AlertStatus.RESOLVED and first.resolved_by is None

    def test_a_manual_resolution_sticks_until_the_next_due_date(self):
        agency = AgencyFactory()
        registrar = staff(agency, Role.REGISTRY_OFFICER)
        reg = RegistrationFactory(
            case=CaseFactory(lead_agency=agency), next_verification_due=ON - dt.timedelta(1)
        )
        run_sweep(ON, rule_codes=[R.REGISTRATION_OVERDUE])
        alert = Alert.objects.get()
        resolve(registrar.user, alert, "In hospital; verified by phone with the ward.")
        # the condition still holds, but the person's decision is kept
        counts = run_sweep(ON, rule_codes=[R.REGISTRATION_OVERDUE])[R.REGISTRATION_OVERDUE]
        assert counts == (0, 0, 0)
        assert Alert.objects.count() == 1
        # the next due date is a new alert
        reg.next_verification_due = ON + dt.timedelta(30)
        reg.save()
        run_sweep(ON + dt.timedelta(31), rule_codes=[R.REGISTRATION_OVERDUE])
        assert Alert.objects.exclude(status=AlertStatus.RESOLVED).count() == 1

    def test_routing_follows_the_case_when_the_manager_changes(self):
        agency = AgencyFactory()
        old, new = staff(agency, Role.CASE_MANAGER), staff(agency, Role.CASE_MANAGER)
        case = CaseFactory(lead_agency=agency, case_manager=old)
        assessment(case, assessed_on=dt.date(2025, 9, 1), next_due=ON)
        run_sweep(ON, rule_codes=[R.REASSESSMENT_DUE])
        case.case_manager = new
        case.save()
        run_sweep(ON, rule_codes=[R.REASSESSMENT_DUE])
        assert Alert.objects.get().assignee == new


def _scans_of(plan: dict, table: str) -> list[dict]:
    found = [plan] if plan.get("Relation Name") == table and "Scan" in plan["Node Type"] else []
    for child in plan.get("Plans", []):
        found += _scans_of(child, table)
    return found


@pytest.mark.django_db
def test_each_apply_statement_reads_the_alert_table_once_even_when_it_looks_empty():
    # given statistics that say the alert table is empty (a first sweep, or after a purge),
    # and cases for which most rules raise several alerts
    build_world(AgencyFactory(), 6)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cases_alert")
    # when the sweep runs, each apply statement first run under EXPLAIN ANALYZE in a
    # savepoint that is rolled back (the contact rules' temporary table exists by then)
    plans: list[dict] = []

    def explained(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        if "INSERT INTO cases_alert" in sql and "open_alerts AS MATERIALIZED" in sql:
            with transaction.atomic():
                raw = context["cursor"].cursor
                raw.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
                plans.append(raw.fetchone()[0][0]["Plan"])
                transaction.set_rollback(True)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(explained):
        result = run_sweep(ON, workers=1)
    raising = {code for code, counts in result.items() if counts.raised > 1}
    assert len(raising) >= 3
    assert len(plans) == len(result)
    # then no statement scans the alert table once per alert it raises: the "a person
    # resolved this very alert" check used to be a sequential scan per new alert of the table
    # the statement was filling (quadratic: 78 s for 70,000 alerts)
    for plan in plans:
        scans = _scans_of(plan, "cases_alert")
        assert scans and all(scan["Actual Loops"] <= 1 for scan in scans), [
            (scan["Node Type"], scan.get("Alias"), scan["Actual Loops"]) for scan in scans
        ]


@pytest.mark.django_db
def test_query_count_does_not_depend_on_the_number_of_cases(django_assert_num_queries):
    # given 3 cases, the number of queries of a full sweep
    agency = AgencyFactory()
    build_world(agency, 3)
    with CaptureQueriesContext(connection) as small:
        run_sweep(ON)
    assert Alert.objects.count() > 10
    # when there are 30 cases, the sweep runs exactly as many queries
    build_world(agency, 27)
    with django_assert_num_queries(len(small.captured_queries)):
        result = run_sweep(ON)
    assert sum(c.raised for c in result.values()) > 100


class WorkerKilled(BaseException):
    """Stands in for SIGKILL: not an Exception, so nothing catches it."""


@pytest.mark.django_db(transaction=True)
class TestCrashesAndConcurrency:
    def test_a_worker_killed_mid_sweep_loses_nothing(self, monkeypatch):
        build_world(AgencyFactory(), 3)
        original = rules.ReassessmentDue.desired

        def killed(self, ctx):
            raise WorkerKilled

        # when the worker dies while working on the reassessment rule (rules in one lane)
        monkeypatch.setattr(rules.ReassessmentDue, "desired", killed)
        with pytest.raises(WorkerKilled):
            run_sweep(ON, workers=1)
        # then the rules before it are committed, nothing after it ran
        done = set(Alert.objects.values_list("rule", flat=True))
        assert {R.REGISTRATION_OVERDUE, R.VERIFICATION_FAILED} <= done
        assert R.REASSESSMENT_DUE not in done and R.TRAINING_EXPIRED not in done
        # and the next run completes the set, without duplicates
        monkeypatch.setattr(rules.ReassessmentDue, "desired", original)
        result = run_sweep(ON)
        assert result[R.REGISTRATION_OVERDUE] == (0, 3, 0)
        assert result[R.REASSESSMENT_DUE].raised == 3
        assert result[R.TRAINING_EXPIRED].raised == 3
        assert no_duplicates()

    def test_lanes_run_side_by_side_and_a_lane_killed_loses_nothing(self, monkeypatch):
        build_world(AgencyFactory(), 3)
        # when the sweep runs in two lanes (each its own connection) and one of them dies
        lanes = engine._lanes(list(rules.RULES), 2)
        assert len(lanes) == 2
        contacts = next(lane for lane in lanes if rules.RULES_BY_CODE[R.CONTACT_BEHIND] in lane)
        assert rules.RULES_BY_CODE[R.FIRST_CONTACT_MISSED] in contacts  # share a session
        seen: set[str] = set()
        original = rules.ReassessmentDue.desired

        def killed(self, ctx):
            seen.add(threading.current_thread().name)
            raise WorkerKilled

        monkeypatch.setattr(rules.ReassessmentDue, "desired", killed)
        with pytest.raises(WorkerKilled):  # the lane's death reaches the caller
            run_sweep(ON, workers=2)
        # then the rule died on a lane thread, and what the lanes committed stays
        reassessment = rules.RULES_BY_CODE[R.REASSESSMENT_DUE]
        on_main = reassessment in lanes[0]
        assert seen == {threading.main_thread().name if on_main else "alert-sweep-lane-1"}
        assert R.REASSESSMENT_DUE not in set(Alert.objects.values_list("rule", flat=True))
        # and the next run, in lanes, completes the set without duplicates, reporting every
        # rule in the declared order
        monkeypatch.setattr(rules.ReassessmentDue, "desired", original)
        result = run_sweep(ON, workers=2)
        assert list(result) == [r.code for r in rules.RULES if r.code in result]
        assert result[R.REASSESSMENT_DUE].raised == 3
        assert result[R.REGISTRATION_OVERDUE] == (0, 3, 0)
        assert no_duplicates()
        # and the same sweep in one lane finds the same (everything still open)
        again = run_sweep(ON, workers=1)
        assert {code: c.still_open for code, c in again.items()} == {
            code: c.raised + c.still_open for code, c in result.items()
        }

    def test_the_alert_statistics_are_refreshed_once_a_thousand_alerts_changed(self):
        # given an alert table of 20,000 resolved alerts whose statistics are fresh (the
        # sweep leaves resolved alerts alone)
        def last_analyze():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_stat_force_next_flush()")
                cursor.execute(
                    "SELECT last_analyze FROM pg_stat_user_tables"
                    " WHERE relid = 'cases_alert'::regclass"
                )
                return cursor.fetchone()[0]

        agency = AgencyFactory()

        def write(start: int, count: int) -> None:
            with connection.cursor() as cursor:
                cursor.execute(
                    "INSERT INTO cases_alert (rule, subject_key, record_type, agency_id,"
                    " due_date, severity, status, message, facts, raised_at, resolved_at,"
                    " resolution_note, updated_at)"
                    " SELECT %s, 'test:' || n, '', %s, %s, 'warning', 'resolved',"
                    " 'Fictional alert', '{}', now(), now(), '', now()"
                    " FROM generate_series(%s, %s) n",
                    [R.MOU_EXPIRED, agency.pk, ON, start, start + count - 1],
                )

        write(0, 20_000)
        last_analyze()  # the inserts' counts reach the statistics before the ANALYZE
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_alert")
        fresh = last_analyze()
        # when 500 more are written, a sweep keeps the statistics (no rule is far off)
        write(20_000, 500)
        assert last_analyze() == fresh  # (and the counts are flushed)
        run_sweep(ON, workers=1)
        assert last_analyze() == fresh
        # when 1,000 more are written — a twentieth of the table, so under the tenth that
        # used to be the limit — the sweep analyzes it before its rules plan their joins:
        # one rule's count can be 1,500 off, and a nested loop over two sets it thinks
        # hold one row each is quadratic
        write(20_500, 1_000)
        assert last_analyze() == fresh
        run_sweep(ON, workers=1)
        after = last_analyze()
        assert after is not None and after > fresh
        # and a sweep over an unchanged table does not
        run_sweep(ON, workers=1)
        assert last_analyze() == after

    def test_a_failure_inside_a_rule_rolls_that_rule_back_and_the_sweep_goes_on(self, monkeypatch):
        build_world(AgencyFactory(), 2)
        # a statement that fails after the desired set was computed (a bad column)
        monkeypatch.setattr(
            rules.VerificationFailed,
            "holds",
            lambda self, ctx: ("no_such_column = 1", {}),
        )
        result = run_sweep(ON)
        assert result.skipped[R.VERIFICATION_FAILED] == "error"
        assert not Alert.objects.filter(rule=R.VERIFICATION_FAILED).exists()
        assert result[R.REASSESSMENT_DUE].raised == 2
        monkeypatch.undo()
        assert run_sweep(ON)[R.VERIFICATION_FAILED].raised == 2

    def test_two_sweeps_at_once_create_no_duplicates(self):
        build_world(AgencyFactory(), 5)
        barrier = threading.Barrier(2)
        results: list = []
        errors: list = []

        def worker() -> None:
            try:
                barrier.wait()
                results.append(run_sweep(ON))
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors
        assert no_duplicates()
        # every alert was raised exactly once, by one sweep or the other
        raised = sum(c.raised for result in results for c in result.values())
        assert raised == Alert.objects.count() > 0

    def test_a_rule_held_by_another_sweep_is_reported_busy(self):
        RegistrationFactory(next_verification_due=ON - dt.timedelta(1))
        holding = threading.Event()
        release = threading.Event()

        def other_sweep() -> None:
            try:
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(%s, hashtext(%s))",
                        [LOCK_NAMESPACE, f"alerts:{R.REGISTRATION_OVERDUE}"],
                    )
                    holding.set()
                    release.wait(10)
            finally:
                connections.close_all()

        thread = threading.Thread(target=other_sweep)
        thread.start()
        assert holding.wait(10)
        try:
            result = run_sweep(ON, rule_codes=[R.REGISTRATION_OVERDUE, R.UPDATE_LATE])
        finally:
            release.set()
            thread.join()
        assert result.skipped == {R.REGISTRATION_OVERDUE: "busy"}
        assert R.UPDATE_LATE in result
        assert (
            run_sweep(ON, rule_codes=[R.REGISTRATION_OVERDUE])[R.REGISTRATION_OVERDUE].raised == 1
        )


@pytest.mark.django_db
class TestEscalation:
    def setup_alert(self, raised_days_ago: int, supervisor=True):
        agency = AgencyFactory()
        boss = staff(agency, Role.SUPERVISOR) if supervisor else None
        manager = staff(agency, Role.CASE_MANAGER, supervisor=boss)
        case = CaseFactory(lead_agency=agency, case_manager=manager)
        assessment(case, assessed_on=dt.date(2025, 9, 1), next_due=ON)
        run_sweep(ON, rule_codes=[R.REASSESSMENT_DUE])
        alert = Alert.objects.get()
        Alert.objects.filter(pk=alert.pk).update(
            raised_at=timezone.now() - dt.timedelta(days=raised_days_ago)
        )
        return alert, manager, boss

    def test_unacknowledged_alerts_escalate_to_the_supervisor_after_n_days(self):
        alert_setting(R.REASSESSMENT_DUE, escalate_after_days=5)
        alert, _, boss = self.setup_alert(raised_days_ago=4)
        assert escalate() == 0
        Alert.objects.filter(pk=alert.pk).update(raised_at=timezone.now() - dt.timedelta(days=6))
        assert escalate() == 1
        alert.refresh_from_db()
        assert alert.escalated_to == boss and alert.escalated_at is not None
        mail = OutboxMessage.objects.get(kind="alert_email", payload__reason="escalated")
        assert mail.payload["staff_id"] == boss.pk
        # escalates once
        assert escalate() == 0

    def test_acknowledged_alerts_do_not_escalate(self):
        alert, manager, _ = self.setup_alert(raised_days_ago=10)
        acknowledge(manager.user, alert)
        assert escalate() == 0

    def test_without_a_named_supervisor_an_agency_supervisor_is_used(self):
        alert, manager, _ = self.setup_alert(raised_days_ago=10, supervisor=False)
        agency_boss = staff(manager.agency, Role.SUPERVISOR)
        assert escalate() == 1
        alert.refresh_from_db()
        assert alert.escalated_to == agency_boss


@pytest.mark.django_db
def test_the_command_prints_each_rule(capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "cases.compliance", None)  # as if not installed
    RegistrationFactory(next_verification_due=ON - dt.timedelta(1))
    call_command("run_alert_sweep", "--date", ON.isoformat())
    out = capsys.readouterr().out
    assert "registration_overdue" in out
    line = next(row for row in out.splitlines() if row.startswith("registration_overdue"))
    assert line.split()[1:] == ["1", "0", "0"]
    assert "contact_behind" in out and "skipped (unavailable)" in out
