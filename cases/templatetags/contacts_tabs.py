"""Template tags of the contacts topic: the case workspace tabs it contributes."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse

from agencies.choices import RecordType
from cases.models import Case

register = template.Library()

TABS = (
    ("contacts", "Contacts", RecordType.CONTACTS, "cases:case-contacts"),
    ("treatment", "Treatment", RecordType.TREATMENT, "cases:case-treatment"),
    ("polygraph", "Polygraph", RecordType.POLYGRAPH, "cases:case-polygraph"),
)


@register.simple_tag(takes_context=True)
def contacts_tabs(context: dict[str, Any], case: Case) -> list[dict[str, str]]:
    """The Contacts / Treatment / Polygraph tabs the viewer may open on this case (a tab for a
    record type the viewer has no standing on is not shown: its page would answer 404)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if case is None or user is None:
        return []
    return [
        {"key": key, "label": label, "url": reverse(url_name, kwargs={"case_pk": case.pk})}
        for key, label, record_type, url_name in TABS
        if Case.objects.restrict_record(user, "view", record_type).filter(pk=case.pk).exists()
    ]
