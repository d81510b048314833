"""Writing the audit trail. Call inside the transaction of what is recorded (convention 9)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import models

from sartcm.context import current
from sartcm.models import AuditAction, AuditEvent, AuditOutcome

# case id -> lead agency id, for disseminations; set by the cases app at start-up so the
# framework stays free of domain imports.
CaseOwnerLookup = Callable[[Iterable[int]], dict[int, int]]
_case_owner_lookup: CaseOwnerLookup | None = None


def set_case_owner_lookup(lookup: CaseOwnerLookup) -> None:
    global _case_owner_lookup
    _case_owner_lookup = lookup


def case_id_of(obj: Any) -> int | None:
    """The case an object belongs to (a case is its own case)."""
    if obj._meta.model_name == "case" and obj._meta.app_label == "cases":
        return obj.pk
    return getattr(obj, "case_id", None)


def object_repr(obj: Any) -> str:
    """How an object is named in the trail. Case data is named by type and id (and case number)
    only: str() of a case names the offender, and the trail is read by people (a partner's
    auditor) who may not be allowed to see identity."""
    if getattr(obj, "RECORD_TYPE", None):
        number = getattr(obj, "case_number", None)
        return f"{obj._meta.verbose_name} {number or '#' + str(obj.pk)}"[:200]
    return str(obj)[:200]


def known_lead_agency(obj: Any) -> int | None:
    """The lead agency of the case `obj` belongs to, when it is already loaded (a case, or an
    object whose `case` was fetched with it); None when finding it would need a query."""
    if obj._meta.model_name == "case" and obj._meta.app_label == "cases":
        return obj.lead_agency_id
    try:
        field = obj._meta.get_field("case")
    except Exception:  # noqa: BLE001 - not under a case
        return None
    related = getattr(field, "related_model", None)
    if not field.concrete or related is None or related._meta.label_lower != "cases.case":
        return None
    if field.is_cached(obj):
        case = field.get_cached_value(obj)
        return case.lead_agency_id if case is not None else None
    return None


def page_cases(
    objects: Iterable[Any], audit_case_ids: Any
) -> tuple[list[list[int]], dict[int, int]]:
    """For a page of objects: the case ids each is disclosed through (`audit_case_ids(obj)`,
    None = its own case), and the lead agency of those cases the loaded rows already tell."""
    case_lists: list[list[int]] = []
    owners: dict[int, int] = {}
    for obj in objects:
        ids = audit_case_ids(obj)
        if ids is None:
            cid = case_id_of(obj)
            ids = [cid] if cid is not None else []
            if cid is not None and (lead := known_lead_agency(obj)) is not None:
                owners[cid] = lead
        case_lists.append(list(ids))
    return case_lists, owners


def _agency_id(user: Any) -> int | None:
    cached = getattr(user, "_sartcm_staff", False) if user is not None else False
    if cached is not False:  # staff_of() already loaded it for this request
        return cached.agency_id if cached is not None else None
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
    username: str = "",
) -> AuditEvent:
    """One audit row. `username` names the account tried when there is no user (failed logon)."""
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
        username=getattr(user, "username", "") if authenticated else username[:150],
        agency_id=_agency_id(user) if authenticated else None,
        action=action,
        outcome=outcome,
        channel=ctx.channel,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr(obj) if obj is not None else "",
        case_id=case_id,
        recipient_agency_id=recipient_agency_id,
        fields=sorted(fields),
        changes=changes or {},
        detail=detail,
        source_address=ctx.source_address,
    )


def record_reads(
    user: Any,
    action: str,
    objects: Iterable[models.Model],
    fields: Iterable[str] = (),
    *,
    fields_by_object: Sequence[Iterable[str]] | None = None,
) -> None:
    """One audit row per object read (set-based insert), e.g. the rows of a list page.

    `fields_by_object` (same order as `objects`) names the fields disclosed per object when
    they differ from row to row (field allow-lists depend on each row's case)."""
    _insert_rows(user, _read_rows(action, list(objects), fields, fields_by_object))


# One audit row of a page, as the columns that vary from row to row: action, object_type,
# object_id, object_repr, case_id, recipient_agency_id, fields, detail. The others (when, who,
# request, channel, source address) are the same for every row a request writes at once.
PageRow = tuple[str, str, str, str, int | None, int | None, list[str], str]


def _read_rows(
    action: str,
    objects: list[models.Model],
    fields: Iterable[str],
    fields_by_object: Sequence[Iterable[str]] | None,
) -> list[PageRow]:
    field_lists = (
        [sorted(f) for f in fields_by_object]
        if fields_by_object is not None
        else [sorted(fields)] * len(objects)
    )
    action = str(action)  # a plain str for the driver (AuditAction is a str enum)
    return [
        (
            action,
            obj._meta.label_lower,
            str(obj.pk),
            object_repr(obj),
            case_id_of(obj),
            None,
            field_list,
            "",
        )
        for obj, field_list in zip(objects, field_lists, strict=True)
    ]


# The rows of a page in one statement, one array parameter per varying column. Built with
# AuditEvent objects and bulk_create, Django adapted ≈17 values per row in Python: a page of
# 50 reads and 50 disseminations cost 11–18 ms, more than the page's query
# (docs/performance.md, 11). Same rows (tests/sartcm/test_audit_page_rows.py).
_INSERT_ROWS = """
INSERT INTO {table} (at, request_id, user_id, username, agency_id, outcome, channel, changes,
    source_address, action, object_type, object_id, object_repr, case_id, recipient_agency_id,
    fields, detail)
SELECT %s, %s::uuid, %s, %s, %s, %s, %s, '{{}}'::jsonb, %s::inet,
    r.action, r.object_type, r.object_id, r.object_repr, r.case_id, r.recipient_agency_id,
    r.fields::jsonb, r.detail
FROM unnest(%s::text[], %s::text[], %s::text[], %s::text[], %s::bigint[], %s::bigint[],
    %s::text[], %s::text[])
    AS r(action, object_type, object_id, object_repr, case_id, recipient_agency_id, fields,
         detail)
"""


def _insert_rows(user: Any, rows: list[PageRow]) -> None:
    """Write the audit rows of one (signed-in) reader, in one INSERT (order kept)."""
    if not rows:
        return
    from django.db import connection
    from django.utils import timezone

    ctx = current()
    actions, types, ids, reprs, cases, recipients, field_lists, details = zip(*rows, strict=True)
    with connection.cursor() as cursor:
        cursor.execute(
            _INSERT_ROWS.format(table=connection.ops.quote_name(AuditEvent._meta.db_table)),
            [
                timezone.now(),
                str(ctx.request_id) if ctx.request_id else None,
                user.pk,
                user.username,
                _agency_id(user),
                AuditOutcome.SUCCESS.value,
                ctx.channel,
                ctx.source_address or None,
                list(actions),
                list(types),
                list(ids),
                list(reprs),
                list(cases),
                list(recipients),
                [json.dumps(f) for f in field_lists],
                list(details),
            ],
        )


def record_disclosure(
    user: Any,
    action: str,
    objects: Iterable[models.Model],
    *,
    fields_by_object: Sequence[Iterable[str]],
    case_ids_by_object: Sequence[Iterable[int] | None] | None = None,
    known_owners: dict[int, int] | None = None,
) -> None:
    """record_reads + record_disseminations for a page or a record shown, in one insert."""
    objects = list(objects)
    _insert_rows(
        user,
        _read_rows(action, objects, (), fields_by_object)
        + _dissemination_rows(user, objects, fields_by_object, case_ids_by_object, known_owners),
    )


def record_disseminations(
    user: Any,
    objects: Iterable[models.Model],
    *,
    fields_by_object: Sequence[Iterable[str]] | None = None,
    case_ids_by_object: Sequence[Iterable[int] | None] | None = None,
    known_owners: dict[int, int] | None = None,
) -> int:
    """A DISSEMINATE row for each object read by an agency other than its case's lead agency
    (release of data to another agency, CJIS 5.4.1.1). Two queries whatever the number of
    objects. `case_ids_by_object` overrides the case(s) of each object (an offender belongs to
    the cases through which the reader sees it; None = its own case). `known_owners`: lead agency
    ids the caller already holds ({case id: lead agency id}, from rows it loaded); only the
    other cases are looked up (no query when it covers them all). Returns the number of rows
    written."""
    rows = _dissemination_rows(
        user, list(objects), fields_by_object, case_ids_by_object, known_owners
    )
    _insert_rows(user, rows)
    return len(rows)


def _dissemination_rows(
    user: Any,
    objects: list[models.Model],
    fields_by_object: Sequence[Iterable[str]] | None,
    case_ids_by_object: Sequence[Iterable[int] | None] | None,
    known_owners: dict[int, int] | None,
) -> list[PageRow]:
    agency_id = _agency_id(user)
    if not objects or agency_id is None or _case_owner_lookup is None:
        return []
    overrides = case_ids_by_object if case_ids_by_object is not None else [None] * len(objects)
    case_lists = [
        list(ids) if ids is not None else ([cid] if (cid := case_id_of(obj)) is not None else [])
        for obj, ids in zip(objects, overrides, strict=True)
    ]
    wanted = {cid for ids in case_lists for cid in ids}
    owners = {cid: owner for cid, owner in (known_owners or {}).items() if cid in wanted}
    if missing := wanted - owners.keys():
        owners.update(_case_owner_lookup(missing))
    field_lists = (
        [sorted(f) for f in fields_by_object]
        if fields_by_object is not None
        else [[] for _ in objects]
    )
    return [
        (
            AuditAction.DISSEMINATE.value,
            obj._meta.label_lower,
            str(obj.pk),
            object_repr(obj),
            cid,
            agency_id,
            field_list,
            f"disclosed to agency {agency_id}; lead agency {owners[cid]}",
        )
        for obj, ids, field_list in zip(objects, case_lists, field_lists, strict=True)
        for cid in ids
        if cid in owners and owners[cid] != agency_id
    ]


def record_refusal(user: Any, **kwargs: Any) -> None:
    """Audit a refused attempt (e.g. a write naming a field not shared).

    The refusal raises, which rolls back the surrounding transaction — and an audit row written
    in it. So during a request the row is queued on the request context and written once the
    transactions opened for the request are gone (API exception handler, end of request).
    Outside a request it is written at once.
    """
    from django.db import connection

    kwargs.setdefault("action", AuditAction.DENIED)
    kwargs.setdefault("outcome", AuditOutcome.DENIED)
    ctx = current()
    if ctx.in_request:
        ctx.pending_refusals.append((len(connection.atomic_blocks), user, kwargs))
    else:
        record(user, **kwargs)


def flush_refusals(*, final: bool = False) -> None:
    """Write queued refusals: all of them at the end of the request (`final`), else those
    whose transaction has been left by now."""
    from django.db import connection

    pending = current().pending_refusals
    depth = len(connection.atomic_blocks)
    for item in [item for item in pending if final or item[0] > depth]:
        pending.remove(item)
        record(item[1], **item[2])


__all__ = [
    "AuditAction",
    "AuditOutcome",
    "case_id_of",
    "record",
    "record_disseminations",
    "record_reads",
    "set_case_owner_lookup",
    "known_lead_agency",
    "record_disclosure",
    "page_cases",
]
