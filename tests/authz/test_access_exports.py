"""CSV exports cannot smuggle spreadsheet formulas."""

from __future__ import annotations

import pytest

from sartcm.exports import safe_cell


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+1-555-0100", "'+1-555-0100"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\t=1", "'\t=1"),
        ("plain text", "plain text"),
        (-3, "-3"),  # a number is data, not a formula
        (None, ""),
        (["=a", "b"], "'=a; b"),
    ],
)
def test_cells_starting_like_a_formula_are_quoted(value: object, cell: str) -> None:
    assert safe_cell(value) == cell
