"""Checks an instrument definition before anyone scores with it.

Every item needs a code, a label and a way to score (answers, ranges or readings); answer
values are unique; bands (and sub-score bands) cover every total the items can add up to,
with no gaps and no overlaps. Messages say which item or band is wrong and what would be valid.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from cases.scoring.engine import COMPUTED_TYPES, CONDITIONS, ITEM_TYPES, item_type

CODE_RE = re.compile(r"^[a-z][a-z0-9_]*$")


def _int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_ranges(where: str, ranges: Any, errors: list[str]) -> tuple[int, int] | None:
    if not isinstance(ranges, list) or not ranges:
        errors.append(f"{where} needs 'ranges': a list of {{min, max, points}}.")
        return None
    ok = True
    for r in ranges:
        if not isinstance(r, Mapping) or not _int(r.get("min")) or not _int(r.get("points")):
            errors.append(f"{where}: every range needs a whole-number 'min' and 'points'.")
            ok = False
        elif r.get("max") is not None and (not _int(r["max"]) or r["max"] < r["min"]):
            errors.append(f"{where}: a range's 'max' must be a whole number ≥ its 'min'.")
            ok = False
    if not ok:
        return None
    ordered = sorted(ranges, key=lambda r: r["min"])
    for before, after in zip(ordered, ordered[1:], strict=False):
        if before.get("max") is None or before["max"] >= after["min"]:
            errors.append(
                f"{where}: ranges starting at {before['min']} and {after['min']} overlap."
            )
        elif before["max"] + 1 != after["min"]:
            errors.append(
                f"{where}: no range covers {before['max'] + 1} to {after['min'] - 1} "
                "(ranges must be contiguous)."
            )
    points = [int(r["points"]) for r in ranges]
    return min(points), max(points)


def _check_input(where: str, item: Mapping[str, Any], errors: list[str]) -> tuple[int, int] | None:
    kind = item_type(item)
    if kind == "choice":
        answers = item.get("answers")
        if not isinstance(answers, list) or not answers:
            errors.append(f"{where} has no answers; give at least one {{value, label, points}}.")
            return None
        values = [str(a.get("value")) for a in answers if isinstance(a, Mapping)]
        if len(values) != len(answers) or any(
            "value" not in a or not _int(a.get("points")) for a in answers
        ):
            errors.append(f"{where}: every answer needs a 'value' and whole-number 'points'.")
            return None
        if len(set(values)) != len(values):
            errors.append(f"{where}: answer values must be unique.")
        points = [int(a["points"]) for a in answers]
        return min(points), max(points)
    if kind in ("count", "age_at_release"):
        return _check_ranges(where, item.get("ranges"), errors)
    errors.append(f"{where}: a reading must be of type 'choice' or 'count'.")
    return None


def item_range(item: Mapping[str, Any], errors: list[str]) -> tuple[int, int] | None:
    """(lowest, highest) points the item can give; a conditional item may also give 0."""
    where = f"Item '{item.get('code') or '?'}'"
    kind = item_type(item)
    if kind == "higher_of":
        readings = item.get("readings")
        if not isinstance(readings, list) or len(readings) < 2:
            errors.append(f"{where} of type 'higher_of' needs at least two 'readings'.")
            return None
        spans = []
        for reading in readings:
            if not reading.get("code") or not CODE_RE.match(str(reading.get("code"))):
                errors.append(f"{where}: every reading needs a code (lower case, digits, _).")
                return None
            span = _check_input(f"{where}, reading '{reading['code']}'", reading, errors)
            if span is None:
                return None
            spans.append(span)
        span = (max(s[0] for s in spans), max(s[1] for s in spans))
    else:
        span = _check_input(where, item, errors)
        if span is None:
            return None
    if item.get("condition"):
        span = (min(0, span[0]), max(0, span[1]))
    return span


def check_bands(where: str, bands: Any, low: int, high: int, errors: list[str]) -> None:
    """Bands cover every whole number in [low, high] exactly once."""
    if not isinstance(bands, list) or not bands:
        errors.append(f"{where} need at least one band {{min, max, level, label}}.")
        return
    for band in bands:
        if not isinstance(band, Mapping) or not band.get("level"):
            errors.append(f"{where}: every band needs a 'level'.")
            return
        for key in ("min", "max"):
            if band.get(key) is not None and not _int(band[key]):
                errors.append(f"{where}: band '{band['level']}' {key} must be a whole number.")
                return
        if band.get("min") is not None and band.get("max") is not None:
            if band["max"] < band["min"]:
                errors.append(f"{where}: band '{band['level']}' has max below min.")
                return
    levels = [band["level"] for band in bands]
    if len(set(levels)) != len(levels):
        errors.append(f"{where}: band levels must be unique.")

    def describe(band: Mapping[str, Any]) -> str:
        lo = "…" if band.get("min") is None else band["min"]
        hi = "+" if band.get("max") is None else f"–{band['max']}"
        return f"'{band['level']}' ({lo}{hi})"

    for total in range(low, high + 1):
        holding = [
            b
            for b in bands
            if (b.get("min") is None or total >= b["min"])
            and (b.get("max") is None or total <= b["max"])
        ]
        if len(holding) > 1:
            errors.append(
                f"{where} overlap: {' and '.join(describe(b) for b in holding)} both contain "
                f"{total}."
            )
            return
        if not holding:
            end = total
            while end + 1 <= high and not any(
                (b.get("min") is None or end + 1 >= b["min"])
                and (b.get("max") is None or end + 1 <= b["max"])
                for b in bands
            ):
                end += 1
            gap = f"{total}" if end == total else f"{total} to {end}"
            errors.append(
                f"{where} leave a gap: no band covers {gap} (possible totals are {low} to {high})."
            )
            return


def definition_errors(definition: Any) -> list[str]:
    """Every problem with a definition, as sentences (empty list = valid)."""
    errors: list[str] = []
    if not isinstance(definition, Mapping):
        return ["The definition must be an object with 'items' and 'bands'."]
    items = definition.get("items")
    if not isinstance(items, list) or not items:
        return ["The definition needs 'items': a non-empty list."]
    codes: list[str] = []
    spans: dict[str, tuple[int, int]] = {}
    for index, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            errors.append(f"Item {index} must be an object.")
            continue
        code = item.get("code")
        if not code or not CODE_RE.match(str(code)):
            errors.append(
                f"Item {index} needs a 'code' of lower-case letters, digits and underscores."
            )
            continue
        codes.append(code)
        codes.extend(r.get("code") for r in item.get("readings", []) if isinstance(r, Mapping))
        if not item.get("label"):
            errors.append(f"Item '{code}' needs a 'label'.")
        if item_type(item) not in ITEM_TYPES:
            errors.append(
                f"Item '{code}' has unknown type '{item_type(item)}'; "
                f"use one of {', '.join(ITEM_TYPES)}."
            )
            continue
        if item.get("condition") and item["condition"] not in CONDITIONS:
            errors.append(
                f"Item '{code}' has unknown condition '{item['condition']}'; "
                f"use one of {', '.join(CONDITIONS)}."
            )
        if item.get("dynamic") and item_type(item) in COMPUTED_TYPES:
            errors.append(f"Item '{code}' is computed and cannot be a dynamic need.")
        span = item_range(item, errors)
        if span is not None:
            spans[code] = span
    duplicates = sorted({c for c in codes if codes.count(c) > 1})
    if duplicates:
        errors.append(f"Item codes must be unique; repeated: {', '.join(map(str, duplicates))}.")
    if errors:
        return errors

    low = sum(s[0] for s in spans.values())
    high = sum(s[1] for s in spans.values())
    subscores = definition.get("subscores", {}) or {}
    if not isinstance(subscores, Mapping):
        return [*errors, "'subscores' must be an object of {items, bands}."]
    for key, sub in subscores.items():
        members = sub.get("items", []) if isinstance(sub, Mapping) else None
        if not members or any(m not in spans for m in members):
            unknown = [m for m in (members or []) if m not in spans]
            errors.append(
                f"Sub-score '{key}' must list items of this instrument"
                + (f"; unknown: {', '.join(unknown)}." if unknown else ".")
            )
            continue
        if sub.get("bands"):
            check_bands(
                f"Sub-score '{key}' bands",
                sub["bands"],
                sum(spans[m][0] for m in members),
                sum(spans[m][1] for m in members),
                errors,
            )
    if definition.get("level_rule") == "highest_subscore":
        order = definition.get("level_order") or []
        keys = definition.get("level_subscores") or list(subscores)
        if not order:
            errors.append("'level_rule' highest_subscore needs 'level_order' (lowest first).")
        for key in keys:
            sub = subscores.get(key)
            if not sub or not sub.get("bands"):
                errors.append(f"Sub-score '{key}' needs bands to give a level.")
                continue
            missing = [b["level"] for b in sub["bands"] if b["level"] not in order]
            if missing:
                errors.append(f"'level_order' lacks the levels {', '.join(missing)}.")
    check_bands("Bands", definition.get("bands"), low, high, errors)
    return errors


def validate_definition(definition: Any) -> None:
    """Raise ValidationError({"definition": [...]}) naming every problem, or return."""
    errors = definition_errors(definition)
    if errors:
        raise ValidationError({"definition": errors})
