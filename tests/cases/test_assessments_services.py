"""Recording assessments, deriving supervision levels, overrides, voids and due dates."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.utils import timezone

from agencies.choices import Role
from cases.models import RiskAssessment, SupervisionLevelChange
from cases.scoring import ensure_builtin_instruments
from cases.services.assessments import (
    derive_supervision_level,
    override_level,
    reassessment_due,
    record_assessment,
    void_assessment,
)
from protocols.models import Instrument
from sartcm.models import AuditEvent
from tests.factories import AgencyFactory, CaseFactory, OffenderFactory
from tests.factories_assessments import (
    STATIC_LOW,
    acute_answers,
    interval,
    mapping,
    stable_answers,
    staff,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def instruments() -> dict[str, Instrument]:
    ensure_builtin_instruments()
    return {i.code: i for i in Instrument.objects.filter(builtin=True)}


@pytest.fixture
def lead():  # noqa: ANN201
    return AgencyFactory(jurisdiction="Prairie State")


@pytest.fixture
def case(lead):  # noqa: ANN001, ANN201
    # 30 years old at release: Static-99R item 1 scores +1
    return CaseFactory(
        lead_agency=lead,
        offender=OffenderFactory(date_of_birth=dt.date(1995, 3, 1)),
        release_date=dt.date(2025, 6, 1),
        supervision_level="moderate",
    )


@pytest.fixture
def manager(lead):  # noqa: ANN001, ANN201
    return staff(lead, Role.CASE_MANAGER)


@pytest.fixture
def supervisor(lead):  # noqa: ANN001, ANN201
    return staff(lead, Role.SUPERVISOR)


def test_builtins_load_idempotently_from_the_command() -> None:
    # when the command runs twice
    call_command("load_instruments")
    call_command("load_instruments", "--standards")
    call_command("load_instruments", "--standards")
    # then there is one row per built-in and one set of default standards
    assert sorted(Instrument.objects.values_list("code", flat=True)) == [
        "acute2007",
        "stable2007",
        "static99r",
    ]
    from protocols.models import LevelMapping, ReassessmentInterval

    assert LevelMapping.objects.filter(instrument_code="static99r").count() == 5
    assert ReassessmentInterval.objects.filter(instrument_code="stable2007").count() == 1


def test_record_static99r_computes_score_from_dob_and_release(case, manager, instruments) -> None:  # noqa: ANN001
    # when a case manager records a Static-99R
    a = record_assessment(
        case,
        instruments["static99r"],
        {**STATIC_LOW, "male_victims": "yes"},
        TODAY,
        manager,
        manager.user,
    )
    # then the server computed age (+1) and total/level, and kept the computed age on record
    assert (a.total_score, a.computed_level, a.final_level) == (2, "III", "III")
    assert a.answers["age_at_release"] == {
        "computed": True,
        "age": 30.25,
        "release_date": "2025-06-01",
    }
    assert AuditEvent.objects.filter(
        object_type="cases.riskassessment", object_id=str(a.pk), action="create"
    ).exists()


def test_invalid_answers_save_nothing_and_name_each_item(case, manager, instruments) -> None:  # noqa: ANN001
    # given STABLE answers with one missing and one out of range
    answers = stable_answers("1")
    del answers["sex_as_coping"]
    answers["impulsive_acts"] = "5"
    # when recorded
    with pytest.raises(ValidationError) as exc:
        record_assessment(case, instruments["stable2007"], answers, TODAY, manager, manager.user)
    # then each message names its item and the allowed answers, and nothing was written
    errors = exc.value.message_dict
    assert errors["sex_as_coping"] == [
        "Item 11 'Sex as coping': an answer is required; allowed answers: "
        "0 (No problem, 0), 1 (Some problem, +1), 2 (Definite problem, +2)."
    ]
    assert "Item 7 'Impulsive acts': '5' is not an allowed answer" in errors["impulsive_acts"][0]
    assert RiskAssessment.objects.count() == 0
    assert SupervisionLevelChange.objects.count() == 0
    assert not AuditEvent.objects.filter(object_type="cases.riskassessment").exists()


def test_future_date_and_foreign_assessor_are_refused(case, manager, instruments) -> None:  # noqa: ANN001
    with pytest.raises(ValidationError) as future:
        record_assessment(
            case,
            instruments["acute2007"],
            acute_answers(),
            TODAY + dt.timedelta(days=1),
            manager,
            manager.user,
        )
    assert "assessed_on" in future.value.message_dict
    outsider = staff(AgencyFactory())
    with pytest.raises(ValidationError) as foreign:
        record_assessment(
            case, instruments["acute2007"], acute_answers(), TODAY, outsider, manager.user
        )
    assert "assessor" in foreign.value.message_dict


def test_outsider_cannot_record(case, instruments) -> None:  # noqa: ANN001
    outsider = staff(AgencyFactory())
    with pytest.raises(PermissionDenied):
        record_assessment(
            case, instruments["acute2007"], acute_answers(), TODAY, outsider, outsider.user
        )


# --- reassessment due dates from the interval in force ---------------------------------------


def test_next_due_uses_the_interval_in_force_on_the_assessment_date(
    case, manager, instruments
) -> None:  # noqa: ANN001
    # given STABLE intervals: 90 days until last year, 180 days since
    switch = TODAY - dt.timedelta(days=365)
    interval("stable2007", 90, effective_to=switch)
    interval("stable2007", 180, effective_from=switch)
    # when assessments are recorded before and after the switch
    old_date = switch - dt.timedelta(days=1)
    old = record_assessment(
        case, instruments["stable2007"], stable_answers(), old_date, manager, manager.user
    )
    new = record_assessment(
        case, instruments["stable2007"], stable_answers(), TODAY, manager, manager.user
    )
    # then each is due by the interval in force on its own date
    assert old.next_due == old_date + dt.timedelta(days=90)
    assert new.next_due == TODAY + dt.timedelta(days=180)


def test_next_due_prefers_jurisdiction_and_level_rows(case, manager, instruments) -> None:  # noqa: ANN001
    # given a default ACUTE interval and the case's own jurisdiction's, by level
    interval("acute2007", 30)
    interval("acute2007", 45, jurisdiction="Prairie State")
    interval("acute2007", 14, level="high", jurisdiction="Prairie State")
    # then a moderate case uses its jurisdiction's all-levels row, a high case the level row
    assert reassessment_due(case, "acute2007", TODAY, "moderate") == TODAY + dt.timedelta(days=45)
    assert reassessment_due(case, "acute2007", TODAY, "high") == TODAY + dt.timedelta(days=14)
    # and another jurisdiction falls back to the default
    case.jurisdiction = "Elsewhere"
    assert reassessment_due(case, "acute2007", TODAY, "high") == TODAY + dt.timedelta(days=30)
    # and an instrument without any interval has no due date
    assert reassessment_due(case, "static99r", TODAY, "high") is None


# --- supervision level derivation and history -------------------------------------------------


def test_level_is_the_highest_mapped_level_with_history(case, manager, instruments) -> None:  # noqa: ANN001
    # given mappings for Static-99R and STABLE-2007
    mapping("static99r", {"I": "low", "II": "low", "III": "moderate", "IVa": "high", "IVb": "high"})
    mapping("stable2007", {"low": "low", "moderate": "moderate", "high": "high"})
    # when a low-risk STABLE is recorded on a moderate case (no Static yet)
    stable = record_assessment(
        case, instruments["stable2007"], stable_answers(), TODAY, manager, manager.user
    )
    case.refresh_from_db()
    # then the level goes down to low, with a history row naming the assessment
    assert case.supervision_level == "low"
    change = SupervisionLevelChange.objects.get(case=case)
    assert (change.from_level, change.to_level, change.assessment_id) == (
        "moderate",
        "low",
        stable.pk,
    )
    assert "New STABLE-2007 assessment" in change.reason
    assert change.changed_by == manager
    version = case.version
    # when a Static-99R of level IVb follows
    static = record_assessment(
        case,
        instruments["static99r"],
        {
            **STATIC_LOW,
            "prior_sex_convictions": 4,
            "male_victims": "yes",
            "stranger_victims": "yes",
        },
        TODAY,
        manager,
        manager.user,
    )
    case.refresh_from_db()
    # then the highest mapped level (high) wins and the version moved on
    assert static.computed_level == "IVb"
    assert case.supervision_level == "high"
    assert case.version == version + 1
    latest = SupervisionLevelChange.objects.filter(case=case).order_by("-changed_at", "-pk").first()
    assert (latest.from_level, latest.to_level, latest.assessment_id) == ("low", "high", static.pk)


def test_no_change_no_history_and_unmapped_instruments_do_not_vote(
    case, manager, instruments
) -> None:  # noqa: ANN001
    # given no mapping at all
    record_assessment(
        case, instruments["acute2007"], acute_answers("3"), TODAY, manager, manager.user
    )
    case.refresh_from_db()
    # then the level stays as it was and no history is written
    assert case.supervision_level == "moderate"
    assert derive_supervision_level(case, manager.user, "check") is None
    assert not SupervisionLevelChange.objects.exists()


def test_only_the_latest_assessment_of_an_instrument_counts(case, manager, instruments) -> None:  # noqa: ANN001
    mapping("stable2007", {"low": "low", "moderate": "moderate", "high": "high"})
    record_assessment(
        case,
        instruments["stable2007"],
        stable_answers("2"),
        TODAY - dt.timedelta(days=200),
        manager,
        manager.user,
    )
    case.refresh_from_db()
    assert case.supervision_level == "high"
    record_assessment(
        case, instruments["stable2007"], stable_answers("0"), TODAY, manager, manager.user
    )
    case.refresh_from_db()
    assert case.supervision_level == "low"


# --- override and void -------------------------------------------------------------------------


def test_override_needs_a_supervisor_of_the_lead_agency_and_a_reason(
    case, manager, supervisor, instruments
) -> None:  # noqa: ANN001
    mapping("stable2007", {"low": "low", "moderate": "moderate", "high": "high"})
    a = record_assessment(
        case, instruments["stable2007"], stable_answers(), TODAY, manager, manager.user
    )
    # a case manager may not override
    with pytest.raises(PermissionDenied):
        override_level(a, "high", "Recent disclosures.", manager.user)
    # nor a supervisor of another agency
    with pytest.raises(PermissionDenied):
        override_level(
            a, "high", "Recent disclosures.", staff(AgencyFactory(), Role.SUPERVISOR).user
        )
    # a supervisor without a reason is refused, naming the field
    with pytest.raises(ValidationError) as no_reason:
        override_level(a, "high", "   ", supervisor.user)
    assert "override_reason" in no_reason.value.message_dict
    # an unknown level is refused, listing the levels
    with pytest.raises(ValidationError) as bad_level:
        override_level(a, "extreme", "Because.", supervisor.user)
    assert "allowed: low, moderate, high" in bad_level.value.message_dict["final_level"][0]
    a.refresh_from_db()
    assert a.final_level == "low"
    # when the supervisor overrides with a reason
    override_level(a, "high", "Recent disclosures in treatment.", supervisor.user)
    a.refresh_from_db()
    case.refresh_from_db()
    # then both levels are kept and the supervision level is re-derived from the final level
    assert (a.computed_level, a.final_level, a.override_by) == ("low", "high", supervisor)
    assert a.override_reason == "Recent disclosures in treatment."
    assert case.supervision_level == "high"
    assert (
        "Supervisor override"
        in SupervisionLevelChange.objects.filter(case=case).latest("changed_at").reason
    )


def test_void_re_derives_from_the_remaining_assessments(case, manager, instruments) -> None:  # noqa: ANN001
    mapping("stable2007", {"low": "low", "moderate": "moderate", "high": "high"})
    older = record_assessment(
        case,
        instruments["stable2007"],
        stable_answers("0"),
        TODAY - dt.timedelta(days=10),
        manager,
        manager.user,
    )
    newer = record_assessment(
        case, instruments["stable2007"], stable_answers("2"), TODAY, manager, manager.user
    )
    case.refresh_from_db()
    assert case.supervision_level == "high"
    # a reason is required
    with pytest.raises(ValidationError):
        void_assessment(newer, "", manager.user)
    # when the newer one is voided
    void_assessment(newer, "Entered on the wrong case.", manager.user)
    newer.refresh_from_db()
    case.refresh_from_db()
    # then it is kept as void and the older one decides again
    assert (newer.status, newer.void_reason, newer.voided_by) == (
        "voided",
        "Entered on the wrong case.",
        manager,
    )
    assert case.supervision_level == "low"
    change = SupervisionLevelChange.objects.filter(case=case).latest("changed_at")
    assert change.assessment_id == older.pk
    # and voiding twice is refused
    with pytest.raises(ValidationError):
        void_assessment(newer, "again", manager.user)
