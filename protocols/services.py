"""State changes for protocols and standards, and the acknowledgment query for the alert engine.

Every change validates (ValidationError naming the field), writes in one transaction and is
audited with before/after snapshots. `user=None` means a system job (the `load_standards`
command); every other caller must pass the signed-in user, whose rights are checked here too.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, F, Func, OuterRef, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from agencies.choices import Role
from agencies.models import Agency, StaffMember
from agencies.querysets import staff_of
from protocols.choices import VersionStatus
from protocols.kinds import kind_for_model
from protocols.models import (
    Acknowledgment,
    Holiday,
    ProtectedSite,
    Protocol,
    ProtocolVersion,
    SpecialCondition,
    Standard,
)
from protocols.rules import can_edit_standards
from sartcm import audit
from sartcm.models import AuditAction

S = TypeVar("S", bound=Standard)


# --------------------------------------------------------------------------- helpers


def snapshot(obj: models.Model) -> dict[str, Any]:
    """The row's concrete field values, JSON-friendly (for audit before/after)."""
    data: dict[str, Any] = {}
    for field in obj._meta.concrete_fields:
        value = getattr(obj, field.attname)
        if isinstance(value, date):
            value = value.isoformat()
        elif isinstance(value, Decimal):
            value = str(value)
        elif hasattr(value, "name") and isinstance(field, models.FileField):
            value = value.name or ""
        data[field.attname] = value
    return data


def check_not_backdated(field: str, day: date | None, user: Any) -> None:
    """Editors cannot change the past: a due date computed for last March must keep using
    last March's standard. (System jobs — user None — load history.)"""
    if user is not None and day is not None and day < timezone.localdate():
        raise ValidationError(
            {field: ["Must be today or later: standards are not changed for dates already past."]}
        )


def _require_editor(user: Any) -> None:
    if user is not None and not can_edit_standards(user):
        raise PermissionDenied("Only agency administrators and supervisors may change this.")


# Which field a database constraint is about, so its message lands next to that field.
_CONSTRAINT_FIELDS: dict[str, str] = {
    "protocols_contactstandard_count_positive": "count",
    "protocols_contactstandard_period_positive": "period_days",
    "protocols_registrationschedule_interval_positive": "interval",
    "protocols_reassessmentinterval_positive": "interval_days",
    "protocols_checklistitem_text_required": "text",
    "protocols_residencerestrictionrule_distance_positive": "distance_feet",
    "protocols_specialcondition_unique_code_version": "version",
    "protocols_holiday_unique_date": "date",
    "protocols_protocol_unique_title": "title",
    "protocols_protocolversion_unique_number": "number",
    "protocols_protocolversion_adopted_has_date": "effective_from",
}


def constraint_field(name: str) -> str:
    """The form field a named constraint guards (overlaps → effective_from)."""
    if name.endswith("_no_overlap"):
        return "effective_from"
    if name.endswith("_period_order"):
        return "effective_to"
    return _CONSTRAINT_FIELDS.get(name, NON_FIELD_ERRORS)


def _constraint_message(model: type[models.Model], name: str) -> str:
    for constraint in model._meta.constraints:
        if constraint.name == name:
            return str(constraint.violation_error_message)
    return "This change conflicts with another record."


def validate_row(obj: models.Model, skip_overlap: bool = False) -> None:
    """Field validation plus every model constraint, each error named by its field.

    Django reports constraint failures as non-field errors; editors need them next to the
    field (e.g. "count must be at least 1." on count, overlaps on effective_from).
    `skip_overlap`: leave the period-overlap check out (previewing a supersede).
    """
    errors: dict[str, list[str]] = {}
    try:
        obj.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    start, end = getattr(obj, "effective_from", None), getattr(obj, "effective_to", None)
    # An inverted or missing period cannot be tested for overlap (PostgreSQL refuses the range).
    unrangeable = start is None or (end is not None and end <= start)
    for constraint in obj._meta.constraints:
        if constraint.name.endswith("_no_overlap") and (skip_overlap or unrangeable):
            continue  # a supersede preview closes the current row only on save
        try:
            constraint.validate(type(obj), obj)
        except ValidationError as exc:
            field = constraint_field(constraint.name)
            # A clear constraint message replaces Django's generic "cannot be blank".
            generic = {"This field cannot be blank.", "This field cannot be null."}
            kept = [m for m in errors.get(field, []) if m not in generic]
            errors[field] = kept + [m for m in exc.messages if m not in kept]
    if errors:
        raise ValidationError(errors)


def save_row(obj: models.Model) -> None:
    """Save inside a savepoint; a constraint the database refuses (e.g. a concurrent
    overlapping period) becomes a ValidationError naming the field."""
    try:
        with transaction.atomic():
            obj.save()
    except IntegrityError as exc:
        name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or ""
        field = constraint_field(name)
        raise ValidationError({field: [_constraint_message(type(obj), name)]})


# --------------------------------------------------------------------------- protocols


def create_protocol(
    user: Any,
    *,
    area: str,
    title: str,
    summary: str = "",
    applies_to_roles: list[str] | tuple[str, ...] = (),
    owner_agency: Agency | None = None,
) -> Protocol:
    """Start a protocol (no text yet: add a draft version). Owned by the author's agency."""
    _require_editor(user)
    staff = staff_of(user)
    if owner_agency is None and staff is not None:
        owner_agency = staff.agency
    protocol = Protocol(
        area=area,
        title=title.strip(),
        summary=summary,
        applies_to_roles=_valid_roles(applies_to_roles),
        owner_agency=owner_agency,
    )
    with transaction.atomic():
        validate_row(protocol)
        save_row(protocol)
        audit.record(user, AuditAction.CREATE, protocol, changes={"after": snapshot(protocol)})
    return protocol


def update_protocol(protocol: Protocol, user: Any, **values: Any) -> Protocol:
    """Change a protocol's title, area, summary or the roles that must acknowledge it."""
    _require_editor(user)
    allowed = {"area", "title", "summary", "applies_to_roles"}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in unknown})
    with transaction.atomic():
        locked = Protocol.objects.select_for_update().get(pk=protocol.pk)
        before = snapshot(locked)
        if "applies_to_roles" in values:
            values["applies_to_roles"] = _valid_roles(values["applies_to_roles"])
        for name, value in values.items():
            setattr(locked, name, value)
        validate_row(locked)
        save_row(locked)
        audit.record(
            user, AuditAction.CHANGE, locked, changes={"before": before, "after": snapshot(locked)}
        )
    return locked


def _valid_roles(roles: Any) -> list[str]:
    roles = list(roles or [])
    bad = [role for role in roles if role not in Role.values]
    if bad:
        raise ValidationError(
            {"applies_to_roles": [f"Unknown role(s): {', '.join(map(str, bad))}."]}
        )
    return sorted(set(roles))


def create_version(
    protocol: Protocol,
    user: Any,
    *,
    body: str,
    change_summary: str = "",
    acknowledge_within_days: int = 30,
    effective_from: date | None = None,
) -> ProtocolVersion:
    """Add a draft version with the next number."""
    _require_editor(user)
    if not (body or "").strip():
        raise ValidationError({"body": ["A version needs text."]})
    with transaction.atomic():
        Protocol.objects.select_for_update().filter(pk=protocol.pk).first()
        last = protocol.versions.aggregate(n=models.Max("number"))["n"] or 0
        version = ProtocolVersion(
            protocol=protocol,
            number=last + 1,
            body=body,
            change_summary=change_summary,
            acknowledge_within_days=acknowledge_within_days,
            effective_from=effective_from,
            status=VersionStatus.DRAFT,
            created_by=user if getattr(user, "is_authenticated", False) else None,
        )
        validate_row(version)
        save_row(version)
        audit.record(user, AuditAction.CREATE, version, changes={"after": snapshot(version)})
    return version


def update_draft(version: ProtocolVersion, user: Any, **values: Any) -> ProtocolVersion:
    """Edit a draft. Adopted and retired text never changes: write a new version instead."""
    _require_editor(user)
    allowed = {"body", "change_summary", "acknowledge_within_days", "effective_from"}
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValidationError({name: ["This field cannot be changed here."] for name in unknown})
    with transaction.atomic():
        locked = ProtocolVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != VersionStatus.DRAFT:
            raise ValidationError(
                {"status": ["Only a draft can be edited; adopted text is kept as adopted."]}
            )
        before = snapshot(locked)
        for name, value in values.items():
            setattr(locked, name, value)
        if not (locked.body or "").strip():
            raise ValidationError({"body": ["A version needs text."]})
        validate_row(locked)
        save_row(locked)
        audit.record(
            user, AuditAction.CHANGE, locked, changes={"before": before, "after": snapshot(locked)}
        )
    return locked


def adopt_version(version: ProtocolVersion, user: Any, effective_from: date) -> ProtocolVersion:
    """Adopt a draft: it becomes the version in force from `effective_from`; the version
    adopted before it is retired, and the adopting user's agency joins its adopting agencies.
    """
    _require_editor(user)
    if effective_from is None:
        raise ValidationError({"effective_from": ["An adopted version needs an effective date."]})
    with transaction.atomic():
        # Lock every version of the protocol so two adoptions cannot both win.
        versions = list(
            ProtocolVersion.objects.select_for_update().filter(protocol_id=version.protocol_id)
        )
        locked = next(v for v in versions if v.pk == version.pk)
        if locked.status != VersionStatus.DRAFT:
            raise ValidationError(
                {"status": [f"Only a draft can be adopted; this version is {locked.status}."]}
            )
        previous = [v for v in versions if v.status == VersionStatus.ADOPTED]
        for old in previous:
            if effective_from < old.effective_from:
                raise ValidationError(
                    {
                        "effective_from": [
                            f"Must be on or after {old.effective_from:%Y-%m-%d}, when "
                            f"version {old.number} took effect."
                        ]
                    }
                )
        for old in previous:
            before = snapshot(old)
            old.status = VersionStatus.RETIRED
            old.save(update_fields=["status"])
            audit.record(
                user,
                AuditAction.CHANGE,
                old,
                changes={"before": before, "after": snapshot(old)},
                detail=f"retired by adoption of version {locked.number}",
            )
        before = snapshot(locked)
        locked.status = VersionStatus.ADOPTED
        locked.effective_from = effective_from
        locked.adopted_at = timezone.now()
        validate_row(locked)
        save_row(locked)
        staff = staff_of(user)
        if staff is not None:
            locked.adopting_agencies.add(staff.agency)
        audit.record(
            user,
            AuditAction.CHANGE,
            locked,
            changes={"before": before, "after": snapshot(locked)},
            detail="adopted",
        )
    return locked


def join_adoption(version: ProtocolVersion, user: Any) -> ProtocolVersion:
    """The user's agency adopts an already adopted version (its staff must then acknowledge)."""
    _require_editor(user)
    staff = staff_of(user)
    if staff is None:
        raise ValidationError({NON_FIELD_ERRORS: ["Only agency staff adopt for an agency."]})
    with transaction.atomic():
        locked = ProtocolVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != VersionStatus.ADOPTED:
            raise ValidationError({"status": ["Only the adopted version can be joined."]})
        locked.adopting_agencies.add(staff.agency)
        audit.record(
            user,
            AuditAction.CHANGE,
            locked,
            changes={"adopting_agencies": {"added": [staff.agency_id]}},
            detail=f"{staff.agency.short_name} adopted",
        )
    return locked


def retire_version(version: ProtocolVersion, user: Any) -> ProtocolVersion:
    """Withdraw the adopted version (or abandon a draft) without a successor."""
    _require_editor(user)
    with transaction.atomic():
        locked = ProtocolVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status == VersionStatus.RETIRED:
            raise ValidationError({"status": ["This version is already retired."]})
        before = snapshot(locked)
        locked.status = VersionStatus.RETIRED
        locked.save(update_fields=["status"])
        audit.record(
            user, AuditAction.CHANGE, locked, changes={"before": before, "after": snapshot(locked)}
        )
    return locked


def version_in_force(protocol: Protocol, on: date) -> ProtocolVersion | None:
    """The version that governed on `on`: the latest adopted (or since retired) version
    whose effective date is on or before `on`."""
    return (
        protocol.versions.filter(
            status__in=[VersionStatus.ADOPTED, VersionStatus.RETIRED], effective_from__lte=on
        )
        .exclude(adopted_at__isnull=True)
        .order_by("-effective_from", "-number")
        .first()
    )


def must_acknowledge(staff: StaffMember, version: ProtocolVersion) -> bool:
    """Staff acknowledge an adopted version when their agency adopted it and one of their
    roles is among the protocol's `applies_to_roles`."""
    return (
        version.status == VersionStatus.ADOPTED
        and bool(set(staff.roles) & set(version.protocol.applies_to_roles or []))
        and version.adopting_agencies.filter(pk=staff.agency_id).exists()
    )


def acknowledge(version: ProtocolVersion, user: Any) -> Acknowledgment:
    """The signed-in staff member acknowledges an adopted version (idempotent)."""
    staff = staff_of(user)
    if staff is None:
        raise PermissionDenied("Only agency staff acknowledge protocols.")
    with transaction.atomic():
        locked = ProtocolVersion.objects.select_for_update().get(pk=version.pk)
        if locked.status != VersionStatus.ADOPTED:
            raise ValidationError(
                {"version": ["Only the adopted version of a protocol can be acknowledged."]}
            )
        ack, created = Acknowledgment.objects.get_or_create(staff=staff, version=locked)
        if created:
            audit.record(user, AuditAction.CREATE, ack, detail=f"acknowledged {locked}")
    return ack


class _JsonbTextArray(Func):
    """jsonb list of strings → text[] (Protocol.applies_to_roles vs StaffMember.roles)."""

    template = "ARRAY(SELECT jsonb_array_elements_text(%(expressions)s))"

    def __init__(self, expression: Any) -> None:
        from django.contrib.postgres.fields import ArrayField

        super().__init__(expression, output_field=ArrayField(models.CharField(max_length=32)))


class _DatePlusDays(Func):
    """date + integer days (PostgreSQL date arithmetic)."""

    arg_joiner = " + "
    template = "(%(expressions)s)"
    output_field = models.DateField()


def unacknowledged(on: date) -> QuerySet:
    """Who has not acknowledged the adopted version that applies to them, as of `on`.

    One SQL query; rows are dicts {staff_id, agency_id, version_id, protocol_id, due_date} with
    due_date = adopted_at's date + acknowledge_within_days. A staff member owes an
    acknowledgment when they are active, their agency adopted the version (on or before
    `on`), and one of their roles is in the protocol's applies_to_roles. For the alert engine
    (rule `protocol_unacknowledged`) and the "not yet acknowledged" page; the caller decides
    what is overdue (due_date < on).
    """
    version = "agency__adopted_protocols"
    acknowledged = Acknowledgment.objects.filter(
        staff_id=OuterRef("pk"),
        version_id=OuterRef("version_id"),
        acknowledged_at__date__lte=on,
    )
    return (
        StaffMember.objects.active()
        .filter(
            agency__active=True,
            **{
                f"{version}__status": VersionStatus.ADOPTED,
                f"{version}__adopted_at__date__lte": on,
            },
        )
        .annotate(
            version_id=F(f"{version}__id"),
            protocol_id=F(f"{version}__protocol_id"),
            applies_to=_JsonbTextArray(F(f"{version}__protocol__applies_to_roles")),
            due_date=_DatePlusDays(
                TruncDate(f"{version}__adopted_at"), F(f"{version}__acknowledge_within_days")
            ),
        )
        .filter(roles__overlap=F("applies_to"))
        .filter(~Exists(acknowledged))
        .order_by("due_date", "pk")
        .values("version_id", "protocol_id", "due_date", "agency_id", staff_id=F("pk"))
    )


# --------------------------------------------------------------------------- standards


def create_standard(model: type[S], values: dict[str, Any], user: Any) -> S:
    """Create a new standard (one with no earlier version), e.g. a jurisdiction's own rule."""
    _require_editor(user)
    kind = kind_for_model(model)
    allowed = set(kind.create_fields) | ({"version"} if model is SpecialCondition else set())
    unknown = sorted(set(values) - allowed)
    if unknown:
        raise ValidationError({name: ["Not a field of this standard."] for name in unknown})
    if "effective_from" not in values or values["effective_from"] is None:
        raise ValidationError({"effective_from": ["The date this standard takes effect."]})
    check_not_backdated("effective_from", values["effective_from"], user)
    row = model(**values)
    if isinstance(row, SpecialCondition) and "version" not in values:
        row.version = _next_condition_version(row.code)
    with transaction.atomic():
        validate_row(row)
        save_row(row)
        audit.record(user, AuditAction.CREATE, row, changes={"after": snapshot(row)})
    return row


def _next_condition_version(code: str) -> int:
    last = SpecialCondition.objects.filter(code=code).aggregate(n=models.Max("version"))["n"]
    return (last or 0) + 1


def proposed_version(standard: S, new_values: dict[str, Any], effective_from: date) -> S:
    """The unsaved row `supersede` would create (also what a change preview is shown)."""
    kind = kind_for_model(type(standard))
    keys = sorted(set(new_values) & set(kind.key_fields))
    if keys:
        raise ValidationError(
            {
                name: [
                    "This identifies the standard and cannot change in a new version; "
                    "create a separate standard instead."
                ]
                for name in keys
            }
        )
    unknown = sorted(set(new_values) - set(kind.editable_fields))
    if unknown:
        raise ValidationError({name: ["Not a field of this standard."] for name in unknown})
    proposed = type(standard)()
    for field in standard._meta.concrete_fields:
        if field.primary_key:
            continue
        setattr(proposed, field.attname, getattr(standard, field.attname))
    proposed.note = ""
    for name, value in new_values.items():
        setattr(proposed, name, value)
    proposed.effective_from = effective_from
    proposed.effective_to = standard.effective_to
    return proposed


def supersede(standard: S, new_values: dict[str, Any], effective_from: date, user: Any) -> S:
    """Replace a standard from `effective_from`: the current row's period ends there
    (effective_to = effective_from, exclusive) and a new row with `new_values` starts, in one
    transaction. Earlier dates keep using the old row. Returns the new row.
    """
    _require_editor(user)
    model = type(standard)
    if effective_from is None:
        raise ValidationError({"effective_from": ["The date the new version takes effect."]})
    check_not_backdated("effective_from", effective_from, user)
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=standard.pk)
        if effective_from <= current.effective_from:
            raise ValidationError(
                {
                    "effective_from": [
                        f"Must be after {current.effective_from:%Y-%m-%d}, when the version "
                        "being replaced took effect."
                    ]
                }
            )
        if current.effective_to is not None and effective_from >= current.effective_to:
            raise ValidationError(
                {
                    "effective_from": [
                        f"This version already ended on {current.effective_to:%Y-%m-%d}; "
                        "change the version in force on that date instead."
                    ]
                }
            )
        new = proposed_version(current, new_values, effective_from)
        kind = kind_for_model(model)
        if all(
            getattr(new, model._meta.get_field(name).attname)
            == getattr(current, model._meta.get_field(name).attname)
            for name in kind.value_fields
        ):
            raise ValidationError(
                {NON_FIELD_ERRORS: ["Nothing changed: the new version equals the current one."]}
            )
        if isinstance(new, SpecialCondition):
            new.version = _next_condition_version(new.code)
        before = snapshot(current)
        current.effective_to = effective_from
        validate_row(current)
        save_row(current)
        validate_row(new)
        save_row(new)
        audit.record(
            user,
            AuditAction.CHANGE,
            current,
            changes={"before": before, "after": snapshot(current)},
            detail=f"superseded from {effective_from:%Y-%m-%d}",
        )
        audit.record(
            user,
            AuditAction.CREATE,
            new,
            changes={"before": before, "after": snapshot(new)},
            detail=f"new version of {model._meta.verbose_name} #{current.pk}",
        )
    return new


def end_standard(standard: S, effective_to: date, user: Any) -> S:
    """Stop a standard on `effective_to` (exclusive) without a successor."""
    _require_editor(user)
    check_not_backdated("effective_to", effective_to, user)
    model = type(standard)
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=standard.pk)
        before = snapshot(current)
        current.effective_to = effective_to
        validate_row(current)
        save_row(current)
        audit.record(
            user,
            AuditAction.CHANGE,
            current,
            changes={"before": before, "after": snapshot(current)},
            detail=f"ended on {effective_to:%Y-%m-%d}",
        )
    return current


# --------------------------------------------------------------------------- reference rows


def add_holiday(user: Any, *, day: date, name: str, jurisdiction: str = "") -> Holiday:
    """Add a non-business day to the holiday calendar."""
    _require_editor(user)
    holiday = Holiday(jurisdiction=jurisdiction, date=day, name=name)
    with transaction.atomic():
        validate_row(holiday)
        save_row(holiday)
        audit.record(user, AuditAction.CREATE, holiday, changes={"after": snapshot(holiday)})
    return holiday


def remove_holiday(holiday: Holiday, user: Any) -> None:
    """Remove a day from the holiday calendar."""
    _require_editor(user)
    with transaction.atomic():
        audit.record(user, AuditAction.DELETE, holiday, changes={"before": snapshot(holiday)})
        holiday.delete()


def save_protected_site(
    user: Any, values: dict[str, Any], site: ProtectedSite | None = None
) -> ProtectedSite:
    """Add or change a protected site (school, childcare, park) used by residence checks."""
    _require_editor(user)
    with transaction.atomic():
        if site is None:
            site, before = ProtectedSite(), None
        else:
            site = ProtectedSite.objects.select_for_update().get(pk=site.pk)
            before = snapshot(site)
        for name, value in values.items():
            setattr(site, name, value)
        validate_row(site)
        save_row(site)
        audit.record(
            user,
            AuditAction.CREATE if before is None else AuditAction.CHANGE,
            site,
            changes={"before": before or {}, "after": snapshot(site)},
        )
    return site


def remove_protected_site(site: ProtectedSite, user: Any) -> None:
    """Remove a protected site."""
    _require_editor(user)
    with transaction.atomic():
        audit.record(user, AuditAction.DELETE, site, changes={"before": snapshot(site)})
        site.delete()


__all__ = [
    "acknowledge",
    "add_holiday",
    "adopt_version",
    "can_edit_standards",
    "create_protocol",
    "create_standard",
    "create_version",
    "end_standard",
    "join_adoption",
    "must_acknowledge",
    "proposed_version",
    "remove_holiday",
    "remove_protected_site",
    "retire_version",
    "save_protected_site",
    "snapshot",
    "supersede",
    "unacknowledged",
    "update_draft",
    "update_protocol",
    "validate_row",
    "version_in_force",
]
