"""Registration: schedules from protocol data, periods, late reports, address verification."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from agencies.choices import AgencyKind, Role
from cases.alerts.engine import run_sweep
from cases.choices import AlertStatus, RegistrationStatus, TeamRole
from cases.models import Alert
from cases.services import registration as svc
from protocols.choices import AlertRuleCode as R
from sartcm.models import AuditEvent, OutboxMessage
from tests.factories import AgencyFactory, CaseFactory, OffenderFactory
from tests.factories_registration import (
    RegistrationFactory,
    holiday,
    kora_schedules,
    on_team,
    share,
    sorna_schedules,
    staff,
)

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 3, 16)  # a Monday
START = dt.date(2026, 3, 2)


@pytest.fixture
def doc():
    return AgencyFactory(name="Prairie State Department of Corrections", short_name="PSDOC")


@pytest.fixture
def registrar(doc):
    """A registry officer of the lead agency (full standing)."""
    return staff(doc, Role.REGISTRY_OFFICER)


@pytest.fixture
def case(doc):
    # date of birth 17 May: KORA reporting months are May, August, November, February
    return CaseFactory(
        lead_agency=doc, offender=OffenderFactory(date_of_birth=dt.date(1980, 5, 17))
    )


def register(user, case, **kw):
    defaults = {
        "registering_agency": case.lead_agency,
        "tier": "II",
        "jurisdiction": "Prairie State",
        "start_date": START,
        "on": ON,
    }
    return svc.register(user, case=case, **{**defaults, **kw})


class TestSornaByTier:
    @pytest.mark.parametrize(
        ("tier", "first_due", "years"),
        [
            ("I", dt.date(2027, 3, 2), 15),
            ("II", dt.date(2026, 9, 2), 25),
            ("III", dt.date(2026, 6, 2), None),
        ],
    )
    def test_first_due_date_and_period(self, registrar, case, tier, first_due, years):
        # given the SORNA defaults as protocol data
        sorna_schedules()
        # when a registrant is registered
        reg = register(registrar.user, case, tier=tier)
        # then the first in-person verification is 12/6/3 months out; the period 15/25/life
        assert reg.next_verification_due == first_due
        assert reg.period_years == years
        assert reg.end_date == (START.replace(year=START.year + years) if years else None)
        assert reg.status == RegistrationStatus.COMPLIANT

    def test_without_protocol_rows_the_sorna_floor_applies(self, registrar, case):
        reg = register(registrar.user, case, tier="III")
        assert reg.next_verification_due == dt.date(2026, 6, 2)
        assert reg.period_years is None

    def test_custody_days_extend_the_period(self, registrar, case):
        sorna_schedules()
        reg = register(registrar.user, case, tier="I", custody_days_excluded=100)
        assert reg.end_date == dt.date(2041, 3, 2) + dt.timedelta(days=100)

    def test_juvenile_tier_iii_is_life_but_reducible_to_25(self, registrar, case):
        sorna_schedules()
        reg = register(registrar.user, case, tier="III", juvenile=True)
        assert reg.period_years is None
        assert svc.juvenile_reducible_to(reg) == 25
        adult = RegistrationFactory(tier="III", juvenile=False)
        assert svc.juvenile_reducible_to(adult) is None

    def test_an_appearance_within_the_window_satisfies_the_due_date(self, registrar, case):
        sorna_schedules()
        reg = register(registrar.user, case, tier="III")  # due 2 June
        # an appearance 10 days early (inside the 14-day window) satisfies June
        svc.record_event(
            registrar.user,
            reg,
            kind="periodic",
            changed_on=dt.date(2026, 5, 23),
            reported_on=dt.date(2026, 5, 23),
            on=dt.date(2026, 5, 23),
        )
        reg.refresh_from_db()
        assert reg.next_verification_due == dt.date(2026, 9, 2)
        assert reg.last_verified_on == dt.date(2026, 5, 23)

    def test_an_appearance_before_the_window_does_not(self, registrar, case):
        sorna_schedules()
        reg = register(registrar.user, case, tier="III")
        svc.record_event(
            registrar.user,
            reg,
            kind="periodic",
            changed_on=dt.date(2026, 4, 20),
            reported_on=dt.date(2026, 4, 20),
            on=dt.date(2026, 4, 20),
        )
        reg.refresh_from_db()
        assert reg.next_verification_due == dt.date(2026, 6, 2)


class TestJurisdictionRules:
    def test_birth_month_quarterly(self, registrar, case):
        # given Kansas reports in the birth month (May) and 3, 6, 9 months after
        sorna_schedules()
        kora_schedules("Kansas")
        reg = register(registrar.user, case, jurisdiction="Kansas", tier="I")
        # then the first report is due by the end of May, whatever the tier
        assert reg.next_verification_due == dt.date(2026, 5, 31)
        # and the period still follows the tier (KORA's rule says how often, not how long)
        assert reg.period_years == 15
        # a report in May moves it to the end of August, then November, then February
        for reported, expected in (
            (dt.date(2026, 5, 20), dt.date(2026, 8, 31)),
            (dt.date(2026, 8, 3), dt.date(2026, 11, 30)),
            (dt.date(2026, 11, 30), dt.date(2027, 2, 28)),
        ):
            svc.record_event(
                registrar.user,
                reg,
                kind="periodic",
                changed_on=reported,
                reported_on=reported,
                on=reported,
            )
            reg.refresh_from_db()
            assert reg.next_verification_due == expected

    def test_transient_registrants_every_30_days(self, registrar, case):
        kora_schedules("Kansas")
        reg = register(registrar.user, case, jurisdiction="Kansas", transient=True)
        assert reg.next_verification_due == START + dt.timedelta(days=30)
        svc.record_event(
            registrar.user,
            reg,
            kind="periodic",
            changed_on=dt.date(2026, 3, 20),
            reported_on=dt.date(2026, 3, 20),
            on=dt.date(2026, 3, 20),
        )
        reg.refresh_from_db()
        assert reg.next_verification_due == dt.date(2026, 4, 19)
        # becoming housed puts the registrant back on the quarterly rule
        svc.update_registration(registrar.user, reg, transient=False, on=dt.date(2026, 3, 20))
        reg.refresh_from_db()
        assert reg.next_verification_due == dt.date(2026, 5, 31)

    def test_other_jurisdictions_keep_the_default(self, registrar, case):
        sorna_schedules()
        kora_schedules("Kansas")
        reg = register(registrar.user, case, jurisdiction="Prairie State", tier="II")
        assert reg.next_verification_due == dt.date(2026, 9, 2)


class TestReportingChanges:
    def test_three_business_days_over_a_weekend(self, registrar, case):
        reg = register(registrar.user, case)
        # changed on Friday 13 March: Mon, Tue, Wed → due Wednesday 18
        event = svc.record_event(
            registrar.user,
            reg,
            kind="residence",
            changed_on=dt.date(2026, 3, 13),
            reported_on=dt.date(2026, 3, 19),
            on=dt.date(2026, 3, 19),
        )
        assert event.due_by == dt.date(2026, 3, 18)
        assert event.late is True
        # and the late report raises an alert at once
        alert = Alert.objects.get(rule=R.UPDATE_LATE)
        assert alert.subject_key == f"regevent:{event.pk}"

    def test_a_holiday_moves_the_deadline(self, registrar, case):
        holiday(dt.date(2026, 3, 16), "Founders' Day")
        reg = register(registrar.user, case)
        event = svc.record_event(
            registrar.user,
            reg,
            kind="employment",
            changed_on=dt.date(2026, 3, 13),
            reported_on=dt.date(2026, 3, 19),
            on=dt.date(2026, 3, 19),
        )
        assert event.due_by == dt.date(2026, 3, 19)
        assert event.late is False
        assert not Alert.objects.filter(rule=R.UPDATE_LATE).exists()

    def test_a_jurisdictions_window_comes_from_its_schedule(self, registrar, case):
        sorna_schedules()
        rows = sorna_schedules("Kansas")
        for row in rows:
            row.report_change_business_days = 1
            row.save()
        reg = register(registrar.user, case, jurisdiction="Kansas")
        event = svc.record_event(
            registrar.user,
            reg,
            kind="name",
            changed_on=dt.date(2026, 3, 13),
            reported_on=dt.date(2026, 3, 17),
            on=dt.date(2026, 3, 17),
        )
        assert (event.due_by, event.late) == (dt.date(2026, 3, 16), True)

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"kind": "holiday"}, "kind"),
            ({"reported_on": ON + dt.timedelta(1)}, "reported_on"),
            ({"changed_on": ON, "reported_on": ON - dt.timedelta(1)}, "changed_on"),
        ],
    )
    def test_invalid_events_name_the_field(self, registrar, case, changes, field):
        reg = register(registrar.user, case)
        values = {"kind": "vehicle", "changed_on": ON, "reported_on": ON, **changes}
        with pytest.raises(ValidationError) as error:
            svc.record_event(registrar.user, reg, on=ON, **values)
        assert field in error.value.message_dict

    def test_every_change_is_audited(self, registrar, case):
        reg = register(registrar.user, case)
        svc.record_event(registrar.user, reg, kind="vehicle", changed_on=ON, reported_on=ON, on=ON)
        actions = list(
            AuditEvent.objects.filter(case_id=case.pk).values_list("object_type", "action")
        )
        assert ("cases.registrationrecord", "create") in actions
        assert ("cases.registrationevent", "create") in actions


class TestAddressVerification:
    def test_a_failed_check_starts_absconder_review_and_alerts_the_registry_officer(self, case):
        # given a registration with the county sheriff, whose registry officer is on the team
        sheriff = AgencyFactory(kind=AgencyKind.LAW_ENFORCEMENT)
        deputy = staff(sheriff, Role.REGISTRY_OFFICER)
        on_team(case, deputy, TeamRole.REGISTRY)
        share(
            case,
            sheriff,
            "registration",
            ["tier", "status", "verifications"],
            ["view", "add", "change"],
        )
        reg = RegistrationFactory(case=case, registering_agency=sheriff)
        # when the deputy finds the address vacant
        check = svc.record_verification(
            deputy.user,
            reg,
            verified_on=ON,
            address="12 Prairie Lane, Meadowton",
            result="vacant",
            notes="No furniture; neighbours say he left a month ago.",
            on=ON,
        )
        # then absconder review starts and a critical alert reaches the deputy, with an email
        reg.refresh_from_db()
        assert reg.status == RegistrationStatus.ABSCONDER_REVIEW
        alert = Alert.objects.get(rule=R.VERIFICATION_FAILED)
        assert (alert.assignee, alert.severity, alert.subject_key) == (
            deputy,
            "critical",
            f"verification:{check.pk}",
        )
        mail = OutboxMessage.objects.get(kind="alert_email")
        assert mail.payload == {"staff_id": deputy.pk, "alert_ids": [alert.pk], "reason": "raised"}
        assert check.officer == deputy
        # when a later check verifies the address
        svc.record_verification(
            deputy.user,
            reg,
            verified_on=ON,
            address="12 Prairie Lane, Meadowton",
            result="verified",
            on=ON,
        )
        # then the review ends and the alert resolves itself
        reg.refresh_from_db()
        alert.refresh_from_db()
        assert reg.status != RegistrationStatus.ABSCONDER_REVIEW
        assert alert.status == AlertStatus.RESOLVED

    def test_other_needs_notes(self, registrar, case):
        reg = register(registrar.user, case)
        with pytest.raises(ValidationError) as error:
            svc.record_verification(
                registrar.user, reg, verified_on=ON, address="1 Elm St", result="other", on=ON
            )
        assert "notes" in error.value.message_dict

    def test_an_outsider_cannot_record_a_check(self, case):
        reg = RegistrationFactory(case=case)
        outsider = staff(AgencyFactory(kind=AgencyKind.LAW_ENFORCEMENT), Role.REGISTRY_OFFICER)
        with pytest.raises(Http404):
            svc.record_verification(
                outsider.user, reg, verified_on=ON, address="1 Elm St", result="refused", on=ON
            )
        assert not reg.verifications.exists()


class TestStatuses:
    def test_the_sweep_moves_statuses_with_the_calendar_and_audits(self, case):
        due = RegistrationFactory(case=case, next_verification_due=ON + dt.timedelta(5))
        late = RegistrationFactory(
            case=CaseFactory(lead_agency=case.lead_agency),
            next_verification_due=ON - dt.timedelta(1),
        )
        review = RegistrationFactory(
            case=CaseFactory(lead_agency=case.lead_agency),
            status=RegistrationStatus.ABSCONDER_REVIEW,
            next_verification_due=ON - dt.timedelta(1),
        )
        over = RegistrationFactory(
            case=CaseFactory(lead_agency=case.lead_agency),
            start_date=dt.date(2001, 1, 1),
            end_date=ON,
            period_years=25,
        )
        result = run_sweep(ON, rule_codes=[])
        assert result.statuses_changed == 3
        for reg, status in (
            (due, "due"),
            (late, "non_compliant"),
            (review, "absconder_review"),  # people decide about absconders, not the calendar
            (over, "ended"),
        ):
            reg.refresh_from_db()
            assert reg.status == status
        trail = AuditEvent.objects.get(
            object_id=str(late.pk), object_type="cases.registrationrecord"
        )
        assert trail.changes == {"status": ["compliant", "non_compliant"]}
        assert trail.channel == "job"

    def test_ending_a_registration_needs_a_reason(self, registrar, case):
        reg = register(registrar.user, case)
        with pytest.raises(ValidationError):
            svc.set_status(registrar.user, reg, status="ended", reason=" ", on=ON)
        svc.set_status(registrar.user, reg, status="absconded", reason="Warrant issued", on=ON)
        reg.refresh_from_db()
        assert reg.status == "absconded"
