"""Helpers to attach OpenAPI examples (fictional data) to a viewset in one line:
`@extend_schema_view(**example_views(ROW, create=..., patch=...))`.

The row is the response of list/retrieve/create/update and, rendered as CSV, of `export`.
List examples are one row: drf-spectacular wraps them in the page envelope. Request examples
are documented for JSON and reused for the form media types (SafeWriteAutoSchema).
tests/api/test_openapi_examples.py fails for an operation without examples.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema

from sartcm.exports import safe_cell


def export_csv(rows: list[dict[str, Any]]) -> str:
    """The CSV the export action writes for these rows (same header order and cell rules)."""
    header: list[str] = []
    for row in rows:
        header.extend(k for k in row if k not in header)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(row.get(k, "")) for k in header])
    return out.getvalue()


def action_example(
    response: Any,
    *,
    request: Any = None,
    name: str = "Done",
    status: str = "200",
) -> Any:
    """extend_schema with a request (optional) and a response example for a custom action."""
    examples = []
    if request is not None:
        examples.append(OpenApiExample("Request", value=request, request_only=True))
    examples.append(OpenApiExample(name, value=response, response_only=True, status_codes=[status]))
    return extend_schema(examples=examples)


def example_views(
    row: dict[str, Any],
    *,
    create: dict[str, Any] | None = None,
    patch: dict[str, Any] | None = None,
    put: dict[str, Any] | None = None,
    partner: dict[str, Any] | None = None,
    reader: str = "Lead agency view",
    export: bool = True,
    **actions: Any,
) -> dict[str, Any]:
    """extend_schema_view kwargs: the row as list/retrieve/write response, request bodies, the
    CSV export, and `actions` (name → extend_schema, e.g. from action_example)."""
    read = [OpenApiExample(reader, value=row, response_only=True)]
    if partner is not None:
        read.append(
            OpenApiExample(
                "Partner view (only the fields its MOU term shares)",
                value=partner,
                response_only=True,
            )
        )
    views: dict[str, Any] = {
        "list": extend_schema(examples=read),
        "retrieve": extend_schema(examples=read),
    }
    if export:
        views["export"] = extend_schema(
            examples=[
                OpenApiExample(
                    "CSV", value=export_csv([row]), response_only=True, media_type="text/csv"
                )
            ]
        )
    if create is not None:
        views["create"] = extend_schema(
            examples=[
                OpenApiExample("Request", value=create, request_only=True),
                OpenApiExample("Created", value=row, response_only=True, status_codes=["201"]),
            ]
        )
    for view_action, body in (("partial_update", patch), ("update", put)):
        if body is not None:
            views[view_action] = extend_schema(
                examples=[
                    OpenApiExample("Request", value=body, request_only=True),
                    OpenApiExample(
                        "Updated",
                        value={**row, **{k: v for k, v in body.items() if k in row}},
                        response_only=True,
                    ),
                ]
            )
    views.update(actions)
    return views
