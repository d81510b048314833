"""Protocol text: Markdown rendered to sanitized HTML, and a readable diff between versions.

Markdown lets authors write raw HTML, so the rendered HTML always goes through nh3 (an
allow-list sanitizer): no <script>, no event-handler attributes, no javascript: URLs.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Literal

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS: set[str] = {
    "a", "abbr", "blockquote", "br", "code", "dd", "del", "dl", "dt", "em", "h1", "h2", "h3",
    "h4", "h5", "h6", "hr", "ins", "li", "ol", "p", "pre", "strong", "sub", "sup", "table",
    "tbody", "td", "th", "thead", "tr", "caption", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
}
URL_SCHEMES: set[str] = {"http", "https", "mailto"}


def render_markdown(text: str) -> SafeString:
    """Markdown → HTML that is safe to put in a page (sanitized by an allow-list)."""
    html = markdown.markdown(text or "", extensions=["tables", "fenced_code", "sane_lists"])
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )
    return mark_safe(cleaned)  # noqa: S308 - sanitized by nh3 just above


ChangeKind = Literal["equal", "delete", "insert", "skip"]


@dataclass(frozen=True)
class DiffLine:
    """One row of a line diff: `old`/`new` are 1-based line numbers (None where absent)."""

    kind: ChangeKind
    old: int | None
    new: int | None
    text: str


def diff_lines(old_text: str, new_text: str, context: int = 3) -> list[DiffLine]:
    """Line diff of two texts with `context` unchanged lines around each change.

    Long unchanged runs collapse into one "skip" row whose text says how many lines it hides.
    Identical texts give no rows.
    """
    old_lines = (old_text or "").splitlines()
    new_lines = (new_text or "").splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    rows: list[DiffLine] = []
    opcodes = matcher.get_opcodes()
    if all(tag == "equal" for tag, *_ in opcodes):
        return []  # same text: nothing to show
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            lead = context if index > 0 else 0
            tail = context if index < len(opcodes) - 1 else 0
            span = i2 - i1
            if span > lead + tail + 1:
                rows += [
                    DiffLine("equal", i1 + k + 1, j1 + k + 1, old_lines[i1 + k])
                    for k in range(lead)
                ]
                hidden = span - lead - tail
                rows.append(DiffLine("skip", None, None, f"{hidden} unchanged lines"))
                rows += [
                    DiffLine(
                        "equal", i2 - tail + k + 1, j2 - tail + k + 1, old_lines[i2 - tail + k]
                    )
                    for k in range(tail)
                ]
            else:
                rows += [
                    DiffLine("equal", i1 + k + 1, j1 + k + 1, old_lines[i1 + k])
                    for k in range(span)
                ]
            continue
        rows += [DiffLine("delete", i + 1, None, old_lines[i]) for i in range(i1, i2)]
        rows += [DiffLine("insert", None, j + 1, new_lines[j]) for j in range(j1, j2)]
    return rows


def unified_diff(old_text: str, new_text: str, old_label: str, new_label: str) -> str:
    """Plain unified diff (for the API and for copying)."""
    return "\n".join(
        difflib.unified_diff(
            (old_text or "").splitlines(),
            (new_text or "").splitlines(),
            fromfile=old_label,
            tofile=new_label,
            lineterm="",
        )
    )
