"""Creating the built-in instruments (and, on request, their default standards)."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction

from cases.scoring.definitions import BUILTIN, DEFAULT_INTERVALS, DEFAULT_LEVEL_MAPPINGS
from cases.scoring.validation import validate_definition


def ensure_builtin_instruments(*, reset: bool = False) -> dict[str, str]:
    """Create Static-99R, STABLE-2007 and ACUTE-2007 (version 1) if missing. Idempotent: an
    existing row is kept as it is (an agency may have configured its bands) unless `reset`.
    Returns {code: "created" | "kept" | "reset"}."""
    from protocols.models import Instrument

    outcome: dict[str, str] = {}
    with transaction.atomic():
        for code, (name, kind, definition) in BUILTIN.items():
            validate_definition(definition)
            instrument, created = Instrument.objects.get_or_create(
                code=code,
                version=1,
                defaults={"name": name, "kind": kind, "definition": definition, "builtin": True},
            )
            if created:
                outcome[code] = "created"
            elif reset and instrument.definition != definition:
                instrument.definition = definition
                instrument.name, instrument.kind, instrument.builtin = name, kind, True
                instrument.save(update_fields=["definition", "name", "kind", "builtin"])
                outcome[code] = "reset"
            else:
                outcome[code] = "kept"
    return outcome


def ensure_default_standards(effective_from: date | None = None) -> dict[str, int]:
    """Default level mappings and reassessment intervals (jurisdiction '' = everywhere), added
    only for instrument codes that have none yet, so a protocol's own rows are never touched."""
    from protocols.models import LevelMapping, ReassessmentInterval

    start = effective_from or date(2000, 1, 1)
    counts = {"level_mappings": 0, "intervals": 0}
    with transaction.atomic():
        for code, mapping in DEFAULT_LEVEL_MAPPINGS.items():
            if LevelMapping.objects.filter(jurisdiction="", instrument_code=code).exists():
                continue
            rows: list[Any] = [
                LevelMapping(
                    jurisdiction="",
                    effective_from=start,
                    instrument_code=code,
                    assessment_level=level,
                    supervision_level=supervision,
                    note="Default shipped with the built-in instruments.",
                )
                for level, supervision in mapping.items()
            ]
            LevelMapping.objects.bulk_create(rows)
            counts["level_mappings"] += len(rows)
        codes = {code for code, _ in DEFAULT_INTERVALS}
        for code in sorted(codes):
            if ReassessmentInterval.objects.filter(jurisdiction="", instrument_code=code).exists():
                continue
            rows = [
                ReassessmentInterval(
                    jurisdiction="",
                    effective_from=start,
                    instrument_code=code,
                    supervision_level=level,
                    interval_days=days,
                    note="Default shipped with the built-in instruments (unconfirmed).",
                )
                for (c, level), days in DEFAULT_INTERVALS.items()
                if c == code
            ]
            ReassessmentInterval.objects.bulk_create(rows)
            counts["intervals"] += len(rows)
    return counts
