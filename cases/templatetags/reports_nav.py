"""`{% may_report as show %}`: whether the signed-in person may open reports (cases.reports)."""

from __future__ import annotations

from typing import Any

from django import template

from cases import reports

register = template.Library()


@register.simple_tag(takes_context=True)
def may_report(context: dict[str, Any]) -> bool:
    request = context.get("request")
    return reports.may_report(getattr(request, "user", None))
