"""The scorer: one generic engine for every instrument defined as data.

An instrument's `definition` lists items; each item says how an answer becomes points:

- `choice` (default): `answers` = [{"value", "label", "points"}]; the answer is one value.
- `count`: a whole number ≥ 0 read against `ranges` = [{"min", "max", "points"}] (inclusive;
  `max` null = open-ended), e.g. Static-99R item 6 "4+ prior sentencing dates: 1".
- `higher_of`: `readings` = [count or choice sub-items]; the item scores the highest reading
  (Static-99R item 5: the higher of the charges and the convictions readings).
- `age_at_release`: computed, never answered: completed years from the offender's date of birth
  to the (expected) release date, read against `ranges`.

An item may carry `"condition": "child_victim"` (scored only where there is a child victim;
otherwise ignored with a message) and `"dynamic": true` (a need the case plan can target,
with a suggested `goal` and `interventions`). The total is the sum of item points; the level
is the band containing the total, or — with `"level_rule": "highest_subscore"` — the highest of
the listed sub-score levels in `level_order`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError

CHILD_VICTIM = "child_victim"
CONDITIONS = (CHILD_VICTIM,)
ITEM_TYPES = ("choice", "count", "higher_of", "age_at_release")
COMPUTED_TYPES = ("age_at_release",)


@dataclass(frozen=True)
class Need:
    """A dynamic item scored above 0: what a case-plan goal can work on."""

    code: str  # "<instrument code>.<item code>", as stored in CasePlanGoal.need
    item: str
    label: str
    points: int
    goal: str
    interventions: str


@dataclass
class ScoreResult:
    """What an instrument's answers come to. `level` is None while answers are incomplete."""

    total: int
    level: str | None
    item_scores: dict[str, int]
    subscores: dict[str, dict[str, Any]] = field(default_factory=dict)
    needs: list[Need] = field(default_factory=list)
    level_label: str = ""
    messages: list[str] = field(default_factory=list)
    computed: dict[str, dict[str, Any]] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)  # normalised answers as entered
    errors: dict[str, list[str]] = field(default_factory=dict)  # only from preview_score

    @property
    def complete(self) -> bool:
        return not self.errors


# --- age at release -------------------------------------------------------------------------


def _birthday(dob: date, year: int) -> date:
    """The birthday in `year`; a 29 February birthday falls on 1 March in common years (the
    person has not completed the year on 28 February — the conservative reading)."""
    try:
        return dob.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def completed_years(dob: date, on: date) -> int:
    """Whole years of age on `on` (a birthday on `on` counts as completed)."""
    years = on.year - dob.year
    if on < _birthday(dob, on.year):
        years -= 1
    return years


def age_on(dob: date, on: date) -> float:
    """Exact age in years with the fraction of the current year of life, never rounded up:
    the day before the 35th birthday is 34.99…, the birthday itself is 35.0."""
    years = completed_years(dob, on)
    last = _birthday(dob, dob.year + years)
    following = _birthday(dob, dob.year + years + 1)
    return years + (on - last).days / (following - last).days


def floor2(value: float) -> float:
    """Two decimals rounded down, so 34.999 shows as 34.99 and never as 35.00."""
    return int(value * 100) / 100


# --- helpers over definitions ---------------------------------------------------------------


def item_type(item: Mapping[str, Any]) -> str:
    return item.get("type", "choice")


def item_title(item: Mapping[str, Any]) -> str:
    number = item.get("number")
    prefix = f"Item {number} " if number is not None else "Item "
    return f"{prefix}'{item.get('label', item.get('code'))}'"


def _range_text(r: Mapping[str, Any], unit: str = "") -> str:
    low, high = r.get("min"), r.get("max")
    if high is None:
        span = f"{low}+"
    elif low == high:
        span = f"{low}"
    else:
        span = f"{low}–{high}"
    return f"{span}{unit}: {signed(r['points'])}"


def signed(points: int) -> str:
    return f"+{points}" if points > 0 else f"{points}" if points < 0 else "0"


def allowed_text(item: Mapping[str, Any]) -> str:
    """The allowed answers of an item in words, for error messages and help text."""
    kind = item_type(item)
    if kind == "choice":
        return ", ".join(
            f"{a['value']} ({a.get('label', a['value'])}, {signed(a['points'])})"
            for a in item.get("answers", [])
        )
    if kind == "count":
        return "a whole number from 0 (" + "; ".join(_range_text(r) for r in item["ranges"]) + ")"
    return ""


def input_items(definition: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The answerable inputs in order: choice/count items and the readings of `higher_of`."""
    inputs: list[dict[str, Any]] = []
    for item in definition.get("items", []):
        kind = item_type(item)
        if kind == "higher_of":
            for reading in item.get("readings", []):
                inputs.append({**reading, "condition": item.get("condition")})
        elif kind not in COMPUTED_TYPES:
            inputs.append(item)
    return inputs


def band_for(bands: list[Mapping[str, Any]], total: int) -> Mapping[str, Any] | None:
    for band in bands:
        low, high = band.get("min"), band.get("max")
        if (low is None or total >= low) and (high is None or total <= high):
            return band
    return None


def level_order(definition: Mapping[str, Any]) -> list[str]:
    """Levels from lowest to highest risk: `level_order`, else the bands in ascending order."""
    if definition.get("level_order"):
        return list(definition["level_order"])
    return [band["level"] for band in definition.get("bands", [])]


def level_label(definition: Mapping[str, Any], level: str | None) -> str:
    for band in definition.get("bands", []):
        if band["level"] == level:
            return band.get("label", level)
    for sub in definition.get("subscores", {}).values():
        for band in sub.get("bands", []):
            if band["level"] == level:
                return band.get("label", level)
    return level or ""


# --- reading one answer ---------------------------------------------------------------------


def _read_choice(item: Mapping[str, Any], value: Any) -> tuple[Any, int]:
    for answer in item.get("answers", []):
        if str(answer["value"]) == str(value).strip():
            return answer["value"], int(answer["points"])
    raise ValueError(
        f"{item_title(item)}: {value!r} is not an allowed answer; allowed answers: "
        f"{allowed_text(item)}."
    )


def _read_count(item: Mapping[str, Any], value: Any) -> tuple[int, int]:
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or number < 0:
        raise ValueError(
            f"{item_title(item)}: {value!r} is not allowed; allowed answers: {allowed_text(item)}."
        )
    points = _points_in_ranges(item["ranges"], number)
    if points is None:
        raise ValueError(
            f"{item_title(item)}: {number} is out of range; allowed answers: {allowed_text(item)}."
        )
    return number, points


def _points_in_ranges(ranges: list[Mapping[str, Any]], number: int) -> int | None:
    for r in ranges:
        if number >= r["min"] and (r.get("max") is None or number <= r["max"]):
            return int(r["points"])
    return None


def _read(item: Mapping[str, Any], value: Any) -> tuple[Any, int]:
    return _read_count(item, value) if item_type(item) == "count" else _read_choice(item, value)


def _missing(item: Mapping[str, Any]) -> str:
    return f"{item_title(item)}: an answer is required; allowed answers: {allowed_text(item)}."


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


# --- the entry points -----------------------------------------------------------------------


def has_child_victim(offender: Any) -> bool:
    """Any conviction of the offender with a child (under 14) victim."""
    from cases.choices import VictimAgeGroup

    return offender.convictions.filter(victim_age_group=VictimAgeGroup.CHILD).exists()


def _definition_of(instrument: Any) -> tuple[str, Mapping[str, Any]]:
    if isinstance(instrument, Mapping):
        return str(instrument.get("code", "")), instrument
    return instrument.code, instrument.definition


def _evaluate(
    instrument: Any,
    answers: Mapping[str, Any] | None,
    *,
    offender: Any,
    release_date: date | None,
    child_victim: bool | None,
) -> ScoreResult:
    code, definition = _definition_of(instrument)
    answers = dict(answers or {})
    items = definition.get("items", [])
    errors: dict[str, list[str]] = {}
    messages: list[str] = []
    item_scores: dict[str, int] = {}
    normalised: dict[str, Any] = {}
    computed: dict[str, dict[str, Any]] = {}

    def fail(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    known = {item["code"] for item in items}
    known |= {reading["code"] for item in items for reading in item.get("readings", [])}
    for key in answers:
        if key not in known:
            fail(key, f"'{key}' is not an item of this instrument.")

    needs_child = any(item.get("condition") == CHILD_VICTIM for item in items)
    if needs_child and child_victim is None:
        child_victim = has_child_victim(offender) if offender is not None else False

    for item in items:
        kind = item_type(item)
        item_code = item["code"]
        if item.get("condition") == CHILD_VICTIM and not child_victim:
            sent = [k for k in (item_code, *(r["code"] for r in item.get("readings", []))) if k]
            ignored = any(not _blank(answers.get(k)) for k in sent)
            messages.append(
                f"{item_title(item)} is scored only where there is a child victim; no child "
                f"victim is recorded, so it was {'ignored' if ignored else 'not scored'}."
            )
            continue
        if kind in COMPUTED_TYPES:
            if item_code in answers:
                fail(
                    item_code,
                    f"{item_title(item)} is computed from the offender's date of birth and the "
                    "release date; do not send it.",
                )
                continue
            _score_age(item, offender, release_date, item_scores, computed, fail)
            continue
        if kind == "higher_of":
            readings: list[int] = []
            for reading in item.get("readings", []):
                value = answers.get(reading["code"])
                if _blank(value):
                    fail(reading["code"], _missing(reading))
                    continue
                try:
                    stored, points = _read(reading, value)
                except ValueError as exc:
                    fail(reading["code"], str(exc))
                    continue
                normalised[reading["code"]] = stored
                readings.append(points)
            if len(readings) == len(item.get("readings", [])):
                item_scores[item_code] = max(readings)
            continue
        value = answers.get(item_code)
        if _blank(value):
            fail(item_code, _missing(item))
            continue
        try:
            stored, points = _read(item, value)
        except ValueError as exc:
            fail(item_code, str(exc))
            continue
        normalised[item_code] = stored
        item_scores[item_code] = points

    total = sum(item_scores.values())
    subscores = _subscores(definition, item_scores)
    level: str | None = None
    if not errors:
        level = _level(definition, total, subscores)
        if level is None:
            fail("__all__", f"No band of this instrument contains the total {total}.")
    needs = [
        Need(
            code=f"{code}.{item['code']}",
            item=item["code"],
            label=item.get("label", item["code"]),
            points=item_scores[item["code"]],
            goal=item.get("goal") or f"Address: {item.get('label', item['code'])}",
            interventions=item.get("interventions", ""),
        )
        for item in items
        if item.get("dynamic") and item_scores.get(item["code"], 0) > 0
    ]
    return ScoreResult(
        total=total,
        level=level,
        item_scores=item_scores,
        subscores=subscores,
        needs=needs,
        level_label=level_label(definition, level) if level else "",
        messages=messages,
        computed=computed,
        answers=normalised,
        errors=errors,
    )


def _score_age(
    item: Mapping[str, Any],
    offender: Any,
    release_date: date | None,
    item_scores: dict[str, int],
    computed: dict[str, dict[str, Any]],
    fail: Any,
) -> None:
    dob = getattr(offender, "date_of_birth", None)
    if dob is None or release_date is None:
        fail(
            item["code"],
            f"{item_title(item)} is computed from the offender's date of birth and the (expected) "
            "release date; record the release date or expected release date first.",
        )
        return
    years = completed_years(dob, release_date)
    points = _points_in_ranges(item["ranges"], years)
    if points is None:
        lowest = min(r["min"] for r in item["ranges"])
        fail(
            item["code"],
            f"{item_title(item)}: the age at release ({floor2(age_on(dob, release_date))}) is "
            f"below {lowest}; this instrument applies only from age {lowest}.",
        )
        return
    item_scores[item["code"]] = points
    computed[item["code"]] = {
        "computed": True,
        "age": floor2(age_on(dob, release_date)),
        "release_date": release_date.isoformat(),
    }


def _subscores(
    definition: Mapping[str, Any], item_scores: Mapping[str, int]
) -> dict[str, dict[str, Any]]:
    result: dict[str, dict[str, Any]] = {}
    for key, sub in definition.get("subscores", {}).items():
        value = sum(item_scores.get(code, 0) for code in sub.get("items", []))
        band = band_for(sub.get("bands", []), value)
        result[key] = {
            "label": sub.get("label", key),
            "score": value,
            "level": band["level"] if band else None,
        }
    return result


def _level(
    definition: Mapping[str, Any], total: int, subscores: Mapping[str, Mapping[str, Any]]
) -> str | None:
    if definition.get("level_rule") == "highest_subscore":
        order = level_order(definition)
        levels = [
            subscores[key]["level"]
            for key in definition.get("level_subscores", list(subscores))
            if subscores.get(key, {}).get("level") in order
        ]
        return max(levels, key=order.index) if levels else None
    band = band_for(definition.get("bands", []), total)
    return band["level"] if band else None


def score(
    instrument: Any,
    answers: Mapping[str, Any] | None,
    *,
    offender: Any = None,
    release_date: date | None = None,
    child_victim: bool | None = None,
) -> ScoreResult:
    """Score `answers` against an instrument (model or definition mapping).

    Raises ValidationError({item code: [message naming the item and its allowed answers]})
    when any answer is missing, unknown or out of range. `child_victim` None means: look at
    the offender's convictions (child = under 14). `release_date` is the (expected) release
    date used for the computed age at release.
    """
    result = _evaluate(
        instrument, answers, offender=offender, release_date=release_date, child_victim=child_victim
    )
    if result.errors:
        raise ValidationError(result.errors)
    return result


def preview_score(
    instrument: Any,
    answers: Mapping[str, Any] | None,
    *,
    offender: Any = None,
    release_date: date | None = None,
    child_victim: bool | None = None,
) -> ScoreResult:
    """Like `score`, but never raises: the running total of the valid answers so far, with
    `errors` and no level until every item is answered (for the live form)."""
    return _evaluate(
        instrument, answers, offender=offender, release_date=release_date, child_victim=child_victim
    )


def flat_messages(error: ValidationError) -> list[str]:
    """Every message of a scoring ValidationError, in item order (each names its item)."""
    if hasattr(error, "error_dict"):
        return [str(m) for errors in error.message_dict.values() for m in errors]
    return list(error.messages)
