"""Bulk import of supervision contacts (`POST /api/v1/bulk/contacts/`, JSON or CSV).

Each row goes through what a single contact goes through: the case must be within
restrict(user, 'add') for contacts (any other id — missing or invisible — is "case: Not
found."), the fields must be shared with the caller's agency (the contact serializer's
check_writable, audited), the values pass `clean_contact`, and the row is saved by
`log_contact` (which re-validates, refuses closed cases, re-checks scope, bumps the case version
and audits). All rows are saved in one transaction, or none (sartcm.api.bulk); the `contact.logged`
webhooks of all rows are queued in one statement at the end (`cases.webhooks.batch`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import serializers
from rest_framework.exceptions import ValidationError as DRFValidationError

from agencies.choices import RecordType
from agencies.querysets import staff_of
from cases import webhooks
from cases.api.contacts import SupervisionContactSerializer
from cases.choices import ContactOutcome, ContactType
from cases.models import Case
from cases.services.contacts import clean_contact, log_contact
from sartcm.api.bulk import (
    BulkImporter,
    BulkImportViewSet,
    PreloadedRows,
    merge_errors,
)


class ContactRowSerializer(serializers.Serializer):
    """One contact row (documentation of the row shape; validation is clean_contact's)."""

    case = serializers.IntegerField(help_text="Id of a case you may add contacts to.")
    contact_at = serializers.DateTimeField(required=False, help_text="Default: now; not future.")
    contact_type = serializers.ChoiceField(choices=ContactType.choices)
    face_to_face = serializers.BooleanField(required=False, default=True)
    location = serializers.CharField(required=False, allow_blank=True, max_length=200)
    outcome = serializers.ChoiceField(
        choices=ContactOutcome.choices, required=False, default=ContactOutcome.COMPLETED
    )
    notes = serializers.CharField(required=False, allow_blank=True)


def contact_importer(request: Any) -> BulkImporter:
    user = request.user
    staff = staff_of(user)
    cases = PreloadedRows(Case.objects.restrict_record(user, "add", RecordType.CONTACTS), "case")

    def validate(row: dict[str, Any]) -> tuple[Case, dict[str, Any]]:
        errors: dict[str, list[str]] = {}
        case = cases.resolve(row, errors)
        data = {name: value for name, value in row.items() if name != "case"}
        if case is not None:
            try:  # fields not shared with the caller's agency: refused and audited
                SupervisionContactSerializer(data=row, context={"request": request}).check_writable(
                    case, {}
                )
            except DRFValidationError as exc:
                merge_errors(errors, exc)
        try:
            clean_contact(data)
        except ValidationError as exc:
            merge_errors(errors, exc)
        if errors:
            raise ValidationError(errors)
        assert case is not None
        return case, data

    def save(cleaned: tuple[Case, dict[str, Any]]) -> Any:
        case, data = cleaned
        return log_contact(case, staff, data, user)

    return BulkImporter(validate, save, prepare=cases.prepare, saving=webhooks.batch)


CONTACT_ROWS = [
    {
        "case": 57,
        "contact_at": "2026-03-02T10:30:00-06:00",
        "contact_type": "home_visit",
        "face_to_face": True,
        "location": "Residence",
        "outcome": "completed",
        "notes": "Walk-through; no concerns.",
    },
    {"case": 61, "contact_at": "2026-03-02T14:00:00-06:00", "contact_type": "office"},
]
CONTACT_CSV = (
    "case,contact_at,contact_type,face_to_face,location,outcome,notes\n"
    "57,2026-03-02T10:30:00-06:00,home_visit,true,Residence,completed,Walk-through; no concerns.\n"
    "61,2026-03-02T14:00:00-06:00,office,,,,\n"
)


class BulkContactViewSet(BulkImportViewSet):
    """Bulk import of supervision contacts: every row validated as a single contact would be;
    all saved in one transaction, or none and every failing row reported."""

    serializer_class = ContactRowSerializer  # the row shape (OPTIONS, docs)
    importer = contact_importer
    example_rows = CONTACT_ROWS
    example_csv = CONTACT_CSV
    bulk_description = (
        "Log many supervision contacts at once. Send a JSON array of rows, or text/csv with a "
        "header line naming the columns (empty cells take the defaults). Every row is checked "
        "as a single contact would be; if any row fails, nothing is saved and the 422 lists "
        "every failure as {row, field, message} (row 1 = first data row)."
    )
