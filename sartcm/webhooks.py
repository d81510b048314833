"""Outgoing webhooks: queued through the outbox, signed with HMAC-SHA256, logged.

Signature header: `X-SARTCM-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`
with the subscription's secret (receivers reject old timestamps to stop replays).
Bodies carry only fields the receiving agency may see. There is one way to queue: `queue_sql`,
an INSERT ... SELECT into the outbox whose recipients (active subscriptions of active agencies
to the event) pass the agency's visibility as a SQL predicate, and whose body is a SQL
expression limited to the agency's fields (`only_keys_sql`). It runs in the transaction of the
change — as a data-modifying CTE of the statement that makes a set-based change (the alert
sweep), or through `cases.webhooks.queue` for changes made one by one (one statement per change
or per batch, never per recipient). Messages of kind "webhook" are delivered by `deliver` (an
outbox handler), retried with backoff by the outbox.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from agencies.models import Agency
from sartcm.models import OutboxMessage, WebhookDelivery, WebhookEvent, WebhookSubscription
from sartcm.outbox import DeliveryFailed, message_handler, nudge_on_commit

TIMEOUT_SECONDS = 10


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def sign(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def verify(
    secret: str, body: bytes, header: str, tolerance: int = 300, now: int | None = None
) -> bool:
    """What a receiver does (and our tests): check the MAC and that the timestamp is fresh."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or int(time.time())) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, body, timestamp), header)


def validate_events(events: list[str]) -> None:
    unknown = sorted(set(events) - set(WebhookEvent.values))
    if not events or unknown:
        raise ValidationError(
            {
                "events": [
                    f"Choose from: {', '.join(WebhookEvent.values)}."
                    + (f" Unknown: {unknown}." if unknown else "")
                ]
            }
        )


def timestamp_sql(expr: str) -> str:
    """SQL text: timestamptz `expr` as bodies write times — ISO 8601 in UTC with microseconds
    (as `timestamp_json` does in Python), so a time reads the same whichever path queued it."""
    return f"""to_char({expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')"""


def timestamp_json(value: datetime) -> str:
    """An aware datetime as bodies write times (see `timestamp_sql`)."""
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def only_keys_sql(obj: str, keys: str) -> str:
    """SQL jsonb: the jsonb object `obj` with only the keys in the text[] `keys` ({} if none)."""
    return f"""(SELECT COALESCE(jsonb_object_agg(e.key, e.value), '{{}}'::jsonb)
                  FROM jsonb_each({obj}) e WHERE e.key = ANY({keys}))"""


def queue_sql(event: str, source: str, body: str, visible: str) -> str:
    """INSERT ... SELECT queuing one "webhook" outbox message per row of `source` and active
    subscription to `event` of an active agency that passes `visible`.

    `source`: a FROM item (rows of the change, e.g. a CTE with its joins); `body`: a jsonb
    expression over it (the body the agency receives); `visible`: a predicate over `source` and
    `ag`, the subscribing agency (`s` is the subscription). Ends in RETURNING id, so it can be a
    data-modifying CTE of the statement that makes the change (same transaction, no query per
    row). The caller nudges delivery on commit (`sartcm.outbox.nudge_on_commit`).
    """
    if event not in WebhookEvent.values:  # inlined as a literal: only our own event names
        raise ValueError(f"unknown webhook event {event!r}")
    return f"""
        INSERT INTO {OutboxMessage._meta.db_table}
            (id, created_at, kind, payload, status, attempts, next_attempt_at, sent_at,
             last_error)
        SELECT gen_random_uuid(), now(), 'webhook',
               jsonb_build_object('subscription_id', s.id, 'event', '{event}'::text,
                                  'body', {body}),
               'pending', 0, now(), NULL, ''
          FROM {source}
          JOIN {WebhookSubscription._meta.db_table} s
            ON s.active AND s.events @> jsonb_build_array('{event}'::text)
          JOIN {Agency._meta.db_table} ag ON ag.id = s.agency_id AND ag.active
         WHERE {visible}
        RETURNING id
    """


def execute(queue: str, params: dict[str, Any]) -> int:
    """Run a `queue_sql` statement on its own, in the caller's transaction; delivery is nudged
    on commit. Returns the number of messages queued."""
    with connection.cursor() as cursor:
        cursor.execute(f"WITH queued AS ({queue}) SELECT count(*) FROM queued", params)
        queued = cursor.fetchone()[0]
    if queued:
        nudge_on_commit()
    return queued


@message_handler("webhook")
def deliver(message: OutboxMessage, opener: Callable[..., Any] = urllib.request.urlopen) -> None:
    """Deliver one webhook message and log the attempt; raises DeliveryFailed on failure, so
    the outbox keeps the log row and retries with backoff."""
    subscription = WebhookSubscription.objects.filter(
        pk=message.payload["subscription_id"], active=True, agency__active=True
    ).first()
    if subscription is None:
        return  # unsubscribed or the agency deactivated since: nothing to send
    body = json.dumps(
        {
            "id": str(message.id),
            "event": message.payload["event"],
            "created_at": message.created_at.isoformat(),
            "data": message.payload["body"],
        },
        sort_keys=True,
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - URL validated as http(s) by the model field
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "SARTCM-Webhooks/1",
            "X-SARTCM-Event": message.payload["event"],
            "X-SARTCM-Delivery": str(message.id),
            "X-SARTCM-Signature": sign(subscription.secret, body, int(time.time())),
        },
    )
    started = time.monotonic()
    status_code: int | None = None
    error = ""
    try:
        with opener(request, timeout=TIMEOUT_SECONDS) as response:
            status_code = response.status
    except urllib.error.HTTPError as exc:
        status_code, error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        error = str(exc)[:300]
    ok = status_code is not None and 200 <= status_code < 300
    with transaction.atomic():
        WebhookDelivery.objects.create(
            subscription=subscription,
            message=message,
            event=message.payload["event"],
            status_code=status_code,
            ok=ok,
            error=error,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
    if not ok:
        raise DeliveryFailed(error or f"HTTP {status_code}")  # the log row above is kept
