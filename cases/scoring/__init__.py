"""Risk/needs instruments as data, and the code that scores them.

from cases.scoring import score
result = score(instrument, answers, offender=offender, release_date=date(2026, 6, 1))
result.total, result.level, result.item_scores, result.subscores, result.needs
"""

from cases.scoring.builtin import ensure_builtin_instruments, ensure_default_standards
from cases.scoring.engine import (
    Need,
    ScoreResult,
    age_on,
    completed_years,
    flat_messages,
    input_items,
    level_order,
    preview_score,
    score,
)
from cases.scoring.validation import definition_errors, validate_definition

__all__ = [
    "Need",
    "ScoreResult",
    "age_on",
    "completed_years",
    "definition_errors",
    "ensure_builtin_instruments",
    "ensure_default_standards",
    "flat_messages",
    "input_items",
    "level_order",
    "preview_score",
    "score",
    "validate_definition",
]
