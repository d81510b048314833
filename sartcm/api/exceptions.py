"""Errors in one shape (RFC 9457 problem+json): field errors name the field; no stack traces."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler

from sartcm.api.errors import TITLES


def problem_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    from sartcm.audit import flush_refusals

    flush_refusals()  # the refused write's transaction has rolled back by now
    response = exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    problem: dict[str, Any] = {
        "type": "about:blank",
        "title": getattr(exc, "default_detail", "Error"),
        "status": response.status_code,
    }
    if isinstance(exc, exceptions.ValidationError):
        problem["title"] = "Invalid input."
        problem["errors"] = data if isinstance(data, dict) else {"non_field_errors": data}
        problem["detail"] = "; ".join(
            f"{field}: {' '.join(str(m) for m in (msgs if isinstance(msgs, list) else [msgs]))}"
            for field, msgs in problem["errors"].items()
        )
    elif isinstance(data, dict) and "detail" in data:
        problem["detail"] = str(data["detail"])
    else:
        problem["detail"] = str(data)
    if response.status_code == status.HTTP_404_NOT_FOUND:
        # one answer for missing, invisible and malformed ids (no model names)
        problem["title"] = problem["detail"] = "Not found."
    if "{" in str(problem["title"]):  # a message template such as 'Method "{method}" not allowed.'
        problem["title"] = TITLES.get(
            response.status_code, f"{HTTPStatus(response.status_code).phrase}."
        )
    response.data = problem
    response["Content-Type"] = "application/problem+json"
    response.content_type = "application/problem+json"
    return response
