"""The benchmark's figures, the console table and the results section of docs/performance.md.

Pure functions (no database): the suite's runners produce `Figure`s; `render_table` prints
them, `results_section` turns them into Markdown with the machine and date, and
`update_document` replaces the section between the markers (or appends it).
"""

from __future__ import annotations

import math
import os
import platform
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

START_MARKER = "<!-- bench:results:start (written by `make bench`; edits here are replaced) -->"
END_MARKER = "<!-- bench:results:end -->"


@dataclass
class Figure:
    """One line of the results: what was measured, the target, the result and the verdict.
    `passed` is None for figures reported without a target."""

    group: str
    measure: str
    target: str
    result: str
    passed: bool | None = None
    note: str = ""

    @property
    def verdict(self) -> str:
        return {True: "pass", False: "MISS", None: "—"}[self.passed]


@dataclass
class Machine:
    cpu: str
    cores: int
    ram_gb: float
    postgres: str
    python: str = field(default_factory=platform.python_version)
    load: str = ""

    def describe(self) -> str:
        return (
            f"{self.cpu}, {self.cores} cores, {self.ram_gb:.0f} GB RAM; PostgreSQL "
            f"{self.postgres}; Python {self.python}"
        )


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0–100) by nearest rank; NaN for no values."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def cpu_model(cpuinfo: str | None = None) -> str:
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            return platform.processor() or platform.machine()
    for line in cpuinfo.splitlines():
        if line.lower().startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def ram_gb(meminfo: str | None = None) -> float:
    if meminfo is None:
        try:
            meminfo = Path("/proc/meminfo").read_text()
        except OSError:
            return 0.0
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return 0.0


def machine(postgres_version: str) -> Machine:
    load = ""
    if hasattr(os, "getloadavg"):
        load = " / ".join(f"{x:.1f}" for x in os.getloadavg())
    return Machine(
        cpu=cpu_model(),
        cores=os.cpu_count() or 1,
        ram_gb=ram_gb(),
        postgres=postgres_version,
        load=load,
    )


def render_table(figures: Iterable[Figure]) -> str:
    """A fixed-width console table: group, measure, target, result, verdict."""
    rows = [("group", "measure", "target", "result", "verdict")]
    rows += [(f.group, f.measure, f.target, f.result, f.verdict) for f in figures]
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def results_section(
    figures: Sequence[Figure],
    machine_: Machine,
    when: str,
    dataset: dict[str, int],
    notes: Sequence[str] = (),
    command: str = "make bench",
) -> str:
    """The Markdown results section (between the markers)."""
    missed = [f for f in figures if f.passed is False]
    counted = [f for f in figures if f.passed is not None]
    lines = [
        START_MARKER,
        "## Latest results (`make bench`)",
        "",
        f"- Date: {when}; command: `{command}`",
        f"- Machine: {machine_.describe()}",
        f"- Load average when the run ended (1 / 5 / 15 min): {machine_.load or 'n/a'}",
        "- Dataset: " + ", ".join(f"{v:,} {k}" for k, v in dataset.items()),
        f"- Verdict: {len(counted) - len(missed)} of {len(counted)} targets met"
        + (f"; missed: {', '.join(f.measure for f in missed)}" if missed else ""),
        "",
        "| group | measure | target | result | verdict | note |",
        "|---|---|---|---|---|---|",
    ]
    for f in figures:
        lines.append(
            f"| {_cell(f.group)} | {_cell(f.measure)} | {_cell(f.target)} | {_cell(f.result)} "
            f"| {f.verdict} | {_cell(f.note)} |"
        )
    if notes:
        lines += ["", *[f"- {note}" for note in notes]]
    lines.append(END_MARKER)
    return "\n".join(lines) + "\n"


def update_document(path: Path, section: str) -> None:
    """Replace the results section of `path` (between the markers) or append it."""
    text = path.read_text() if path.exists() else "# Performance\n"
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start != -1 and end != -1 and end > start:
        text = text[:start] + section + text[end + len(END_MARKER) :].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text)
