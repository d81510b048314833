"""Middleware that opens a RequestContext for the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from sartcm import audit
from sartcm.context import RequestContext, _current


def client_address(request: HttpRequest) -> str | None:
    # REMOTE_ADDR only: X-Forwarded-For is trusted only behind a proxy configured to set it.
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path
        channel = (
            "api" if path.startswith("/api/") else "admin" if path.startswith("/admin/") else "page"
        )
        user = getattr(request, "user", None)
        ctx = RequestContext(
            source_address=client_address(request),
            channel=channel,
            user_id=user.pk if user is not None and user.is_authenticated else None,
            in_request=True,
            standing={} if request.method in ("GET", "HEAD", "OPTIONS") else None,
        )
        token = _current.set(ctx)
        request.request_id = ctx.request_id  # type: ignore[attr-defined]
        try:
            response = self.get_response(request)
            audit.flush_refusals(final=True)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = str(ctx.request_id)
        return response
