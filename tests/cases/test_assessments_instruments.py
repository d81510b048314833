"""STABLE-2007, ACUTE-2007, agency-defined instruments and definition validation."""

from __future__ import annotations

import copy

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agencies.choices import Role
from cases.scoring import definition_errors, score
from cases.scoring.definitions import ACUTE2007, STABLE2007
from cases.services.assessments import define_instrument
from tests.factories import AgencyFactory, OffenderFactory
from tests.factories_assessments import (
    ConvictionFactory,
    CustomInstrumentFactory,
    acute_answers,
    stable_answers,
    staff,
)

STABLE = {**STABLE2007, "code": "stable2007"}
ACUTE = {**ACUTE2007, "code": "acute2007"}


# --- STABLE-2007 -------------------------------------------------------------------------------


def test_stable_item3_is_ignored_without_a_child_victim_and_says_why() -> None:
    # given answers that include item 3 for someone with no child victim
    answers = stable_answers("2", child=True)
    # when scored
    result = score(STABLE, answers, child_victim=False)
    # then item 3 is not scored, the total is out of 24, and a message says why
    assert "emotional_identification_with_children" not in result.item_scores
    assert result.total == 24
    assert any(
        "Item 3 'Emotional identification with children' is scored only where there is a child "
        "victim"
        in m
        and "ignored" in m
        for m in result.messages
    )


def test_stable_item3_is_required_and_scored_with_a_child_victim() -> None:
    with pytest.raises(ValidationError) as exc:
        score(STABLE, stable_answers("1"), child_victim=True)
    assert "emotional_identification_with_children" in exc.value.message_dict
    result = score(STABLE, stable_answers("2", child=True), child_victim=True)
    assert result.item_scores["emotional_identification_with_children"] == 2
    assert (result.total, result.level) == (26, "high")


@pytest.mark.django_db
def test_child_victim_comes_from_the_offenders_convictions() -> None:
    # given an offender with an adult-victim conviction only
    person = OffenderFactory()
    ConvictionFactory(offender=person, victim_age_group="adult")
    assert (
        "emotional_identification_with_children"
        not in score(STABLE, stable_answers("1"), offender=person).item_scores
    )
    # when a child-victim conviction is recorded, item 3 is asked and scored
    ConvictionFactory(offender=person, victim_age_group="child")
    result = score(STABLE, stable_answers("1", child=True), offender=person)
    assert result.item_scores["emotional_identification_with_children"] == 1


@pytest.mark.parametrize(
    ("ones", "level"), [(0, "low"), (3, "low"), (4, "moderate"), (11, "moderate"), (12, "high")]
)
def test_stable_bands(ones: int, level: str) -> None:
    codes = list(stable_answers())
    answers = stable_answers("0", **{code: "1" for code in codes[:ones]})
    result = score(STABLE, answers, child_victim=False)
    assert (result.total, result.level) == (ones, level)


def test_stable_needs_are_the_items_above_zero() -> None:
    result = score(
        STABLE,
        stable_answers("0", sex_as_coping="2", impulsive_acts="1"),
        child_victim=False,
    )
    assert [n.code for n in result.needs] == [
        "stable2007.impulsive_acts",
        "stable2007.sex_as_coping",
    ]
    assert result.needs[1].goal.startswith("Use healthy ways to cope")


# --- ACUTE-2007 --------------------------------------------------------------------------------


def test_acute_subscores_split_sex_violence_from_general() -> None:
    # given concern on two sex/violence items and one general-only item
    answers = acute_answers("0", victim_access="3", hostility="1", substance_abuse="1")
    result = score(ACUTE, answers)
    # then sex/violence = 4 (victim access, hostility), general = all seven = 5
    assert result.subscores["sex_violence"] == {
        "label": "Sex/violence",
        "score": 4,
        "level": "high",
    }
    assert result.subscores["general"] == {"label": "General", "score": 5, "level": "high"}
    assert result.total == 5


@pytest.mark.parametrize(
    ("answers", "level"),
    [
        ({}, "low"),
        ({"emotional_collapse": "1"}, "low"),  # general 1 low, sex/violence 0 low
        ({"victim_access": "1"}, "moderate"),  # sex/violence 1 moderate
        ({"substance_abuse": "3"}, "moderate"),  # general 3 moderate, sex/violence low
        ({"victim_access": "3"}, "high"),  # one "intervene now" on sex/violence: high
        ({"emotional_collapse": "3", "substance_abuse": "3"}, "high"),  # general 6 high
    ],
)
def test_acute_level_is_the_higher_subscore_level(answers: dict, level: str) -> None:
    assert score(ACUTE, acute_answers("0", **answers)).level == level


def test_acute_answers_are_0_1_or_3() -> None:
    with pytest.raises(ValidationError) as exc:
        score(ACUTE, acute_answers("0", hostility="2"))
    assert (
        "allowed answers: 0 (No problem, 0), 1 (Some concern, +1), 3 (Intervene now, +3)"
        in (exc.value.message_dict["hostility"][0])
    )


# --- custom instruments and definition validation ----------------------------------------------


@pytest.mark.django_db
def test_custom_instrument_is_scored_by_the_generic_scorer() -> None:
    instrument = CustomInstrumentFactory()
    result = score(instrument, {"unstable_housing": "yes", "unemployed": "no"})
    assert (result.total, result.level) == (1, "high")
    assert [n.code for n in result.needs] == [f"{instrument.code}.unstable_housing"]


def test_builtins_are_valid() -> None:
    for definition in (STABLE2007, ACUTE2007):
        assert definition_errors(definition) == []


def test_bands_must_cover_the_possible_range_without_overlap() -> None:
    # a gap: STABLE bands that skip 4..5
    gap = copy.deepcopy(STABLE2007)
    gap["bands"][1]["min"] = 6
    assert definition_errors(gap) == [
        "Bands leave a gap: no band covers 4 to 5 (possible totals are 0 to 26)."
    ]
    # an overlap
    overlap = copy.deepcopy(STABLE2007)
    overlap["bands"][2]["min"] = 10
    assert definition_errors(overlap) == [
        "Bands overlap: 'moderate' (4–11) and 'high' (10+) both contain 10."
    ]
    # bands that stop short of the maximum
    short = copy.deepcopy(STABLE2007)
    short["bands"][2]["max"] = 20
    assert definition_errors(short) == [
        "Bands leave a gap: no band covers 21 to 26 (possible totals are 0 to 26)."
    ]


def test_every_item_needs_answers_and_codes_are_unique() -> None:
    broken = copy.deepcopy(STABLE2007)
    broken["items"][4]["answers"] = []
    broken["items"][5]["code"] = broken["items"][6]["code"]
    errors = definition_errors(broken)
    assert (
        "Item 'general_social_rejection' has no answers; give at least one {value, label, points}."
        in errors
    )
    assert "Item codes must be unique; repeated: impulsive_acts." in errors


def test_subscore_bands_are_checked_too() -> None:
    broken = copy.deepcopy(ACUTE2007)
    broken["subscores"]["sex_violence"]["bands"][1]["max"] = 1
    assert definition_errors(broken) == [
        "Sub-score 'sex_violence' bands leave a gap: no band covers 2 (possible totals are 0 to 12)."
    ]


@pytest.mark.django_db
def test_define_instrument_validates_and_versions() -> None:
    agency = AgencyFactory()
    supervisor = staff(agency, Role.SUPERVISOR)
    good = CustomInstrumentFactory.build().definition
    # a case manager may not define instruments
    with pytest.raises(PermissionDenied):
        define_instrument(
            staff(agency).user, code="pstool", name="PS tool", kind="general", definition=good
        )
    # an invalid definition is refused with the messages
    bad = copy.deepcopy(good)
    bad["bands"] = [{"min": 0, "max": 0, "level": "low"}]
    with pytest.raises(ValidationError) as exc:
        define_instrument(
            supervisor.user, code="pstool", name="PS tool", kind="general", definition=bad
        )
    assert exc.value.message_dict["definition"] == [
        "Bands leave a gap: no band covers 1 to 2 (possible totals are 0 to 2)."
    ]
    # a valid one is created for the agency, and redefining makes version 2
    first = define_instrument(
        supervisor.user, code="pstool", name="PS tool", kind="general", definition=good
    )
    second = define_instrument(
        supervisor.user, code="pstool", name="PS tool", kind="general", definition=good
    )
    assert (first.version, second.version, second.owner_agency) == (1, 2, agency)
    # another agency cannot take the code
    with pytest.raises(ValidationError) as taken:
        define_instrument(
            staff(AgencyFactory(), Role.SUPERVISOR).user,
            code="pstool",
            name="X",
            kind="general",
            definition=good,
        )
    assert "code" in taken.value.message_dict


def test_conditional_item_ranges_include_zero() -> None:
    # STABLE with item 3 omitted can total 0..24, with it 0..26: the range is 0..26 either way
    assert definition_errors(STABLE2007) == []
