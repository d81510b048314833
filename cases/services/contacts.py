"""Supervision contacts: logging and correcting contacts (state changes go through here).

Every function validates (ValidationError naming the field and what is valid), writes in one
transaction, re-checks that the result is inside the caller's scope, bumps the case's version
(optimistic concurrency) and writes the audit record in the same transaction. Logging a contact
queues the `contact.logged` webhook in that transaction (`cases.webhooks`; in a bulk import, once
for the whole batch).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F
from django.http import Http404
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from agencies.choices import RecordType
from cases import webhooks
from cases.choices import CaseStatus, ContactOutcome, ContactType
from cases.models import Case, SupervisionContact
from sartcm import audit
from sartcm.models import AuditAction, WebhookEvent

# Phones and servers disagree by a little: a contact up to this far "in the future" is accepted.
CLOCK_SKEW = timedelta(minutes=5)

CONTACT_FIELDS = ("contact_at", "contact_type", "face_to_face", "location", "outcome", "notes")
CLOSED_STATUSES = frozenset({CaseStatus.DISCHARGED, CaseStatus.DECEASED})


def snapshot(
    obj: models.Model, fields: Iterable[str], redact: Iterable[str] = ()
) -> dict[str, Any]:
    """JSON-safe field values for the audit trail; `redact`ed text fields keep only a length."""
    result: dict[str, Any] = {}
    hidden = set(redact)
    for name in fields:
        value = getattr(obj, name)
        if name in hidden:
            value = f"[{len(value or '')} characters]"
        elif isinstance(value, models.Model):
            value = value.pk
        elif isinstance(value, date | datetime):
            value = value.isoformat()
        result[name] = value
    return result


def bump_case_version(case: Case) -> None:
    """Increase the case's version in SQL (never read-modify-write), and mirror it in memory."""
    Case.objects.filter(pk=case.pk).update(version=F("version") + 1, updated_at=timezone.now())
    case.version = Case.objects.filter(pk=case.pk).values_list("version", flat=True).get()


def ensure_in_scope(user: Any, obj: models.Model, action: str) -> None:
    """After a write, inside its transaction: the row must be within restrict(user, action),
    else 404 (which rolls the transaction back)."""
    if not type(obj).objects.restrict(user, action).filter(pk=obj.pk).exists():
        raise Http404


def _choice(value: Any, choices: type[models.TextChoices], field: str, errors: dict) -> str:
    if value in choices.values:
        return str(value)
    valid = ", ".join(choices.values)
    errors[field] = f"Choose one of: {valid}."
    return ""


def _bool(value: Any, field: str, errors: dict) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", "on", "off"}:
        return value.lower() in {"true", "1", "on"}
    errors[field] = "Must be true or false."
    return False


def _contact_at(value: Any, errors: dict, now: datetime) -> datetime | None:
    if value in (None, ""):
        return now
    if isinstance(value, str):
        try:
            parsed = parse_datetime(value)
        except ValueError:  # well-formed but impossible, e.g. 12:99
            parsed = None
        if parsed is None:
            errors["contact_at"] = "Enter a date and time, e.g. 2026-03-01T14:30."
            return None
        value = parsed
    if not isinstance(value, datetime):
        errors["contact_at"] = "Enter a date and time, e.g. 2026-03-01T14:30."
        return None
    if timezone.is_naive(value):
        value = timezone.make_aware(value)
    if value > now + CLOCK_SKEW:
        errors["contact_at"] = (
            "contact_at is in the future: a contact can only be logged once it has happened "
            f"(now is {timezone.localtime(now):%Y-%m-%d %H:%M})."
        )
    return value


def clean_contact(data: Mapping[str, Any], *, partial: bool = False) -> dict[str, Any]:
    """Validate contact data; returns the cleaned values. Raises ValidationError({field: msg})."""
    errors: dict[str, str] = {}
    now = timezone.now()
    cleaned: dict[str, Any] = {}
    unknown = sorted(set(data) - set(CONTACT_FIELDS))
    if unknown:
        errors.update({name: "Not a field of a supervision contact." for name in unknown})
    if not partial or "contact_type" in data:
        if data.get("contact_type") in (None, ""):
            errors["contact_type"] = "Choose the kind of contact: " + ", ".join(ContactType.values)
        else:
            cleaned["contact_type"] = _choice(
                data["contact_type"], ContactType, "contact_type", errors
            )
    if not partial or "contact_at" in data:
        cleaned["contact_at"] = _contact_at(data.get("contact_at"), errors, now)
    if not partial or "outcome" in data:
        cleaned["outcome"] = _choice(
            data.get("outcome") or ContactOutcome.COMPLETED, ContactOutcome, "outcome", errors
        )
    if not partial or "face_to_face" in data:
        value = data.get("face_to_face", True)
        cleaned["face_to_face"] = _bool(value, "face_to_face", errors)
    for name, limit in (("location", 200), ("notes", None)):
        if not partial or name in data:
            value = data.get(name) or ""
            if not isinstance(value, str):
                errors[name] = "Must be text."
            elif limit and len(value) > limit:
                errors[name] = f"At most {limit} characters (this has {len(value)})."
            cleaned[name] = value.strip() if isinstance(value, str) else ""
    if errors:
        raise ValidationError(errors)
    return cleaned


def log_contact(case: Case, officer: Any, data: Mapping[str, Any], user: Any) -> SupervisionContact:
    """Log a supervision contact on `case` by `officer` (a StaffMember, usually the user's own).

    `data`: contact_type (required), contact_at (default now; refused if later than now plus
    5 minutes of clock skew), face_to_face (default true), location, outcome (default
    completed), notes. One transaction: insert, scope re-check, case version bump, audit.
    Concurrent calls on the same case each insert their own row (nothing is lost); the version
    bump is a single UPDATE ... SET version = version + 1.
    """
    cleaned = clean_contact(data)
    if case.status in CLOSED_STATUSES:
        raise ValidationError(
            {"case": f"Contacts can only be logged on open cases (this case is {case.status})."}
        )
    with transaction.atomic():
        contact = SupervisionContact.objects.create(case=case, officer=officer, **cleaned)
        ensure_in_scope(user, contact, "add")
        bump_case_version(case)
        audit.record(
            user,
            AuditAction.CREATE,
            contact,
            changes={"after": snapshot(contact, (*CONTACT_FIELDS, "officer"))},
        )
        webhooks.queue(WebhookEvent.CONTACT_LOGGED, RecordType.CONTACTS, [contact_notice(contact)])
    return contact


def contact_notice(contact: SupervisionContact) -> webhooks.Notice:
    """The `contact.logged` webhook of a contact: its id and case for every agency that may see
    contacts on the case; its fields as far as the agency's allow-list goes."""
    fields = {name: getattr(contact, name) for name in CONTACT_FIELDS}
    fields["officer_name"] = contact.officer.full_name if contact.officer else ""
    return webhooks.Notice(
        contact.case_id, {"contact": contact.pk, "case": contact.case_id}, fields
    )


def update_contact(
    contact: SupervisionContact, data: Mapping[str, Any], user: Any
) -> SupervisionContact:
    """Correct a logged contact (only the fields in `data`), with the same rules as logging."""
    cleaned = clean_contact(data, partial=True)
    with transaction.atomic():
        locked = SupervisionContact.objects.select_for_update().get(pk=contact.pk)
        before = snapshot(locked, cleaned)
        for name, value in cleaned.items():
            setattr(locked, name, value)
        locked.save(update_fields=[*cleaned, "updated_at"])
        ensure_in_scope(user, locked, "change")
        bump_case_version(locked.case)
        audit.record(
            user,
            AuditAction.CHANGE,
            locked,
            changes={"before": before, "after": snapshot(locked, cleaned)},
        )
    return locked


def delete_contact(contact: SupervisionContact, user: Any) -> None:
    """Delete a contact logged in error. Only the case's lead agency may (a partner corrects a
    contact, never removes it). One transaction: lock, audit with the deleted values, delete
    (which leaves sync tombstones for every agency that could see it), case version bump."""
    from agencies.querysets import staff_of

    with transaction.atomic():
        locked = (
            SupervisionContact.objects.select_for_update(of=("self",))
            .select_related("case")
            .get(pk=contact.pk)
        )
        staff = staff_of(user)
        if not user.is_superuser and (
            staff is None or staff.agency_id != locked.case.lead_agency_id
        ):
            raise PermissionDenied(
                "Only the case's lead agency can delete a contact; correct it with PATCH instead."
            )
        audit.record(
            user,
            AuditAction.DELETE,
            locked,
            changes={"before": snapshot(locked, (*CONTACT_FIELDS, "officer"))},
        )
        case = locked.case
        locked.delete()
        bump_case_version(case)
