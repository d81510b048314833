"""Each alert rule raises when its condition holds and resolves itself when it clears."""

from __future__ import annotations

import datetime as dt
import sys
import types
from collections import namedtuple

import pytest

from agencies.choices import AgencyKind, Role
from cases.alerts.engine import refresh_cases, run_sweep
from cases.choices import AlertStatus, CaseStatus, TeamRole
from cases.models import Alert, Case
from mou.choices import MOUStatus
from protocols.choices import AlertRuleCode as R
from tests.factories import AgencyFactory, CaseFactory, MOUFactory, MOUPartyFactory
from tests.factories_registration import (
    EventFactory,
    RegistrationFactory,
    VerificationFactory,
    alert_setting,
    assessment,
    enrollment,
    on_team,
    release_plan,
    staff,
    training,
    treatment_report,
)

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 3, 16)  # a Monday


@pytest.fixture
def doc():
    return AgencyFactory(name="Prairie State Department of Corrections", short_name="PSDOC")


@pytest.fixture
def sheriff():
    return AgencyFactory(
        name="Meadow County Sheriff", short_name="MCSO", kind=AgencyKind.LAW_ENFORCEMENT
    )


@pytest.fixture
def manager(doc):
    return staff(doc, Role.CASE_MANAGER)


@pytest.fixture
def officer(doc):
    return staff(doc, Role.SUPERVISION_OFFICER)


@pytest.fixture
def case(doc, manager, officer):
    return CaseFactory(lead_agency=doc, case_manager=manager, officer=officer)


def sweep(rule: str, on: dt.date = ON):
    return run_sweep(on, rule_codes=[rule])[rule]


def open_alerts(rule: str):
    return Alert.objects.filter(rule=rule).exclude(status=AlertStatus.RESOLVED)


class TestRegistrationRules:
    def test_due_soon_raises_for_the_registry_officer_on_the_team_and_resolves(self, case, sheriff):
        # given a registration registered with the sheriff, due in 5 days, and two registry
        # officers there — the one on the case team gets the alert
        first = staff(sheriff, Role.REGISTRY_OFFICER)
        on_case = staff(sheriff, Role.REGISTRY_OFFICER)
        on_team(case, on_case, TeamRole.REGISTRY)
        reg = RegistrationFactory(
            case=case, registering_agency=sheriff, next_verification_due=ON + dt.timedelta(5)
        )
        # when the sweep runs
        counts = sweep(R.REGISTRATION_DUE_SOON)
        # then one alert is raised, to the registry officer on the team, for the sheriff
        assert counts == (1, 0, 0)
        alert = open_alerts(R.REGISTRATION_DUE_SOON).get()
        assert (alert.assignee, alert.agency, alert.case) == (on_case, sheriff, case)
        assert alert.due_date == ON + dt.timedelta(5)
        assert alert.facts["tier"] == "II"
        assert first != on_case
        # when the registrant verifies and the next date moves out of the window
        reg.next_verification_due = ON + dt.timedelta(180)
        reg.save()
        # then the alert resolves itself
        assert sweep(R.REGISTRATION_DUE_SOON) == (0, 0, 1)
        assert not open_alerts(R.REGISTRATION_DUE_SOON).exists()

    def test_due_soon_falls_back_to_the_agencys_first_registry_officer(self, case, sheriff):
        first = staff(sheriff, Role.REGISTRY_OFFICER)
        staff(sheriff, Role.REGISTRY_OFFICER)
        RegistrationFactory(
            case=case, registering_agency=sheriff, next_verification_due=ON + dt.timedelta(3)
        )
        sweep(R.REGISTRATION_DUE_SOON)
        assert open_alerts(R.REGISTRATION_DUE_SOON).get().assignee == first

    def test_due_soon_window_comes_from_the_alert_setting(self, case):
        # given a 30-day window set by protocol, and a registration due in 20 days
        alert_setting(R.REGISTRATION_DUE_SOON, due_soon_days=30)
        RegistrationFactory(case=case, next_verification_due=ON + dt.timedelta(20))
        # then it is due soon (the default 14-day window would not include it)
        assert sweep(R.REGISTRATION_DUE_SOON).raised == 1

    def test_due_soon_window_comes_from_the_registration_schedule(self, case):
        from tests.factories_registration import sorna_schedules

        schedules = sorna_schedules()
        for row in schedules:
            row.due_soon_days = 3
            row.save()
        RegistrationFactory(case=case, next_verification_due=ON + dt.timedelta(10))
        assert sweep(R.REGISTRATION_DUE_SOON).raised == 0

    def test_overdue_raises_critical_and_resolves_when_verified(self, case):
        reg = RegistrationFactory(case=case, next_verification_due=ON - dt.timedelta(2))
        assert sweep(R.REGISTRATION_OVERDUE) == (1, 0, 0)
        assert open_alerts(R.REGISTRATION_OVERDUE).get().severity == "critical"
        reg.next_verification_due = ON + dt.timedelta(90)
        reg.save()
        assert sweep(R.REGISTRATION_OVERDUE) == (0, 0, 1)

    def test_ended_registrations_raise_nothing(self, case):
        RegistrationFactory(
            case=case,
            status="ended",
            end_date=ON,
            next_verification_due=ON - dt.timedelta(2),
        )
        assert sweep(R.REGISTRATION_OVERDUE).raised == 0

    def test_update_reported_late(self, case):
        event = EventFactory(
            registration=RegistrationFactory(case=case),
            changed_on=dt.date(2026, 3, 2),
            reported_on=dt.date(2026, 3, 9),
            due_by=dt.date(2026, 3, 5),
            late=True,
        )
        assert sweep(R.UPDATE_LATE) == (1, 0, 0)
        alert = open_alerts(R.UPDATE_LATE).get()
        assert "Change of residence on 2026-03-02" in alert.facts["events"]
        # a corrected report date clears it
        event.late = False
        event.save()
        assert sweep(R.UPDATE_LATE) == (0, 0, 1)

    def test_verification_failed_until_a_later_check_verifies(self, case):
        reg = RegistrationFactory(case=case)
        VerificationFactory(registration=reg, verified_on=dt.date(2026, 3, 1))
        VerificationFactory(registration=reg, verified_on=dt.date(2026, 3, 10), result="vacant")
        assert sweep(R.VERIFICATION_FAILED) == (1, 0, 0)
        assert open_alerts(R.VERIFICATION_FAILED).get().severity == "critical"
        VerificationFactory(registration=reg, verified_on=dt.date(2026, 3, 12))
        assert sweep(R.VERIFICATION_FAILED) == (0, 0, 1)


class TestCaseRules:
    def test_reassessment_due_for_the_latest_assessment_only(self, case, manager):
        # given an old assessment (superseded) and the latest one due in 10 days
        assessment(case, assessed_on=dt.date(2025, 3, 1), next_due=dt.date(2025, 9, 1))
        latest = assessment(case, assessed_on=dt.date(2025, 9, 20), next_due=ON + dt.timedelta(10))
        counts = sweep(R.REASSESSMENT_DUE)
        # then one alert, about the latest, to the case manager
        assert counts == (1, 0, 0)
        alert = open_alerts(R.REASSESSMENT_DUE).get()
        assert (alert.assignee, alert.due_date, alert.record_type) == (
            manager,
            latest.next_due,
            "assessments",
        )
        # when the reassessment is scored
        assessment(case, assessed_on=ON, next_due=ON + dt.timedelta(180))
        # then the alert resolves itself
        assert sweep(R.REASSESSMENT_DUE) == (0, 0, 1)

    def test_voided_assessments_do_not_count(self, case):
        assessment(case, assessed_on=dt.date(2025, 9, 20), next_due=ON + dt.timedelta(3))
        assessment(
            case,
            assessed_on=ON,
            next_due=ON + dt.timedelta(180),
            status="voided",
            void_reason="entered twice",
        )
        assert sweep(R.REASSESSMENT_DUE).raised == 1

    def test_release_without_an_approved_plan(self, doc, manager):
        case = CaseFactory(
            lead_agency=doc,
            case_manager=manager,
            status=CaseStatus.INCARCERATED,
            supervision_start=None,
            supervision_level="",
            expected_release_date=ON + dt.timedelta(60),
        )
        far = CaseFactory(
            lead_agency=doc,
            status=CaseStatus.INCARCERATED,
            supervision_start=None,
            supervision_level="",
            expected_release_date=ON + dt.timedelta(200),
        )
        plan = release_plan(case, status="submitted")
        assert sweep(R.RELEASE_NO_PLAN) == (1, 0, 0)
        assert open_alerts(R.RELEASE_NO_PLAN).get().case == case
        assert far.pk != case.pk
        plan.status = "approved"
        plan.save()
        assert sweep(R.RELEASE_NO_PLAN) == (0, 0, 1)

    def test_release_lead_time_comes_from_the_protocol(self, doc):
        alert_setting(R.RELEASE_NO_PLAN, release_lead_days=30)
        CaseFactory(
            lead_agency=doc,
            status=CaseStatus.PRE_RELEASE,
            supervision_start=None,
            supervision_level="",
            expected_release_date=ON + dt.timedelta(60),
        )
        assert sweep(R.RELEASE_NO_PLAN).raised == 0

    def test_treatment_report_missing_for_the_previous_month(self, case, officer):
        enrolled = enrollment(case, intake_date=dt.date(2026, 1, 10))
        treatment_report(enrolled, dt.date(2026, 1, 1))
        # when the sweep runs in March with no February report
        assert sweep(R.TREATMENT_REPORT_MISSING) == (1, 0, 0)
        alert = open_alerts(R.TREATMENT_REPORT_MISSING).get()
        assert (alert.assignee, alert.due_date) == (officer, dt.date(2026, 3, 1))
        assert alert.facts["reports"] == "No report for February 2026"
        # it stays open after the month rolls over while the report is still missing
        counts = sweep(R.TREATMENT_REPORT_MISSING, on=dt.date(2026, 4, 2))
        assert counts == (1, 0, 0)  # March's report is missing too
        assert open_alerts(R.TREATMENT_REPORT_MISSING).count() == 2
        # and resolves when February's report arrives
        treatment_report(enrolled, dt.date(2026, 2, 1))
        assert sweep(R.TREATMENT_REPORT_MISSING, on=dt.date(2026, 4, 2)) == (0, 1, 1)

    def test_new_enrollments_owe_no_report_for_before_intake(self, case):
        enrollment(case, intake_date=dt.date(2026, 3, 2))
        assert sweep(R.TREATMENT_REPORT_MISSING).raised == 0


class TestAgencyRules:
    def test_mou_expiring_within_60_days_to_each_partys_admin(self, doc, sheriff):
        doc_admin = staff(doc, Role.AGENCY_ADMIN)
        sheriff_admin = staff(sheriff, Role.AGENCY_ADMIN)
        mou = MOUFactory(
            drafted_by=doc, status=MOUStatus.ACTIVE, expiration_date=ON + dt.timedelta(45)
        )
        MOUPartyFactory(mou=mou, agency=doc)
        MOUPartyFactory(mou=mou, agency=sheriff)
        assert sweep(R.MOU_EXPIRING) == (2, 0, 0)
        assert {(a.agency, a.assignee) for a in open_alerts(R.MOU_EXPIRING)} == {
            (doc, doc_admin),
            (sheriff, sheriff_admin),
        }
        # renewed for two more years: the alerts clear
        mou.expiration_date = ON.replace(year=2028)
        mou.save()
        assert sweep(R.MOU_EXPIRING) == (0, 0, 2)

    def test_mou_expired_stays_open_until_resolved_or_extended(self, doc):
        mou = MOUFactory(
            drafted_by=doc, status=MOUStatus.EXPIRED, expiration_date=ON - dt.timedelta(3)
        )
        MOUPartyFactory(mou=mou, agency=doc)
        assert sweep(R.MOU_EXPIRED) == (1, 0, 0)
        # long after the raising window, still open (sharing is still stopped)
        assert sweep(R.MOU_EXPIRED, on=ON + dt.timedelta(90)) == (0, 0, 0)
        assert open_alerts(R.MOU_EXPIRED).count() == 1
        # extended: it clears
        mou.status = MOUStatus.ACTIVE
        mou.expiration_date = ON.replace(year=2027)
        mou.save()
        assert sweep(R.MOU_EXPIRED) == (0, 0, 1)

    def test_training_expiring_and_expired_go_to_the_staff_member(self, doc):
        member = staff(doc, Role.SUPERVISION_OFFICER)
        record = training(
            member, completed_on=dt.date(2025, 4, 1), expires_on=ON + dt.timedelta(20)
        )
        assert sweep(R.TRAINING_EXPIRING) == (1, 0, 0)
        assert open_alerts(R.TRAINING_EXPIRING).get().assignee == member
        assert sweep(R.TRAINING_EXPIRED).raised == 0
        # the date passes without renewal
        later = ON + dt.timedelta(25)
        assert sweep(R.TRAINING_EXPIRING, on=later) == (0, 0, 1)
        assert sweep(R.TRAINING_EXPIRED, on=later) == (1, 0, 0)
        # renewed: the latest record per course counts
        training(member, course=record.course, completed_on=later, expires_on=later.replace(2027))
        assert sweep(R.TRAINING_EXPIRED, on=later) == (0, 0, 1)


Unacked = namedtuple("Unacked", "staff_id version_id due_date")


class TestRulesOverOtherTopics:
    def test_contact_rules_are_skipped_until_compliance_is_installed(self, monkeypatch):
        monkeypatch.setitem(sys.modules, "cases.compliance", None)
        result = run_sweep(ON)
        assert result.skipped[R.CONTACT_BEHIND] == "unavailable"
        assert result.skipped[R.FIRST_CONTACT_MISSED] == "unavailable"
        assert R.CONTACT_BEHIND not in result

    def test_contact_rules_follow_compliance(self, case, officer):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from tests.factories_contacts import (
            ContactStandardFactory,
            SupervisionContactFactory,
            local_dt,
        )

        # given a moderate case that needs a face-to-face contact every 30 days and a home
        # visit within 10 days of the start; its last face-to-face contact was 40 days ago
        Case.objects.filter(pk=case.pk).update(supervision_start=ON - dt.timedelta(100))
        ContactStandardFactory(
            supervision_level="moderate", requirement="face_to_face", count=1, period_days=30
        )
        ContactStandardFactory(
            supervision_level="moderate",
            requirement="home_visit",
            count=1,
            period_days=90,
            initial_deadline=10,
        )
        SupervisionContactFactory(case=case, contact_at=local_dt(ON - dt.timedelta(40)))
        # when both contact rules run
        with CaptureQueriesContext(connection) as queries:
            result = run_sweep(ON, rule_codes=[R.CONTACT_BEHIND, R.FIRST_CONTACT_MISSED])
        # then each raises its own kind, from one evaluation of compliance shared by both
        assert result[R.CONTACT_BEHIND] == (1, 0, 0)
        assert result[R.FIRST_CONTACT_MISSED] == (1, 0, 0)
        assert sum("alert_contact_problems AS" in q["sql"] for q in queries.captured_queries) == 1
        behind = open_alerts(R.CONTACT_BEHIND).get()
        assert (behind.assignee, behind.subject_key) == (officer, f"contact:{case.pk}:face_to_face")
        assert behind.due_date == ON - dt.timedelta(10)
        assert "face-to-face contact" in behind.message
        missed = open_alerts(R.FIRST_CONTACT_MISSED).get()
        assert missed.subject_key == f"first-contact:{case.pk}:home_visit"
        assert missed.due_date == ON - dt.timedelta(90)
        # when the face-to-face contact is logged, then that alert resolves, the other stays
        SupervisionContactFactory(case=case, contact_at=local_dt(ON))
        result = run_sweep(ON, rule_codes=[R.CONTACT_BEHIND, R.FIRST_CONTACT_MISSED])
        assert result[R.CONTACT_BEHIND] == (0, 0, 1)
        assert result[R.FIRST_CONTACT_MISSED] == (0, 1, 0)
        # and a refresh limited to another case (no contact yet) raises for it alone
        other = CaseFactory(lead_agency=case.lead_agency)
        result = refresh_cases([other.pk], [R.FIRST_CONTACT_MISSED])
        assert result[R.FIRST_CONTACT_MISSED] == (1, 0, 0)
        assert {a.case_id for a in open_alerts(R.FIRST_CONTACT_MISSED)} == {case.pk, other.pk}

    def test_protocol_acknowledgment_rule(self, monkeypatch, doc):
        from protocols.models import Protocol, ProtocolVersion

        member = staff(doc, Role.SUPERVISION_OFFICER)
        version = ProtocolVersion.objects.create(
            protocol=Protocol.objects.create(area="supervision", title="Supervision protocol"),
            number=2,
            body="Text",
        )
        module = types.ModuleType("protocols.services")
        module.unacknowledged = lambda on: [Unacked(member.pk, version.pk, ON)]
        monkeypatch.setitem(sys.modules, "protocols.services", module)
        assert sweep(R.PROTOCOL_UNACKNOWLEDGED) == (1, 0, 0)
        alert = open_alerts(R.PROTOCOL_UNACKNOWLEDGED).get()
        assert alert.assignee == member
        assert alert.message == "Acknowledge Supervision protocol v2 by 2026-03-16"


def test_a_disabled_rule_is_skipped(case):
    alert_setting(R.REGISTRATION_OVERDUE, enabled=False)
    RegistrationFactory(case=case, next_verification_due=ON - dt.timedelta(2))
    result = run_sweep(ON, rule_codes=[R.REGISTRATION_OVERDUE])
    assert result.skipped == {R.REGISTRATION_OVERDUE: "disabled"}
    assert not Alert.objects.exists()


def test_registration_window_precedence_matches_the_schedule_in_force():
    from django.db import connection

    from cases.alerts.rules import SweepSettings
    from tests.factories_registration import kora_schedules, sorna_schedules

    # given SORNA defaults (14 days), Kansas quarterly (10) and transient (7) rules,
    # and a default alert setting of 20 days
    sorna_schedules()
    kora_schedules("Kansas")
    alert_setting(R.REGISTRATION_DUE_SOON, due_soon_days=20)
    housed = RegistrationFactory(jurisdiction="Kansas")
    transient = RegistrationFactory(jurisdiction="Kansas", transient=True)
    elsewhere = RegistrationFactory(jurisdiction="Prairie State", transient=True)
    window, params = SweepSettings.load(ON).registration_window()
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT r.id, {window} FROM cases_registrationrecord r", params)
        windows = dict(cursor.fetchall())
    # then a jurisdiction's own schedule beats the default setting, which beats the default
    # schedule; a transient rule applies to transient registrants only
    assert windows == {housed.pk: 10, transient.pk: 7, elsewhere.pk: 20}
