"""Static-99R scored exactly per the 2016 coding rules (../shared/domain.md)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from cases.scoring import age_on, completed_years, score
from cases.scoring.definitions import STATIC99R
from tests.factories_assessments import STATIC_LOW

D = dt.date
DEFAULT_DOB = D(1980, 6, 15)
DEFAULT_RELEASE = D(2026, 6, 1)


def offender(dob: dt.date) -> SimpleNamespace:
    return SimpleNamespace(date_of_birth=dob)


def static(
    answers: dict | None = None,
    *,
    dob: dt.date = DEFAULT_DOB,
    release: dt.date = DEFAULT_RELEASE,
    **items,
):
    return score(
        {**STATIC99R, "code": "static99r"},
        {**STATIC_LOW, **(answers or {}), **items},
        offender=offender(dob),
        release_date=release,
    )


# --- item 1: age at release, computed from date of birth and release date -------------------


@pytest.mark.parametrize(
    ("dob", "release", "points"),
    [
        # 34.9 vs 35.0: the day before the 35th birthday, and the birthday itself
        (D(1991, 6, 2), D(2026, 6, 1), 1),
        (D(1991, 6, 1), D(2026, 6, 1), 0),
        # 39.9 vs 40.0
        (D(1986, 6, 2), D(2026, 6, 1), 0),
        (D(1986, 6, 1), D(2026, 6, 1), -1),
        # 59.9 vs 60.0
        (D(1966, 6, 2), D(2026, 6, 1), -1),
        (D(1966, 6, 1), D(2026, 6, 1), -3),
        # lower edge: exactly 18 scores +1; well past 60 stays -3
        (D(2008, 6, 1), D(2026, 6, 1), 1),
        (D(1940, 1, 1), D(2026, 6, 1), -3),
    ],
)
def test_age_item_at_every_boundary(dob: dt.date, release: dt.date, points: int) -> None:
    # given a date of birth and a release date / when scored
    result = static(dob=dob, release=release)
    # then item 1 follows the published bands
    assert result.item_scores["age_at_release"] == points


def test_age_fraction_is_never_rounded_up_to_the_next_band() -> None:
    # given someone released the day before their 35th birthday
    result = static(dob=D(1991, 6, 2), release=D(2026, 6, 1))
    # then the recorded age is 34.99 (not 35.0) and the item scores +1
    assert result.computed["age_at_release"]["age"] == 34.99
    assert result.item_scores["age_at_release"] == 1
    # and on the birthday itself the age is exactly 35.0
    assert (
        static(dob=D(1991, 6, 1), release=D(2026, 6, 1)).computed["age_at_release"]["age"] == 35.0
    )


def test_leap_day_birthday_completes_the_year_on_1_march_in_common_years() -> None:
    # given a 29 February date of birth, 35 years before a common year
    dob = D(1992, 2, 29)
    # when released on 28 February 2027 the 35th year is not yet complete (+1) ...
    assert completed_years(dob, D(2027, 2, 28)) == 34
    assert static(dob=dob, release=D(2027, 2, 28)).item_scores["age_at_release"] == 1
    # ... and on 1 March 2027 it is (0)
    assert completed_years(dob, D(2027, 3, 1)) == 35
    assert static(dob=dob, release=D(2027, 3, 1)).item_scores["age_at_release"] == 0
    # in a leap year the birthday is 29 February itself
    assert completed_years(D(1988, 2, 29), D(2028, 2, 29)) == 40
    assert completed_years(D(1988, 2, 29), D(2028, 2, 28)) == 39


def test_exact_age_fraction_within_a_year() -> None:
    # half-way through a (common) year of life
    assert age_on(D(1990, 1, 1), D(2025, 7, 2)) == pytest.approx(35 + 182 / 365)
    assert 34.99 < age_on(D(1991, 6, 2), D(2026, 6, 1)) < 35


def test_age_needs_a_release_date_and_under_18_is_refused() -> None:
    # given no release date
    with pytest.raises(ValidationError) as missing:
        score({**STATIC99R}, STATIC_LOW, offender=offender(D(1980, 1, 1)), release_date=None)
    assert "release date" in missing.value.message_dict["age_at_release"][0]
    # given someone 17 at release
    with pytest.raises(ValidationError) as young:
        static(dob=D(2009, 1, 1), release=D(2026, 6, 1))
    assert "applies only from age 18" in young.value.message_dict["age_at_release"][0]


def test_age_is_computed_never_typed() -> None:
    # when a client sends the age item itself
    with pytest.raises(ValidationError) as exc:
        static(age_at_release="30")
    # then it is refused, naming the item
    assert "Item 1 'Age at release' is computed" in exc.value.message_dict["age_at_release"][0]


# --- item 5: prior sex offences, the higher of charges and convictions -----------------------


@pytest.mark.parametrize(
    ("charges", "points"), [(0, 0), (1, 1), (2, 1), (3, 2), (5, 2), (6, 3), (20, 3)]
)
def test_item5_charges_reading(charges: int, points: int) -> None:
    result = static(prior_sex_charges=charges, prior_sex_convictions=0)
    assert result.item_scores["prior_sex_offences"] == points


@pytest.mark.parametrize(
    ("convictions", "points"), [(0, 0), (1, 1), (2, 2), (3, 2), (4, 3), (9, 3)]
)
def test_item5_convictions_reading(convictions: int, points: int) -> None:
    result = static(prior_sex_charges=0, prior_sex_convictions=convictions)
    assert result.item_scores["prior_sex_offences"] == points


@pytest.mark.parametrize(
    ("charges", "convictions", "points"),
    [
        (2, 2, 2),  # charges say 1, convictions say 2 -> 2
        (6, 1, 3),  # charges say 3, convictions say 1 -> 3
        (3, 4, 3),  # charges say 2, convictions say 3 -> 3
        (1, 1, 1),  # both say 1
    ],
)
def test_item5_is_the_higher_of_the_two_readings(
    charges: int, convictions: int, points: int
) -> None:
    result = static(prior_sex_charges=charges, prior_sex_convictions=convictions)
    assert result.item_scores["prior_sex_offences"] == points


@pytest.mark.parametrize(("dates", "points"), [(0, 0), (3, 0), (4, 1), (12, 1)])
def test_item6_prior_sentencing_dates(dates: int, points: int) -> None:
    assert static(prior_sentencing_dates=dates).item_scores["prior_sentencing_dates"] == points


def test_item2_scores_when_never_lived_with_partner_and_yes_items_score_one() -> None:
    result = static(
        ever_lived_with_partner="no",
        index_nonsexual_violence="yes",
        prior_nonsexual_violence="yes",
        noncontact_sex_offences="yes",
        unrelated_victims="yes",
        stranger_victims="yes",
        male_victims="yes",
    )
    for code in (
        "ever_lived_with_partner",
        "index_nonsexual_violence",
        "prior_nonsexual_violence",
        "noncontact_sex_offences",
        "unrelated_victims",
        "stranger_victims",
        "male_victims",
    ):
        assert result.item_scores[code] == 1, code


# --- totals and the 2016 levels ----------------------------------------------------------------

AGE_60 = {"dob": D(1960, 1, 1)}  # -3
AGE_45 = {"dob": D(1980, 1, 1)}  # -1
AGE_37 = {"dob": D(1988, 1, 1)}  # 0
AGE_25 = {"dob": D(2000, 1, 1)}  # +1


@pytest.mark.parametrize(
    ("age", "extra", "total", "level"),
    [
        (AGE_60, {}, -3, "I"),
        (AGE_60, {"male_victims": "yes"}, -2, "I"),
        (AGE_60, {"male_victims": "yes", "stranger_victims": "yes"}, -1, "II"),
        (AGE_45, {"male_victims": "yes"}, 0, "II"),
        (AGE_37, {"male_victims": "yes"}, 1, "III"),
        (AGE_25, {"ever_lived_with_partner": "no", "male_victims": "yes"}, 3, "III"),
        (
            AGE_25,
            {"ever_lived_with_partner": "no", "male_victims": "yes", "stranger_victims": "yes"},
            4,
            "IVa",
        ),
        (AGE_25, {"prior_sex_convictions": 4, "male_victims": "yes"}, 5, "IVa"),
        (
            AGE_25,
            {"prior_sex_convictions": 4, "male_victims": "yes", "stranger_victims": "yes"},
            6,
            "IVb",
        ),
    ],
)
def test_total_and_level_boundaries(age: dict, extra: dict, total: int, level: str) -> None:
    result = static(extra, release=D(2026, 6, 1), **age)
    assert (result.total, result.level) == (total, level)


def test_maximum_total_is_12_and_level_ivb() -> None:
    result = static(
        {
            "ever_lived_with_partner": "no",
            "index_nonsexual_violence": "yes",
            "prior_nonsexual_violence": "yes",
            "prior_sex_charges": 6,
            "prior_sex_convictions": 4,
            "prior_sentencing_dates": 4,
            "noncontact_sex_offences": "yes",
            "unrelated_victims": "yes",
            "stranger_victims": "yes",
            "male_victims": "yes",
        },
        **AGE_25,
    )
    assert (result.total, result.level) == (12, "IVb")
    assert result.needs == []  # static items are never case-plan needs


# --- validation: every item, named, with its allowed answers ---------------------------------


def test_missing_and_out_of_range_answers_name_the_item_and_allowed_answers() -> None:
    answers = {**STATIC_LOW}
    del answers["male_victims"]
    answers["stranger_victims"] = "maybe"
    answers["prior_sex_charges"] = -1
    with pytest.raises(ValidationError) as exc:
        score(STATIC99R, answers, offender=offender(D(1980, 1, 1)), release_date=D(2026, 1, 1))
    errors = exc.value.message_dict
    assert errors["male_victims"] == [
        "Item 10 'Any male victims': an answer is required; allowed answers: "
        "no (No, 0), yes (Yes, +1)."
    ]
    assert errors["stranger_victims"][0].startswith("Item 9 'Any stranger victims': 'maybe'")
    assert "allowed answers: no (No, 0), yes (Yes, +1)" in errors["stranger_victims"][0]
    assert "Prior sex offences: number of charges" in errors["prior_sex_charges"][0]
    assert "a whole number from 0" in errors["prior_sex_charges"][0]


def test_unknown_items_are_refused() -> None:
    with pytest.raises(ValidationError) as exc:
        static(total="12")
    assert "'total' is not an item of this instrument." in exc.value.message_dict["total"]
