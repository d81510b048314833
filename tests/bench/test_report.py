"""bench.report: percentiles, the console table and the docs section (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.__main__ import parse_args
from bench.report import (
    END_MARKER,
    START_MARKER,
    Figure,
    Machine,
    cpu_model,
    percentile,
    ram_gb,
    render_table,
    results_section,
    update_document,
)

FIGURES = [
    Figure("sweep", "full alert sweep", "≤ 5 s", "3.10 s", True, "50 queries"),
    Figure("api", "GET cases list", "p50 ≤ 30 ms", "p50 41.0 ms", False, "a | pipe"),
    Figure("http", "requests/s", "report", "120/s", None),
]
MACHINE = Machine(cpu="Test CPU", cores=2, ram_gb=24, postgres="15.2", load="1.0 / 1.0 / 1.0")


def test_percentile_by_nearest_rank() -> None:
    values = [5.0, 1.0, 3.0, 2.0, 4.0]
    assert percentile(values, 50) == 3.0
    assert percentile(values, 99) == 5.0
    assert percentile(values, 1) == 1.0
    assert percentile([], 50) != percentile([], 50)  # NaN


def test_machine_facts_are_read_from_proc_text() -> None:
    assert cpu_model("processor : 0\nmodel name\t: AMD EPYC 7B13\n") == "AMD EPYC 7B13"
    assert ram_gb("MemTotal:       25165824 kB\n") == 24.0


def test_the_console_table_has_a_header_a_rule_and_one_line_per_figure() -> None:
    lines = render_table(FIGURES).splitlines()
    assert lines[0].split() == ["group", "measure", "target", "result", "verdict"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert len(lines) == 2 + len(FIGURES)
    assert lines[2].endswith("pass") and lines[3].endswith("MISS") and lines[4].endswith("—")


def test_the_section_names_machine_date_dataset_verdicts_and_escapes_pipes() -> None:
    section = results_section(
        FIGURES, MACHINE, "2026-11-28 09:00 UTC", {"cases": 100000}, ["under load"]
    )
    assert section.startswith(START_MARKER) and section.rstrip().endswith(END_MARKER)
    assert "Test CPU, 2 cores, 24 GB RAM; PostgreSQL 15.2" in section
    assert "2026-11-28 09:00 UTC" in section and "100,000 cases" in section
    assert "1 of 2 targets met; missed: GET cases list" in section
    assert "| api | GET cases list | p50 ≤ 30 ms | p50 41.0 ms | MISS | a \\| pipe |" in section
    assert "- under load" in section


def test_the_document_section_is_replaced_in_place_or_appended(tmp_path: Path) -> None:
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\nIntro.\n")
    first = results_section(FIGURES[:1], MACHINE, "day one", {"cases": 1})
    update_document(doc, first)
    doc.write_text(doc.read_text() + "\n## After\n\nKept.\n")
    second = results_section(FIGURES[1:], MACHINE, "day two", {"cases": 2})
    update_document(doc, second)
    text = doc.read_text()
    assert text.count(START_MARKER) == 1 and text.count(END_MARKER) == 1
    assert "day two" in text and "day one" not in text
    assert text.startswith("# Performance\n\nIntro.\n") and text.rstrip().endswith("Kept.")


def test_only_names_known_measures() -> None:
    assert parse_args(["--only", "sweep, api", "--quick"]).only == ["sweep", "api"]
    with pytest.raises(SystemExit):
        parse_args(["--only", "sweep,nonsense"])
