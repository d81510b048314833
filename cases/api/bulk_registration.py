"""Bulk import of registration events (`POST /api/v1/bulk/registration-events/`, JSON or CSV).

Each row goes through what a single `POST /api/v1/registration-events/` goes through: the
registration must be within restrict(user, 'add') (any other id — missing or invisible — is
"registration: Not found."), the row is parsed and checked by the single-record API's serializer
(its field types and its gate: events must be shared with the caller's agency, a refusal is
audited), then by the registration service's own rules (`clean_event`), and saved by the
service's `record_event` — which computes the deadline from the jurisdiction's schedule and
holiday calendar, marks the event late, moves the verification date and the status, re-checks
scope, audits and brings the case's registration alerts up to date. The bulk-only parts: a
column that is not a field of an event is refused (a typo in a CSV header must not pass
unnoticed), `reported_on` defaults to today, and the alerts of all rows' cases are refreshed
once at the end of the batch (`registration.batch`). All rows are saved in one transaction, or
none (sartcm.api.bulk).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import serializers

from cases.api.registration import RegistrationEventSerializer
from cases.choices import RegistrationEventKind
from cases.compliance import today
from cases.models import RegistrationRecord
from cases.services import registration as svc
from sartcm.api.bulk import (
    BulkImporter,
    BulkImportViewSet,
    PreloadedRows,
    merge_errors,
)

EVENT_FIELDS = ("registration", "kind", "changed_on", "reported_on", "details")


class RegistrationEventRowSerializer(serializers.Serializer):
    """One registration event row (documentation of the row shape)."""

    registration = serializers.IntegerField(help_text="Id of a registration you may add to.")
    kind = serializers.ChoiceField(choices=RegistrationEventKind.choices)
    changed_on = serializers.DateField(help_text="When the change happened.")
    reported_on = serializers.DateField(required=False, help_text="Default: today.")
    details = serializers.CharField(required=False, allow_blank=True)


class PreloadedField(serializers.Field):
    """A related field answered from rows preloaded for the whole batch (no query per row),
    with the bulk import's messages ("Not found." for a missing or invisible id)."""

    def __init__(self, rows: PreloadedRows, **kwargs: Any) -> None:
        message = rows.required_message
        kwargs.setdefault("error_messages", {"required": message, "null": message})
        super().__init__(**kwargs)
        self.rows = rows

    def to_internal_value(self, data: Any) -> Any:
        try:
            return self.rows.get(data)
        except ValidationError as exc:
            raise serializers.ValidationError(exc.messages) from None

    def to_representation(self, value: Any) -> Any:
        return value.pk


class BulkEventSerializer(RegistrationEventSerializer):
    """The single-record serializer, its registration taken from the batch's preloaded rows."""

    def __init__(self, *args: Any, registrations: PreloadedRows, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["registration"] = PreloadedField(registrations)
        # the bulk default (documented on the row); not in initial_data, so never named by the
        # field allow-list check as a field the caller wrote
        self.fields["reported_on"] = serializers.DateField(default=today)


def registration_event_importer(request: Any) -> BulkImporter:
    user = request.user
    registrations = PreloadedRows(
        RegistrationRecord.objects.restrict(user, "add").select_related("case", "case__offender"),
        "registration",
    )

    def validate_event(row: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {
            name: ["Not a field of a registration event."]
            for name in sorted(set(row) - set(EVENT_FIELDS))
        }
        data = {name: value for name, value in row.items() if name in EVENT_FIELDS}
        serializer = BulkEventSerializer(
            data=data, context={"request": request}, registrations=registrations
        )
        if not serializer.is_valid():
            merge_errors(errors, serializers.ValidationError(serializer.errors))
            raise ValidationError(errors)
        cleaned = dict(serializer.validated_data)
        try:
            svc.clean_event(
                kind=cleaned["kind"],
                changed_on=cleaned["changed_on"],
                reported_on=cleaned["reported_on"],
                on=today(),
            )
        except ValidationError as exc:
            merge_errors(errors, exc)
        if errors:
            raise ValidationError(errors)
        return cleaned

    def save_event(cleaned: dict[str, Any]) -> Any:
        data = dict(cleaned)
        return svc.record_event(user, data.pop("registration"), **data)

    return BulkImporter(
        validate_event,
        save_event,
        prepare=registrations.prepare,
        saving=svc.batch,
        not_found_field="registration",
    )


EVENT_ROWS = [
    {
        "registration": 12,
        "kind": "residence",
        "changed_on": "2026-03-02",
        "reported_on": "2026-03-04",
        "details": "Moved to 118 Cedar Row, Apt 2 (fictional).",
    },
    {"registration": 14, "kind": "employment", "changed_on": "2026-02-20"},
]
EVENT_CSV = (
    "registration,kind,changed_on,reported_on,details\n"
    "12,residence,2026-03-02,2026-03-04,Moved to 118 Cedar Row (fictional).\n"
    "14,employment,2026-02-20,,\n"
)


class BulkRegistrationEventViewSet(BulkImportViewSet):
    """Bulk import of registration events through the registration service, as one by one."""

    serializer_class = RegistrationEventRowSerializer  # the row shape (OPTIONS, docs)
    importer = registration_event_importer
    example_rows = EVENT_ROWS
    example_csv = EVENT_CSV
    bulk_description = (
        "Record many registration events at once (JSON array or text/csv). Each row is "
        "checked and recorded exactly as a single POST /registration-events/ would be: a "
        "change reported after the jurisdiction's window (3 business days by default, "
        "holidays excluded) is marked late, a periodic verification is due by the "
        "registration's next verification date, and an appearance moves that date and the "
        "status. A column that is not a field of an event is refused. All rows saved, or "
        "none and every failing row reported."
    )
