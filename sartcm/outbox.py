"""Delivery of `OutboxMessage` rows: anything that must not be lost when Redis is down.

Write a row in the same transaction as the change that causes it (`enqueue`), and it is
delivered by `deliver_pending`, which the periodic job runs every minute (and which a commit
hook nudges through Celery when the broker is up). Delivery claims rows with
SELECT ... FOR UPDATE SKIP LOCKED, so several workers never send the same message; a failure
is retried with exponential backoff and the row is marked dead after MAX_ATTEMPTS.

Handlers are registered per kind (`@handler("email")`); a handler raises to ask for a retry
(`DeliveryFailed` to keep what it wrote about the failed attempt).
A handler that needs the message itself (its id, when it was queued) registers with
`@message_handler(kind)`. The built-in kind "email" sends {to, subject, body} through Django's
mail; "webhook" is delivered by `sartcm.webhooks.deliver`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import DateTimeField, ExpressionWrapper, Q, Value
from django.db.models.functions import Now

from sartcm.models import OutboxMessage, OutboxStatus

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
MAX_BACKOFF = timedelta(hours=6)
# The Celery task that runs deliver_pending (nudged after commit; beat runs it every minute).
DELIVERY_TASK = "cases.tasks.deliver_outbox"

Handler = Callable[[dict[str, Any]], None]
MessageHandler = Callable[[OutboxMessage], None]
_HANDLERS: dict[str, MessageHandler] = {}


class DeliveryFailed(RuntimeError):
    """Raised by a handler when the delivery failed (the receiver refused or was unreachable)
    but what the handler wrote about the attempt (a delivery log row) must be kept; any other
    exception rolls the handler's writes back. Either way the message is retried."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that delivers the payloads of messages of `kind`."""

    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = lambda message: fn(message.payload)
        return fn

    return register


def message_handler(kind: str) -> Callable[[MessageHandler], MessageHandler]:
    """Register the function that delivers messages of `kind`, given the whole message."""

    def register(fn: MessageHandler) -> MessageHandler:
        _HANDLERS[kind] = fn
        return fn

    return register


def backoff(attempts: int) -> timedelta:
    """1, 2, 4, 8 … minutes after each failed attempt, at most six hours."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def enqueue(kind: str, payload: dict[str, Any], *, nudge: bool = True) -> OutboxMessage:
    """Write a message in the caller's transaction; after commit, nudge delivery."""
    # The database clock is the one clock of the outbox (rows are also queued by SQL).
    message = OutboxMessage.objects.create(
        kind=kind, payload=payload, status=OutboxStatus.PENDING, next_attempt_at=Now()
    )
    if nudge:
        nudge_on_commit()
    return message


def enqueue_email(to: list[str], subject: str, body: str) -> OutboxMessage:
    return enqueue("email", {"to": to, "subject": subject, "body": body})


def nudge_on_commit() -> None:
    """Ask a worker to deliver now. Never fails the caller: if the broker is down, the
    periodic job delivers the rows when it comes back."""

    def nudge() -> None:
        from celery import current_app

        try:
            # One connection attempt, no retry loop: a dead broker costs milliseconds, not
            # the seconds of kombu's default reconnect back-off.
            with current_app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=0)
                current_app.send_task(DELIVERY_TASK, connection=connection, retry=False)
        except Exception:  # noqa: BLE001 - broker down: the outbox rows wait for the next run
            logger.warning("outbox: could not nudge delivery (broker unavailable?)")

    transaction.on_commit(nudge)


@handler("email")
def send_email(payload: dict[str, Any]) -> None:
    to = [address for address in payload.get("to", []) if address]
    if not to:
        return
    EmailMessage(
        subject=payload["subject"],
        body=payload["body"],
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
    ).send(fail_silently=False)


def _claim(batch: int, now: Any) -> list[OutboxMessage]:
    return list(
        OutboxMessage.objects.select_for_update(skip_locked=True)
        .filter(status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED])
        .filter(Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True))
        .order_by("next_attempt_at", "created_at")[:batch]
    )


def deliver_pending(
    batch: int = 50, max_batches: int = 20, now: datetime | None = None
) -> dict[str, int]:
    """Deliver due messages; returns counts of sent, retrying and dead messages.

    `now` defaults to the database clock (the clock that queued the rows)."""
    stats = {"sent": 0, "failed": 0, "dead": 0}
    moment: Any = now if now is not None else Now()
    for _ in range(max_batches):
        with transaction.atomic():
            rows = _claim(batch, moment)
            for message in rows:
                _deliver_one(message, moment, stats)
        if len(rows) < batch:
            break
    return stats


def _later(moment: Any, delay: timedelta) -> Any:
    if isinstance(moment, datetime):
        return moment + delay
    return ExpressionWrapper(moment + Value(delay), output_field=DateTimeField())


def _deliver_one(message: OutboxMessage, now: Any, stats: dict[str, int]) -> None:
    fn = _HANDLERS.get(message.kind)
    try:
        if fn is None:
            raise LookupError(f"no outbox handler for kind {message.kind!r}")
        failed: DeliveryFailed | None = None
        with transaction.atomic():  # a handler's database error must not poison the batch
            try:
                fn(message)
            except DeliveryFailed as exc:
                failed = exc  # the handler's writes (its delivery log) are kept
        if failed is not None:
            raise failed
    except Exception as exc:  # noqa: BLE001 - any failure is retried, then given up
        message.attempts += 1
        message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
        if message.attempts >= MAX_ATTEMPTS:
            message.status = OutboxStatus.DEAD
            stats["dead"] += 1
            logger.error("outbox: giving up on %s after %s attempts", message.pk, message.attempts)
        else:
            message.status = OutboxStatus.FAILED
            message.next_attempt_at = _later(now, backoff(message.attempts))
            stats["failed"] += 1
        message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
        return
    message.attempts += 1
    message.status = OutboxStatus.SENT
    message.sent_at = now
    message.last_error = ""
    message.save(update_fields=["attempts", "status", "sent_at", "last_error"])
    stats["sent"] += 1
