"""Contact-standard compliance: windows, due dates, initial deadlines, standards in force,
and the set-based engine agreeing with the per-case one."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from cases.choices import ContactOutcome, ContactType
from cases.compliance import (
    ComplianceStatus,
    behind_requirements,
    case_compliance,
    caseload_compliance,
    count_cases_behind,
)
from cases.models import Case
from tests.factories import CaseFactory
from tests.factories_contacts import (
    ContactStandardFactory,
    HolidayFactory,
    SupervisionContactFactory,
    default_contact_standards,
    local_dt,
)

pytestmark = pytest.mark.django_db

D = dt.date


def by_requirement(statuses):  # noqa: ANN001, ANN201
    return {s.requirement: s for s in statuses}


def f2f(case: Case, day: dt.date, **kwargs) -> None:  # noqa: ANN003
    SupervisionContactFactory(case=case, contact_at=local_dt(day), **kwargs)


# --- windows -------------------------------------------------------------------------------


def test_contact_exactly_period_days_ago_still_counts() -> None:
    # given moderate face-to-face "1 per 30 days" and a contact on 2026-03-01
    ContactStandardFactory(
        supervision_level="moderate", requirement="face_to_face", count=1, period_days=30
    )
    case = CaseFactory(supervision_level="moderate", supervision_start=D(2026, 1, 5))
    f2f(case, D(2026, 3, 1))
    # when evaluated exactly 30 days later
    status = by_requirement(case_compliance(case, D(2026, 3, 31)))["face_to_face"]
    # then it is compliant, due today, with the contact counted
    assert status.status == ComplianceStatus.COMPLIANT
    assert status.due_date == D(2026, 3, 31)
    assert status.counted == 1
    assert status.last_contact == D(2026, 3, 1)


def test_contact_one_day_older_than_the_window_is_behind() -> None:
    ContactStandardFactory(
        supervision_level="moderate", requirement="face_to_face", count=1, period_days=30
    )
    case = CaseFactory(supervision_level="moderate", supervision_start=D(2026, 1, 5))
    f2f(case, D(2026, 3, 1))
    # when evaluated 31 days after the contact
    status = by_requirement(case_compliance(case, D(2026, 4, 1)))["face_to_face"]
    # then behind since yesterday, nothing counted in the window
    assert status.status == ComplianceStatus.BEHIND
    assert status.due_date == D(2026, 3, 31)
    assert status.counted == 0
    assert status.kind == "behind"


def test_two_per_period_is_due_from_the_second_most_recent_contact() -> None:
    # given high face-to-face "2 per 30 days", contacts on Mar 1 and Mar 20
    ContactStandardFactory(
        supervision_level="high", requirement="face_to_face", count=2, period_days=30
    )
    case = CaseFactory(supervision_level="high", supervision_start=D(2026, 1, 5))
    f2f(case, D(2026, 3, 1))
    f2f(case, D(2026, 3, 20))
    # then the next contact is due 30 days after the older of the two
    on_due = by_requirement(case_compliance(case, D(2026, 3, 31)))["face_to_face"]
    assert (on_due.status, on_due.due_date, on_due.counted) == ("compliant", D(2026, 3, 31), 2)
    after = by_requirement(case_compliance(case, D(2026, 4, 1)))["face_to_face"]
    assert (after.status, after.counted) == ("behind", 1)


def test_fewer_contacts_than_required_get_the_first_period_as_grace() -> None:
    ContactStandardFactory(
        supervision_level="high", requirement="face_to_face", count=2, period_days=30
    )
    case = CaseFactory(supervision_level="high", supervision_start=D(2026, 3, 2))
    f2f(case, D(2026, 3, 3))
    # one contact of two: due supervision_start + 30
    status = by_requirement(case_compliance(case, D(2026, 3, 10)))["face_to_face"]
    assert (status.status, status.due_date) == ("compliant", D(2026, 4, 1))
    assert by_requirement(case_compliance(case, D(2026, 4, 2)))["face_to_face"].status == "behind"


def test_only_qualifying_contacts_count() -> None:
    # given moderate home visits and face-to-face standards
    ContactStandardFactory(
        supervision_level="moderate", requirement="face_to_face", count=1, period_days=30
    )
    ContactStandardFactory(
        supervision_level="moderate", requirement="home_visit", count=1, period_days=60
    )
    case = CaseFactory(supervision_level="moderate", supervision_start=D(2026, 1, 5))
    # an attempted home visit (not home) and a phone call do not count; a violation observed
    # face to face does count as face-to-face
    f2f(case, D(2026, 3, 10), contact_type=ContactType.HOME_VISIT, outcome=ContactOutcome.ATTEMPTED)
    f2f(case, D(2026, 3, 12), contact_type=ContactType.OFFICE, face_to_face=False)
    f2f(case, D(2026, 3, 14), contact_type=ContactType.FIELD, outcome=ContactOutcome.VIOLATION)
    statuses = by_requirement(case_compliance(case, D(2026, 3, 20)))
    assert statuses["face_to_face"].last_contact == D(2026, 3, 14)
    assert statuses["home_visit"].last_contact is None
    assert statuses["home_visit"].due_date == D(2026, 3, 6)  # start + 60, no initial deadline
    assert statuses["home_visit"].status == "behind"


def test_contacts_before_supervision_and_after_the_date_do_not_count() -> None:
    ContactStandardFactory(
        supervision_level="moderate", requirement="face_to_face", count=1, period_days=30
    )
    case = CaseFactory(supervision_level="moderate", supervision_start=D(2026, 3, 1))
    f2f(case, D(2026, 2, 27))  # pre-release interview
    f2f(case, D(2026, 4, 20))  # later than the evaluation date
    status = by_requirement(case_compliance(case, D(2026, 4, 5)))["face_to_face"]
    assert status.last_contact is None
    assert status.status == "behind"


def test_a_late_evening_contact_counts_on_its_local_date() -> None:
    # 23:30 in America/Chicago is the next day in UTC
    ContactStandardFactory(
        supervision_level="moderate", requirement="face_to_face", count=1, period_days=30
    )
    case = CaseFactory(supervision_level="moderate", supervision_start=D(2026, 1, 5))
    SupervisionContactFactory(case=case, contact_at=local_dt(D(2026, 3, 1), 23, 30))
    status = by_requirement(case_compliance(case, D(2026, 3, 31)))["face_to_face"]
    assert status.last_contact == D(2026, 3, 1)
    assert status.status == "compliant"
    assert (
        caseload_compliance(Case.objects.filter(pk=case.pk), D(2026, 3, 31))[case.pk][0] == status
    )


# --- initial deadlines ---------------------------------------------------------------------


@pytest.fixture
def first_f2f_standard() -> None:
    # first face-to-face within 3 business days of supervision start
    ContactStandardFactory(
        supervision_level="high",
        requirement="face_to_face",
        count=2,
        period_days=30,
        initial_deadline=3,
        initial_in_business_days=True,
    )


@pytest.mark.usefixtures("first_f2f_standard")
def test_initial_business_day_deadline_skips_the_weekend() -> None:
    # given supervision starting Friday 2026-11-20: Mon, Tue, Wed -> due Wed 2026-11-25
    case = CaseFactory(supervision_level="high", supervision_start=D(2026, 11, 20))
    pending = by_requirement(case_compliance(case, D(2026, 11, 25)))["face_to_face"]
    assert (pending.status, pending.due_date) == ("initial_pending", D(2026, 11, 25))
    missed = by_requirement(case_compliance(case, D(2026, 11, 26)))["face_to_face"]
    assert (missed.status, missed.kind) == ("initial_missed", "first_missed")


@pytest.mark.usefixtures("first_f2f_standard")
def test_initial_business_day_deadline_skips_holidays_of_the_jurisdiction() -> None:
    # given a statewide holiday on Fri 2026-07-03 and a county holiday on Tue 2026-07-07
    HolidayFactory(jurisdiction="", date=D(2026, 7, 3))
    HolidayFactory(jurisdiction="Cedar County", date=D(2026, 7, 7))
    state_case = CaseFactory(
        supervision_level="high", supervision_start=D(2026, 7, 2), jurisdiction="Prairie State"
    )
    county_case = CaseFactory(
        supervision_level="high", supervision_start=D(2026, 7, 2), jurisdiction="Cedar County"
    )
    # then Thu 07-02 + 3 business days = Wed 07-08 (state), Thu 07-09 (county)
    on = D(2026, 7, 8)
    assert by_requirement(case_compliance(state_case, on))["face_to_face"].due_date == D(2026, 7, 8)
    assert by_requirement(case_compliance(county_case, on))["face_to_face"].due_date == D(
        2026, 7, 9
    )
    # and the set-based engine agrees
    result = caseload_compliance(Case.objects.filter(pk__in=[state_case.pk, county_case.pk]), on)
    assert result[state_case.pk][0].due_date == D(2026, 7, 8)
    assert result[county_case.pk][0].due_date == D(2026, 7, 9)


@pytest.mark.usefixtures("first_f2f_standard")
def test_first_contact_within_the_deadline_switches_to_the_regular_standard() -> None:
    case = CaseFactory(supervision_level="high", supervision_start=D(2026, 11, 20))
    f2f(case, D(2026, 11, 24))
    status = by_requirement(case_compliance(case, D(2026, 11, 30)))["face_to_face"]
    # one of two contacts: due supervision start + 30 days
    assert (status.status, status.due_date) == ("compliant", D(2026, 12, 20))


def test_calendar_day_initial_deadline() -> None:
    ContactStandardFactory(
        supervision_level="moderate",
        requirement="home_visit",
        count=1,
        period_days=60,
        initial_deadline=30,
    )
    case = CaseFactory(supervision_level="moderate", supervision_start=D(2026, 3, 1))
    status = by_requirement(case_compliance(case, D(2026, 3, 31)))["home_visit"]
    assert (status.status, status.due_date) == ("initial_pending", D(2026, 3, 31))
    assert (
        by_requirement(case_compliance(case, D(2026, 4, 1)))["home_visit"].status
        == "initial_missed"
    )


# --- standards in force --------------------------------------------------------------------


def test_the_standard_in_force_on_the_date_is_used() -> None:
    # given "1 per 30 days" until 2026-04-01, then "1 per 60 days"
    old = ContactStandardFactory(
        supervision_level="moderate",
        requirement="face_to_face",
        period_days=30,
        effective_from=D(2020, 1, 1),
        effective_to=D(2026, 4, 1),
    )
    new = ContactStandardFactory(
        supervision_level="moderate",
        requirement="face_to_face",
        period_days=60,
        effective_from=D(2026, 4, 1),
    )
    case = CaseFactory(supervision_level="moderate", supervision_start=D(2026, 1, 5))
    f2f(case, D(2026, 2, 20))
    # last March the old standard applies: due 03-22, behind on 03-25
    march = case_compliance(case, D(2026, 3, 25))[0]
    assert (march.standard_id, march.due_date, march.status) == (old.pk, D(2026, 3, 22), "behind")
    # now the new one: due 04-21, compliant on 04-10
    now = case_compliance(case, D(2026, 4, 10))[0]
    assert (now.standard_id, now.due_date, now.status) == (new.pk, D(2026, 4, 21), "compliant")
    for on, expected in ((D(2026, 3, 25), march), (D(2026, 4, 10), now)):
        assert caseload_compliance(Case.objects.filter(pk=case.pk), on)[case.pk] == [expected]


def test_a_jurisdictions_own_standards_replace_the_defaults() -> None:
    ContactStandardFactory(supervision_level="moderate", requirement="face_to_face", period_days=30)
    ContactStandardFactory(supervision_level="moderate", requirement="home_visit", period_days=60)
    own = ContactStandardFactory(
        jurisdiction="Cedar County",
        supervision_level="moderate",
        requirement="face_to_face",
        period_days=14,
    )
    county = CaseFactory(supervision_level="moderate", jurisdiction="Cedar County")
    state = CaseFactory(supervision_level="moderate", jurisdiction="Prairie State")
    on = D(2026, 3, 1)
    assert [s.standard_id for s in case_compliance(county, on)] == [own.pk]
    assert len(case_compliance(state, on)) == 2
    result = caseload_compliance(Case.objects.all(), on)
    assert [s.standard_id for s in result[county.pk]] == [own.pk]
    assert len(result[state.pk]) == 2


def test_an_empty_or_invisible_case_set_gives_no_rows() -> None:
    default_contact_standards()
    CaseFactory()
    assert caseload_compliance(Case.objects.none(), D(2026, 3, 1)) == {}
    assert caseload_compliance(Case.objects.filter(pk__in=[]), D(2026, 3, 1)) == {}
    assert behind_requirements(D(2026, 3, 1), case_ids=[]) == []


def test_cases_not_under_supervision_have_no_requirements() -> None:
    default_contact_standards()
    incarcerated = CaseFactory(status="incarcerated", supervision_level="", supervision_start=None)
    not_started = CaseFactory(supervision_start=D(2026, 5, 1))
    on = D(2026, 4, 1)
    assert case_compliance(incarcerated, on) == []
    assert case_compliance(not_started, on) == []
    assert caseload_compliance(Case.objects.all(), on) == {}


# --- set-based ------------------------------------------------------------------------------


def test_behind_requirements_lists_behind_and_first_missed() -> None:
    default_contact_standards()
    behind = CaseFactory(supervision_level="moderate", supervision_start=D(2026, 1, 5))
    # a completed home visit is also a face-to-face contact
    SupervisionContactFactory(
        case=behind, contact_at=local_dt(D(2026, 1, 6)), contact_type=ContactType.HOME_VISIT
    )
    SupervisionContactFactory(
        case=behind,
        contact_at=local_dt(D(2026, 1, 7)),
        contact_type=ContactType.TREATMENT_COLLATERAL,
        face_to_face=False,
    )
    fresh = CaseFactory(supervision_level="moderate", supervision_start=D(2026, 2, 12))  # Thursday
    on = D(2026, 2, 18)
    rows = behind_requirements(on)
    assert {(r.case_id, r.requirement, r.due_date, r.kind) for r in rows} == {
        (behind.pk, "face_to_face", D(2026, 2, 5), "behind"),
        (behind.pk, "treatment_collateral", D(2026, 2, 6), "behind"),
        (fresh.pk, "face_to_face", D(2026, 2, 17), "first_missed"),
    }
    assert [r.due_date for r in rows] == sorted(r.due_date for r in rows)
    assert {r.case_id for r in behind_requirements(on, case_ids=[fresh.pk])} == {fresh.pk}


def test_set_based_equals_per_case_on_a_randomized_dataset(django_assert_num_queries) -> None:  # noqa: ANN001
    # given random standards (two periods, one jurisdiction of its own), holidays and contacts
    rng = random.Random(20260417)  # noqa: S311 - deterministic test data
    for level in ("low", "moderate", "high"):
        for requirement in (
            "face_to_face",
            "home_visit",
            "treatment_collateral",
            "employment_verification",
        ):
            for jurisdiction, start, end in (
                ("", D(2020, 1, 1), D(2026, 3, 1)),
                ("", D(2026, 3, 1), None),
                ("Cedar County", D(2020, 1, 1), None),
            ):
                if jurisdiction and rng.random() < 0.3:
                    continue
                initial = rng.choice([None, 0, 3, 5, 14, 30])
                ContactStandardFactory(
                    jurisdiction=jurisdiction,
                    supervision_level=level,
                    requirement=requirement,
                    effective_from=start,
                    effective_to=end,
                    count=rng.choice([1, 1, 2, 3]),
                    period_days=rng.choice([7, 30, 60, 90]),
                    initial_deadline=initial,
                    initial_in_business_days=rng.random() < 0.5,
                )
    for day in (D(2026, 1, 19), D(2026, 2, 16), D(2026, 3, 3), D(2026, 3, 4)):
        HolidayFactory(date=day, jurisdiction=rng.choice(["", "Cedar County"]))
    cases = []
    for _ in range(40):
        case = CaseFactory(
            supervision_level=rng.choice(["low", "moderate", "high"]),
            supervision_start=D(2025, 12, 1) + dt.timedelta(days=rng.randrange(0, 110)),
            jurisdiction=rng.choice(["Prairie State", "Cedar County", ""]),
            status=rng.choice(["supervised"] * 5 + ["absconded"]),
        )
        cases.append(case)
        for _ in range(rng.randrange(0, 9)):
            SupervisionContactFactory(
                case=case,
                contact_at=local_dt(
                    D(2025, 11, 20) + dt.timedelta(days=rng.randrange(0, 150)), rng.randrange(0, 24)
                ),
                contact_type=rng.choice(list(ContactType)),
                face_to_face=rng.random() < 0.7,
                outcome=rng.choice(list(ContactOutcome)),
            )
    for on in (D(2026, 1, 20), D(2026, 2, 28), D(2026, 3, 1), D(2026, 3, 20), D(2026, 4, 15)):
        # when computed per case and set-based
        expected = {c.pk: case_compliance(c, on) for c in cases}
        expected = {k: v for k, v in expected.items() if v}
        with django_assert_num_queries(1):
            actual = caseload_compliance(Case.objects.all(), on)
        # then the answers are the same
        assert actual == expected
        assert {
            (r.case_id, r.requirement, r.due_date, r.kind) for r in behind_requirements(on)
        } == {
            (s.case_id, s.requirement, s.due_date, s.kind)
            for v in expected.values()
            for s in v
            if s.kind
        }
    statuses = {s.status for v in expected.values() for s in v}
    assert statuses == set(ComplianceStatus)  # the dataset exercises every status


def test_caseload_compliance_query_count_does_not_grow_with_cases(
    django_assert_num_queries,
) -> None:  # noqa: ANN001
    default_contact_standards()
    for n in range(12):
        case = CaseFactory(supervision_level=["low", "moderate", "high"][n % 3])
        f2f(case, D(2026, 2, 1) + dt.timedelta(days=n))
    with django_assert_num_queries(1):
        result = caseload_compliance(
            Case.objects.filter(pk__in=Case.objects.values("pk")[:2]), D(2026, 3, 1)
        )
    assert len(result) == 2
    with django_assert_num_queries(1):
        result = caseload_compliance(Case.objects.all(), D(2026, 3, 1))
    assert len(result) == 12


# --- preview --------------------------------------------------------------------------------


def test_count_cases_behind_with_a_proposed_standard() -> None:
    # given moderate face-to-face "1 per 30 days" and three cases last seen 10, 40, 70 days ago
    current = ContactStandardFactory(
        supervision_level="moderate", requirement="face_to_face", period_days=30
    )
    on = D(2026, 4, 30)
    for days_ago in (10, 40, 70):
        f2f(
            CaseFactory(supervision_level="moderate", supervision_start=D(2026, 1, 5)),
            on - dt.timedelta(days=days_ago),
        )
    CaseFactory(supervision_level="high", supervision_start=D(2026, 1, 5))  # no high standard
    # then with the current standard two are behind; "1 per 60 days" leaves one; "1 per 7" all
    assert count_cases_behind([current], on) == 2
    proposed = ContactStandardFactory.build(
        supervision_level="moderate", requirement="face_to_face", period_days=60
    )
    assert count_cases_behind([proposed], on) == 1
    assert (
        count_cases_behind(
            [
                {
                    "supervision_level": "moderate",
                    "requirement": "face_to_face",
                    "count": 1,
                    "period_days": 7,
                }
            ],
            on,
        )
        == 3
    )
    # a standard for a level without one is added
    assert (
        count_cases_behind(
            [
                {
                    "supervision_level": "high",
                    "requirement": "home_visit",
                    "count": 1,
                    "period_days": 30,
                }
            ],
            on,
        )
        == 1
    )
    assert count_cases_behind([], on) == 0
