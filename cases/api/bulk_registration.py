"""Bulk import of registration events (`POST /api/v1/bulk/registration-events/`, JSON or CSV).

STOPGAP, written against the model directly: the registration service
(cases/services/registration.py) is being written in parallel. When it lands, the integrator
replaces `validate_event` / `save_event` below with the service's validation and its
record-event function (which also moves the registration's status and next due date and sends
the registration webhook) — the endpoint, the all-or-nothing framework and the tests stay.

Rules applied here (shared/domain.md, SORNA 34 U.S.C. 20913): a change of name, residence,
employment, school/student status (and vehicle, internet identifier; and the initial
registration of someone not imprisoned) must be reported within 3 business days of the
change, counted with the jurisdiction's holiday calendar (protocols.calendar); a periodic
verification is due by the registration's `next_verification_due`. Reported later = `late`.
A travel notice has no deadline computed here.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_date
from rest_framework import serializers

from agencies.choices import RecordType
from agencies.querysets import staff_of
from cases.access import AllFields, allowed_fields
from cases.api.bulk import parse_id
from cases.choices import RegistrationEventKind
from cases.compliance import today
from cases.models import RegistrationEvent, RegistrationRecord
from cases.services.contacts import bump_case_version, ensure_in_scope, snapshot
from protocols.calendar import add_business_days
from sartcm import audit
from sartcm.api.bulk import BulkImporter, BulkImportViewSet, bulk_schema
from sartcm.models import AuditAction, AuditOutcome

K = RegistrationEventKind
REPORT_WINDOW_BUSINESS_DAYS = 3  # domain.md; the registration service takes it from protocols
WINDOWED_KINDS = frozenset(
    {K.INITIAL, K.RESIDENCE, K.EMPLOYMENT, K.SCHOOL, K.NAME, K.VEHICLE, K.INTERNET}
)
EVENT_FIELDS = ("registration", "kind", "changed_on", "reported_on", "details")


def due_by(registration: RegistrationRecord, kind: str, changed_on: date) -> date | None:
    """The last day to report `kind` in time (None: no deadline)."""
    if kind in WINDOWED_KINDS:
        return add_business_days(
            changed_on, REPORT_WINDOW_BUSINESS_DAYS, jurisdiction=registration.jurisdiction
        )
    if kind == K.PERIODIC:
        return registration.next_verification_due
    return None


def _date(row: dict[str, Any], name: str, errors: dict[str, list[str]]) -> date | None:
    raw = row.get(name)
    if raw in (None, ""):
        return None
    try:
        value = parse_date(raw) if isinstance(raw, str) else None
    except ValueError:  # well-formed but impossible, e.g. 2026-02-30
        value = None
    if value is None:
        errors[name] = ["Enter a date as YYYY-MM-DD."]
    return value


class RegistrationEventRowSerializer(serializers.Serializer):
    """One registration event row (documentation of the row shape)."""

    registration = serializers.IntegerField(help_text="Id of a registration you may add to.")
    kind = serializers.ChoiceField(choices=RegistrationEventKind.choices)
    changed_on = serializers.DateField(help_text="When the change happened.")
    reported_on = serializers.DateField(required=False, help_text="Default: today.")
    details = serializers.CharField(required=False, allow_blank=True)


def registration_event_importer(request: Any) -> BulkImporter:
    user = request.user
    staff = staff_of(user)
    registrations: dict[int, RegistrationRecord] = {}

    def prepare(rows: list[dict[str, Any]]) -> None:
        ids = {pk for row in rows if (pk := parse_id(row.get("registration"))) is not None}
        registrations.update(
            RegistrationRecord.objects.restrict(user, "add").select_related("case").in_bulk(ids)
        )

    def validate_event(row: dict[str, Any]) -> dict[str, Any]:
        errors: dict[str, list[str]] = {}
        for name in sorted(set(row) - set(EVENT_FIELDS)):
            errors[name] = ["Not a field of a registration event."]
        registration = None
        raw = row.get("registration")
        if raw in (None, ""):
            errors["registration"] = ["Required: the id of the registration."]
        elif (pk := parse_id(raw)) is None:
            errors["registration"] = ["Enter the registration id (a whole number)."]
        elif (registration := registrations.get(pk)) is None:
            errors["registration"] = ["Not found."]  # missing and invisible read the same
        if registration is not None:
            allowed = allowed_fields(user, registration.case, RecordType.REGISTRATION)
            if not isinstance(allowed, AllFields) and "events" not in allowed:
                audit.record(
                    user,
                    AuditAction.DENIED,
                    outcome=AuditOutcome.DENIED,
                    case_id=registration.case_id,
                    object_type="cases.registrationevent",
                    fields=["events"],
                    detail="bulk write of registration events not permitted by MOU terms",
                )
                errors["registration"] = [
                    "You may not write registration events (not shared with your agency)."
                ]
        kind = row.get("kind")
        if kind not in K.values:
            errors["kind"] = [f"Choose one of: {', '.join(K.values)}."]
        changed_on = _date(row, "changed_on", errors)
        if changed_on is None and "changed_on" not in errors:
            errors["changed_on"] = ["Required: the date of the change (YYYY-MM-DD)."]
        reported_on = _date(row, "reported_on", errors) or today()
        now = today()
        if changed_on and changed_on > now:
            errors["changed_on"] = ["The change cannot be in the future."]
        if "reported_on" not in errors and reported_on > now:
            errors["reported_on"] = ["The report date cannot be in the future."]
        if (
            changed_on
            and not {"changed_on", "reported_on"} & set(errors)
            and reported_on < changed_on
        ):
            errors["reported_on"] = ["The report date must be on or after the date of the change."]
        details = row.get("details") or ""
        if not isinstance(details, str):
            errors["details"] = ["Must be text."]
        if errors:
            raise ValidationError(errors)
        return {
            "registration": registration,
            "kind": kind,
            "changed_on": changed_on,
            "reported_on": reported_on,
            "details": details.strip(),
        }

    def save_event(cleaned: dict[str, Any]) -> RegistrationEvent:
        registration: RegistrationRecord = cleaned["registration"]
        deadline = due_by(registration, cleaned["kind"], cleaned["changed_on"])
        event = RegistrationEvent.objects.create(
            registration=registration,
            case=registration.case,
            kind=cleaned["kind"],
            changed_on=cleaned["changed_on"],
            reported_on=cleaned["reported_on"],
            due_by=deadline,
            late=deadline is not None and cleaned["reported_on"] > deadline,
            details=cleaned["details"],
            recorded_by=staff,
        )
        ensure_in_scope(user, event, "add")
        bump_case_version(registration.case)
        audit.record(
            user,
            AuditAction.CREATE,
            event,
            changes={
                "after": snapshot(event, ("kind", "changed_on", "reported_on", "due_by", "late"))
            },
        )
        return event

    importer = BulkImporter(validate_event, save_event, prepare=prepare)
    importer.not_found_field = "registration"
    return importer


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
    """Bulk import of registration events (late when reported after the window)."""

    serializer_class = RegistrationEventRowSerializer  # the row shape (OPTIONS, docs)

    def get_importer(self) -> BulkImporter:
        return registration_event_importer(self.request)

    @bulk_schema(
        RegistrationEventRowSerializer,
        EVENT_ROWS,
        EVENT_CSV,
        "Record many registration events at once (JSON array or text/csv). Changes of name, "
        "residence, employment or school reported more than 3 business days after the change "
        "are marked late. All rows saved, or none and every failing row reported.",
    )
    def create(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        return super().create(request, *args, **kwargs)
