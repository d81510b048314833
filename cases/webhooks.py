"""Webhooks about records on cases: who hears an event, and what it carries.

An event about a record of `record_type` on a case is heard by every active subscription (of an
active agency) to the event whose agency may see that record type on the case on the day of the
change (`cases.access.agency_sees_field_sql`: the lead agency, or a partner with the view grant
and an in-force term covering the case), or, with `requires`, may see that one field. Its body
is what every hearer gets (ids, what happened) plus the record's shareable fields limited to the
agency's allow-list (`cases.access.agency_fields_sql`), so each agency reads only what its MOU
terms share — all in SQL (`case_queue_sql`), for a set-based change's own statement (the alert
sweep) as for changes made one by one (`queue`: one statement per change, or per batch).

Changes made one by one inside `batch()` (a bulk import) wait for the end of the batch and are
queued in one statement per event; nothing is queued when the batch fails.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from sartcm import webhooks


def case_queue_sql(
    event: str,
    record_type: str,
    *,
    source: str,
    case: str,
    body: Callable[[str], str],
    requires: str | None = None,
    routed_to: str | None = None,
) -> tuple[str, dict[str, Any]]:
    """INSERT ... SELECT ... RETURNING id queuing `event` for each row of `source` (a FROM item
    joining the case row as `case`) to the subscribed agencies (`ag`) that may see `record_type`
    (or its field `requires`) on that case on %(on)s. `body(allowed)` is the jsonb body, given
    the SQL text[] of the fields the receiving agency may see (use `webhooks.only_keys_sql`).
    `routed_to`: a SQL agency id over `source`, the only agency that may hear of the row (an
    alert's); a row with no case (LEFT JOIN) is then heard by it without the case test.
    Returns (sql, params); the caller adds `on`."""
    from cases.access import agency_fields_sql, agency_sees_field_sql

    visible, params = agency_sees_field_sql("ag", case, record_type, requires)
    if routed_to is not None:
        visible = f"(ag.id = {routed_to} AND ({case}.id IS NULL OR {visible}))"
    allowed, fields_params = agency_fields_sql("ag", case, record_type)
    sql = webhooks.queue_sql(event, source=source, body=body(allowed), visible=visible)
    return sql, {**params, **fields_params}


@dataclass(frozen=True)
class Notice:
    """One event about one record on case `case_id`: `keys` go to every agency that hears it,
    `fields` (shareable field name → value of the record type) only as far as the agency's
    allow-list goes."""

    case_id: int
    keys: dict[str, Any]
    fields: dict[str, Any]


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return webhooks.timestamp_json(value)  # as the bodies built in SQL write times
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def queue(
    event: str,
    record_type: str,
    notices: list[Notice],
    on: date | None = None,
    *,
    requires: str | None = None,
) -> int:
    """Queue `event` for each notice to the agencies that may see it on `on` (default today),
    in one statement inside the caller's transaction (`sartcm.webhooks.execute`). Inside
    `batch()` the notices wait for the end of the batch. Returns the number queued now."""
    on = on or timezone.localdate()
    pending = _batched.get()
    if pending is not None:
        pending.setdefault((event, record_type, requires, on), []).extend(notices)
        return 0
    if not notices:
        return 0
    from cases.models import Case

    queue_sql, params = case_queue_sql(
        event,
        record_type,
        source=f"""jsonb_array_elements(%(_notices)s::jsonb) n
                   JOIN {Case._meta.db_table} cs ON cs.id = (n->>'case_id')::bigint""",
        case="cs",
        body=lambda allowed: "(n->'keys') || " + webhooks.only_keys_sql("(n->'fields')", allowed),
        requires=requires,
    )
    rows = [{"case_id": n.case_id, "keys": n.keys, "fields": n.fields} for n in notices]
    params.update(on=on, _notices=json.dumps(rows, default=_json_default))
    return webhooks.execute(queue_sql, params)


# (event, record type, required field, day) → notices waiting for the end of the batch
_batched: ContextVar[dict[tuple[str, str, str | None, date], list[Notice]] | None] = ContextVar(
    "webhook_batch", default=None
)


@contextmanager
def batch() -> Iterator[None]:
    """Many changes in one transaction (a bulk import): their webhooks are queued when the
    batch ends — before the transaction commits — in one statement per event instead of one
    per change. Nothing is queued when the batch fails or its transaction is marked for
    rollback. Nested batches queue at the end of the outermost."""
    if _batched.get() is not None:
        yield
        return
    pending: dict[tuple[str, str, str | None, date], list[Notice]] = {}
    token = _batched.set(pending)
    try:
        yield
    finally:
        _batched.reset(token)
    if connection.in_atomic_block and transaction.get_rollback():
        return
    for (event, record_type, requires, on), notices in pending.items():
        queue(event, record_type, notices, on, requires=requires)
