"""Per-request context (request id, source address, user) for the audit trail.

Set by RequestContextMiddleware; background jobs set it with `job_context(...)`.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class RequestContext:
    request_id: uuid.UUID = field(default_factory=uuid.uuid4)
    source_address: str | None = None
    channel: str = "system"  # page, api, admin, job, system
    user_id: int | None = None
    # Refusals recorded inside a transaction that the refusal itself rolls back; written by
    # flush_refusals() once the transaction is gone (end of request / exception handler).
    pending_refusals: list = field(default_factory=list)
    in_request: bool = False
    # Per-request permission facts (cases.querysets.standing_q), kept only for requests that
    # change nothing (GET/HEAD/OPTIONS): a write may create the very grant or case they
    # describe, so writes compute them afresh. None = do not keep.
    standing: dict | None = None


_current: ContextVar[RequestContext | None] = ContextVar("sartcm_request_context", default=None)


def current() -> RequestContext:
    ctx = _current.get()
    if ctx is None:
        ctx = RequestContext()
        _current.set(ctx)
    return ctx


def set_current(ctx: RequestContext | None) -> object:
    return _current.set(ctx)


@contextlib.contextmanager
def job_context(channel: str = "job") -> Iterator[RequestContext]:
    token = _current.set(RequestContext(channel=channel))
    try:
        yield current()
    finally:
        _current.reset(token)


@contextlib.contextmanager
def keeping_standing() -> Iterator[RequestContext]:
    """Keep the standing facts for the block, as a read-only request does: for code that only
    reads (and audits) outside a request — a search from a job, the shell or the bench — so
    its SQL is the request's. Inside a read-only request it changes nothing; inside a write
    request it keeps facts for the block only (the block must change no grant or case)."""
    ctx = current()
    if ctx.standing is not None:
        yield ctx
        return
    ctx.standing = {}
    try:
        yield ctx
    finally:
        ctx.standing = None
