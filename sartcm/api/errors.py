"""Errors under /api/ answer problem+json (RFC 9457), whatever produced them.

DRF's exception handler (sartcm.api.exceptions) shapes errors raised inside API views. Errors
raised before a view runs — a URL that matches no route (`/api/v1/cases/abc/`), a method no
route takes — and uncaught exceptions come out of Django as HTML pages (its technical pages
when DEBUG is on, which list routes and stack traces). `ProblemResponseMiddleware` (first in
MIDDLEWARE) replaces the body of any such error response under /api/ with a problem+json body
of the same status: no route list, no path echo, no trace; the request id lets an
administrator find the logged error. Pages keep their HTML error pages.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.views import defaults

PROBLEM = "application/problem+json"
API_PREFIX = "/api/"

TITLES = {
    400: "Bad request.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    500: "Server error.",
}


def is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def problem_body(status: int, request: HttpRequest) -> dict[str, Any]:
    title = TITLES.get(status) or f"{HTTPStatus(status).phrase}."
    body: dict[str, Any] = {"type": "about:blank", "title": title, "status": status}
    if status == 404:
        body["detail"] = "Not found."
    elif status == 405:
        body["detail"] = f'Method "{request.method}" not allowed.'
    elif status >= 500:
        request_id = getattr(request, "request_id", None)
        body["detail"] = "An unexpected error occurred; it has been logged." + (
            f" Quote request id {request_id}." if request_id else ""
        )
    else:
        body["detail"] = title
    return body


def _is_json(response: HttpResponse) -> bool:
    content_type = response.get("Content-Type", "")
    return content_type.startswith(("application/json", PROBLEM))


class ProblemResponseMiddleware:
    """Under /api/: an error response that is not already JSON becomes problem+json."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        refused = refuse_nul_parameters(request)
        response = refused if refused is not None else self.get_response(request)
        if (
            is_api(request)
            and response.status_code >= 400
            and not response.streaming
            and not _is_json(response)
        ):
            response.content = json.dumps(problem_body(response.status_code, request))
            response["Content-Type"] = PROBLEM
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response


def refuse_nul_parameters(request: HttpRequest) -> HttpResponse | None:
    """A query parameter holding a NUL character is refused with a 400 naming it.

    PostgreSQL cannot compare text with NUL (psycopg2 raises before the query is sent), so a
    filter such as `?jurisdiction=%00` would otherwise end as a server error; no valid value
    contains one. Pages get Django's 400 page, the API a problem naming the parameter.
    """
    bad = sorted(
        {key for key, values in request.GET.lists() for v in [key, *values] if "\x00" in v}
    )
    if not bad:
        return None
    message = "Must not contain a NUL character (%00)."
    if not is_api(request):
        return defaults.bad_request(request, exception=None)
    body = {
        "type": "about:blank",
        "title": "Invalid input.",
        "status": 400,
        "detail": "; ".join(f"{key!r}: {message}" for key in bad),
        "errors": {key.replace("\x00", "\ufffd"): [message] for key in bad},
    }
    return HttpResponse(json.dumps(body), status=400, content_type=PROBLEM)


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: problem+json under /api/ (even if the middleware never ran), else the page."""
    if is_api(request):
        return HttpResponse(
            json.dumps(problem_body(500, request)), status=500, content_type=PROBLEM
        )
    return defaults.server_error(request)
