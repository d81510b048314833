"""Bulk import for agency systems: all rows or none.

A `BulkImporter` takes a row validator and a saver. It validates EVERY row (the validator
raises Django's ValidationError naming fields, usually by calling the same service validation a
single record goes through), then saves the valid rows one by one inside one transaction (the
saver is the same service function a single record uses, so a rule checked only there is still
applied, and its failure is reported against its row). If any row failed, at validation or at
saving, the transaction is rolled back and every failure is reported as
`{row, field, message}` (rows numbered from 1; in CSV, row 1 is the line after the header).

`BulkImportViewSet` serves an importer at POST: JSON (a list of row objects) or `text/csv`
(a header line naming the fields); Idempotency-Key works as on any create. Success: 201
`{created, ids}`; refusal: 422 problem+json with `errors: [{row, field, message}]`.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_view
from rest_framework import parsers, serializers, status, viewsets
from rest_framework.exceptions import ParseError
from rest_framework.exceptions import ValidationError as DRFValidationError
from rest_framework.response import Response

from sartcm.api.openapi import PROBLEM, ProblemSerializer, SafeWriteAutoSchema
from sartcm.api.safety import IdempotentCreateMixin, storable
from sartcm.api.viewsets import IsActiveStaff

MAX_ROWS = 2000
EXTRA_CELLS = "__extra__"  # csv.DictReader restkey: cells beyond the header


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        # Field names come from the client (unknown columns are reported by name): keep them
        # short and storable.
        return {"row": self.row, "field": storable(self.field[:100]), "message": self.message}


@dataclass
class BulkResult:
    saved: list[Any] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def row_errors(row: int, exc: ValidationError) -> list[RowError]:
    """A ValidationError (dict naming fields, or a plain message) as row errors."""
    if hasattr(exc, "error_dict"):
        return [
            RowError(row, name, str(message))
            for name, messages in exc.message_dict.items()
            for message in messages
        ]
    return [RowError(row, "row", str(message)) for message in exc.messages]


def parse_id(value: Any) -> int | None:
    """A positive integer id from JSON or a CSV cell, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if value > 0 else None
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip()) or None
    return None


def field_errors(exc: ValidationError | DRFValidationError) -> dict[str, list[str]]:
    """Django's or DRF's ValidationError as {field: [message, …]} ("row" when it names none)."""
    if isinstance(exc, DRFValidationError):
        detail = exc.detail if isinstance(exc.detail, dict) else {"row": exc.detail}
        return {
            ("row" if name == "non_field_errors" else name): [str(m) for m in messages]
            for name, messages in detail.items()
        }
    if hasattr(exc, "error_dict"):
        return {name: list(messages) for name, messages in exc.message_dict.items()}
    return {"row": list(exc.messages)}


def merge_errors(errors: dict[str, list[str]], exc: ValidationError | DRFValidationError) -> None:
    """Add the messages of `exc` to `errors` (a row's errors so far)."""
    for name, messages in field_errors(exc).items():
        errors.setdefault(name, []).extend(messages)


class PreloadedRows:
    """Each row's `field` names an object (by id) among `queryset` — the caller's scope for the
    write, e.g. the cases it may add contacts to. All the rows' objects are loaded in one query
    (`prepare`, the importer's hook), so validation costs no query per row; a missing and an
    invisible id read the same ("Not found.")."""

    def __init__(self, queryset: QuerySet, field: str, noun: str | None = None) -> None:
        self.queryset = queryset
        self.field = field
        self.noun = noun or field
        self.objects: dict[int, Any] = {}

    @property
    def required_message(self) -> str:
        return f"Required: the id of the {self.noun}."

    def prepare(self, rows: list[dict[str, Any]]) -> None:
        ids = {pk for row in rows if (pk := parse_id(row.get(self.field))) is not None}
        self.objects = self.queryset.in_bulk(ids)

    def get(self, raw: Any) -> Any:
        """The object `raw` (an id) names; ValidationError with the message otherwise."""
        if raw in (None, ""):
            raise ValidationError(self.required_message)
        pk = parse_id(raw)
        if pk is None:
            raise ValidationError(f"Enter the {self.noun} id (a whole number).")
        found = self.objects.get(pk)
        if found is None:
            raise ValidationError("Not found.")
        return found

    def resolve(self, row: dict[str, Any], errors: dict[str, list[str]]) -> Any | None:
        """The row's object, or None with the reason added to `errors` under the field."""
        try:
            return self.get(row.get(self.field))
        except ValidationError as exc:
            errors[self.field] = list(exc.messages)
            return None


class BulkImporter:
    """Validate every row, then save all in one transaction or none.

    `validate(row) -> cleaned` raises ValidationError naming the field; `save(cleaned) -> obj`
    is the service call for one record (it may raise ValidationError too, or Http404 when the
    object would fall outside the caller's scope — reported as `not_found_field: Not found.`).
    `prepare(rows)` may preload what validation needs in one query (e.g. the visible cases).
    `saving()` (optional) is a context manager around the whole save loop, inside its
    transaction: a service's batch mode (e.g. refreshing alerts once for all rows instead of
    after each). It sees the transaction marked for rollback when any row failed.
    """

    max_rows = MAX_ROWS

    def __init__(
        self,
        validate: Callable[[dict[str, Any]], Any],
        save: Callable[[Any], Any],
        prepare: Callable[[list[dict[str, Any]]], None] | None = None,
        *,
        saving: Callable[[], AbstractContextManager[Any]] | None = None,
        not_found_field: str = "case",
    ) -> None:
        self.validate = validate
        self.save = save
        self.prepare = prepare
        self.saving = saving or nullcontext
        self.not_found_field = not_found_field

    def run(self, rows: Any) -> BulkResult:
        result = BulkResult()
        if not isinstance(rows, list):
            result.errors.append(RowError(0, "rows", "Send a list of rows (JSON array or CSV)."))
            return result
        if not rows:
            result.errors.append(RowError(0, "rows", "Send at least one row."))
            return result
        if len(rows) > self.max_rows:
            result.errors.append(
                RowError(0, "rows", f"At most {self.max_rows} rows per request (got {len(rows)}).")
            )
            return result
        objects = [row for row in rows if isinstance(row, dict)]
        if self.prepare is not None:
            self.prepare(objects)
        valid: list[tuple[int, Any]] = []
        for number, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                result.errors.append(RowError(number, "row", "Each row must be an object."))
                continue
            if EXTRA_CELLS in row:
                result.errors.append(
                    RowError(number, "row", "More cells than there are columns in the header.")
                )
                continue
            try:
                valid.append((number, self.validate(row)))
            except ValidationError as exc:
                result.errors.extend(row_errors(number, exc))
        # Save even after a failure, to report errors only the service finds; roll back if any.
        with transaction.atomic(), self.saving():
            for number, cleaned in valid:
                try:
                    with transaction.atomic():
                        result.saved.append(self.save(cleaned))
                except ValidationError as exc:
                    result.errors.extend(row_errors(number, exc))
                except Http404:
                    result.errors.append(RowError(number, self.not_found_field, "Not found."))
                except IntegrityError:
                    result.errors.append(
                        RowError(number, "row", "Conflicts with an existing record.")
                    )
            if result.errors:
                transaction.set_rollback(True)
                result.saved = []
        result.errors.sort(key=lambda e: (e.row, e.field))
        return result


class CSVRowsParser(parsers.BaseParser):
    """text/csv with a header line: a list of {column: value}; empty cells are left out (so
    defaults apply), a line with more cells than the header is kept for validation to refuse."""

    media_type = "text/csv"

    def parse(self, stream: Any, media_type: Any = None, parser_context: Any = None) -> Any:
        try:
            text = stream.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ParseError("CSV must be UTF-8.") from None
        reader = csv.DictReader(io.StringIO(text), restkey=EXTRA_CELLS)
        try:
            rows = []
            for record in reader:
                row = {
                    (key or "").strip(): value.strip() if isinstance(value, str) else value
                    for key, value in record.items()
                    if value not in ("", None)
                }
                rows.append(row)
        except csv.Error as exc:
            raise ParseError(f"Malformed CSV: {exc}") from None
        return rows


class BulkResultSerializer(serializers.Serializer):
    created = serializers.IntegerField(help_text="Rows saved (all of them).")
    ids = serializers.ListField(child=serializers.IntegerField(), help_text="In row order.")


class _BulkCreate(viewsets.GenericViewSet):
    permission_classes = [IsActiveStaff]
    parser_classes = [parsers.JSONParser, CSVRowsParser]
    filter_backends: list[Any] = []
    pagination_class = None
    schema = SafeWriteAutoSchema()

    def get_importer(self) -> BulkImporter:
        raise NotImplementedError

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        result = self.get_importer().run(request.data)
        if result.errors:
            failed = len({e.row for e in result.errors})
            return Response(
                {
                    "type": "about:blank",
                    "title": "Bulk import refused; nothing was saved.",
                    "status": 422,
                    "detail": f"{failed} row(s) failed; fix them and send the whole batch again.",
                    "errors": [e.as_dict() for e in result.errors],
                },
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                content_type=PROBLEM,
            )
        return Response(
            {"created": len(result.saved), "ids": [obj.pk for obj in result.saved]},
            status=status.HTTP_201_CREATED,
        )


class BulkImportViewSet(IdempotentCreateMixin, _BulkCreate):
    """POST rows (JSON list or text/csv): all saved, or none and every failing row reported.

    A subclass sets `serializer_class` (the row shape, for OPTIONS and the docs), `importer`
    (request -> BulkImporter), `example_rows`, `example_csv` and `bulk_description`; its POST
    is documented from them (`bulk_schema`)."""

    importer: Callable[[Any], BulkImporter]
    example_rows: list[dict[str, Any]] = []
    example_csv = ""
    bulk_description = ""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.bulk_description:
            schema = bulk_schema(
                cls.serializer_class, cls.example_rows, cls.example_csv, cls.bulk_description
            )
            extend_schema_view(create=schema)(cls)

    def get_importer(self) -> BulkImporter:
        return type(self).importer(self.request)


def bulk_schema(
    row_serializer: type[serializers.Serializer],
    json_rows: list[dict[str, Any]],
    csv_text: str,
    description: str,
) -> Any:
    """extend_schema for a bulk endpoint: JSON and CSV request bodies, 201 and 422 examples."""
    return extend_schema(
        description=description,
        request={
            "application/json": row_serializer(many=True),
            "text/csv": OpenApiTypes.STR,
        },
        responses={201: BulkResultSerializer, (422, PROBLEM): ProblemSerializer},
        examples=[
            # drf-spectacular wraps a request example of a list in a list: give one row.
            OpenApiExample(
                "JSON rows", value=json_rows[0], request_only=True, media_type="application/json"
            ),
            OpenApiExample("CSV", value=csv_text, request_only=True, media_type="text/csv"),
            OpenApiExample(
                "All saved",
                value={"created": len(json_rows), "ids": list(range(9001, 9001 + len(json_rows)))},
                response_only=True,
                status_codes=["201"],
            ),
            OpenApiExample(
                "Refused",
                value={
                    "type": "about:blank",
                    "title": "Bulk import refused; nothing was saved.",
                    "status": 422,
                    "detail": "2 row(s) failed; fix them and send the whole batch again.",
                    "errors": [
                        {"row": 2, "field": "case", "message": "Not found."},
                        {"row": 5, "field": "contact_type", "message": "Choose one of: …"},
                    ],
                },
                response_only=True,
                status_codes=["422"],
                media_type=PROBLEM,
            ),
        ],
    )
