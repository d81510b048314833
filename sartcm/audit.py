"""Writing the audit trail. Call inside the transaction of what is recorded (convention 9)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models

from sartcm.context import current
from sartcm.models import AuditAction, AuditEvent, AuditOutcome


def _agency_id(user: Any) -> int | None:
    staff = getattr(user, "staff", None) if user is not None else None
    try:
        return staff.agency_id if staff is not None else None
    except Exception:  # noqa: BLE001 - a user without a staff row has no agency
        return None


def record(
    user: Any,
    action: str,
    obj: models.Model | None = None,
    *,
    case_id: int | None = None,
    outcome: str = AuditOutcome.SUCCESS,
    fields: Iterable[str] = (),
    changes: dict | None = None,
    detail: str = "",
    recipient_agency_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
) -> AuditEvent:
    ctx = current()
    authenticated = user is not None and getattr(user, "is_authenticated", False)
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        if case_id is None:
            case_id = getattr(obj, "case_id", None)
    return AuditEvent.objects.create(
        request_id=ctx.request_id,
        user=user if authenticated else None,
        username=getattr(user, "username", "") if authenticated else "",
        agency_id=_agency_id(user) if authenticated else None,
        action=action,
        outcome=outcome,
        channel=ctx.channel,
        object_type=object_type,
        object_id=object_id,
        object_repr=str(obj)[:200] if obj is not None else "",
        case_id=case_id,
        recipient_agency_id=recipient_agency_id,
        fields=sorted(fields),
        changes=changes or {},
        detail=detail,
        source_address=ctx.source_address,
    )


def record_reads(
    user: Any, action: str, objects: Iterable[models.Model], fields: Iterable[str] = ()
) -> None:
    """One audit row per object read (set-based insert), e.g. the rows of a list page."""
    ctx = current()
    agency_id = _agency_id(user)
    field_list = sorted(fields)
    rows = [
        AuditEvent(
            request_id=ctx.request_id,
            user=user,
            username=user.username,
            agency_id=agency_id,
            action=action,
            channel=ctx.channel,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            object_repr=str(obj)[:200],
            case_id=getattr(obj, "case_id", None) if obj._meta.model_name != "case" else obj.pk,
            fields=field_list,
            source_address=ctx.source_address,
        )
        for obj in objects
    ]
    AuditEvent.objects.bulk_create(rows)


__all__ = ["AuditAction", "AuditOutcome", "record", "record_reads"]
