"""Query counts of the protocols lists: the API's protocols, protocol versions, owed
acknowledgments and every kind of standard, and the library, acknowledgments, standards,
holidays and protected-sites pages cost the same number of queries for 2 rows as for 8
(versions, adopting agencies, staff and the protocol a standard cites are loaded per page,
never per row), for an editor of the owning agency, its plain staff and another agency's staff.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from itertools import count as counter
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.choices import Role
from protocols import choices
from protocols.kinds import KINDS, StandardKind
from protocols.models import Holiday, ProtectedSite, ProtocolVersion
from tests.factories_protocols import Personas, ProtocolFactory, ProtocolVersionFactory
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db

SEQ = counter(1)
ADOPTED_ON = dt.date(2026, 1, 5)


def more_protocols(people: Personas, n: int) -> list[ProtocolVersion]:
    """n fictional protocols (every other one owned by the agency), each with a version
    adopted by both agencies that officers and supervisors must acknowledge, and a draft."""
    adopted = []
    for i in range(n):
        protocol = ProtocolFactory(
            owner_agency=people.agency if i % 2 else None,
            applies_to_roles=[Role.SUPERVISION_OFFICER, Role.SUPERVISOR],
        )
        version = ProtocolVersionFactory(
            protocol=protocol,
            number=1,
            status=choices.VersionStatus.ADOPTED,
            effective_from=ADOPTED_ON,
            adopted_at=timezone.make_aware(dt.datetime.combine(ADOPTED_ON, dt.time(9))),
        )
        version.adopting_agencies.set([people.agency, people.other_agency])
        ProtocolVersionFactory(protocol=protocol, number=2, body="# Draft\n\nNot yet adopted.")
        adopted.append(version)
    return adopted


def standard_values(slug: str, k: int) -> dict[str, Any]:
    """Values of one standard of a kind in its own fictional jurisdiction."""
    return {
        "contact": {
            "supervision_level": choices.SupervisionLevel.values[0],
            "requirement": choices.ContactRequirement.values[0],
            "count": 1,
            "period_days": 30,
        },
        "registration": {
            "tier": "II",
            "rule": choices.RegistrationRule.INTERVAL_MONTHS,
            "interval": 6,
            "period_years": 25,
        },
        "reassessment": {"instrument_code": "static-99r", "interval_days": 365},
        "level-mapping": {
            "instrument_code": "static-99r",
            "assessment_level": "IVb",
            "supervision_level": choices.SupervisionLevel.values[0],
        },
        "checklist": {
            "code": f"housing-{k}",
            "text": "Housing confirmed (fictional).",
            "component": "housing",
        },
        "condition": {
            "code": f"no-contact-{k}",
            "category": choices.ConditionCategory.values[0],
            "title": "No contact (fictional)",
            "text": "Have no contact with the named person.",
        },
        "residence-restriction": {
            "site_kind": choices.ProtectedSiteKind.values[0],
            "distance_feet": 1000,
        },
        "alert-setting": {"rule": choices.AlertRuleCode.values[0]},
    }[slug]


def more_standards(kind: StandardKind) -> Callable[[Personas, int], None]:
    def make(people: Personas, n: int) -> None:
        cites = more_protocols(people, 1)[0]
        for _ in range(n):
            k = next(SEQ)
            kind.model.objects.create(
                jurisdiction=f"Testshire {k}",
                effective_from=dt.date(2025, 1, 1),
                protocol_version=cites,
                note="Fictional test row.",
                **standard_values(kind.slug, k),
            )

    return make


def more_holidays(people: Personas, n: int) -> None:
    for _ in range(n):
        k = Holiday.objects.filter(date__year=2030).count()
        Holiday.objects.create(
            date=dt.date(2030, 1, 1) + dt.timedelta(days=k), name=f"Founders' day {k}"
        )


def more_sites(people: Personas, n: int) -> None:
    for _ in range(n):
        k = next(SEQ)
        ProtectedSite.objects.create(
            name=f"Maple Grove School {k}",
            kind=choices.ProtectedSiteKind.values[0],
            jurisdiction="Testshire",
            latitude="39.000000",
            longitude=f"-95.{k:06d}",
        )


def client_for(user: Any) -> Client:
    client = Client()
    otp_login(client, user)
    return client


def rows_of(response: Any, context_key: str | None) -> int:
    if context_key is None:
        body = response.json()
        return len(body["results"] if isinstance(body, dict) else body)
    rows = response.context[context_key]
    return len(rows)


def count(client: Client, url: str, context_key: str | None) -> tuple[int, int]:
    """(queries, rows) of one request, after a first one that warms per-process caches."""
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), rows_of(response, context_key)


PROTOCOL_LISTS = [
    # (url, context key of the rows on a page or None for the API, rows per protocol)
    ("/api/v1/protocols/?page_size=50", None),
    ("/api/v1/protocol-versions/?page_size=50", None),
    ("/api/v1/protocol-versions/pending/", None),
    ("protocols:list", "object_list"),
    ("protocols:acknowledgments", "rows"),
]
# rows each persona sees per protocol on each list (pending and acknowledgments: editors see
# their agency's officers and supervisors, everyone else only themselves)
ROWS_PER_PROTOCOL = {
    "admin": [1, 2, 2, 1, 2],
    "staff": [1, 2, 1, 1, 1],
    "other_staff": [1, 2, 1, 1, 1],
}


def url_for(name: str, **kwargs: Any) -> str:
    """An API path as is; a page's "namespace:name?query" reversed."""
    if name.startswith("/"):
        return name
    name, _, query = name.partition("?")
    return reverse(name, kwargs=kwargs or None) + (f"?{query}" if query else "")


@pytest.mark.parametrize("persona", sorted(ROWS_PER_PROTOCOL))
@pytest.mark.parametrize(
    "which", [pytest.param(i, id=url) for i, (url, _) in enumerate(PROTOCOL_LISTS)]
)
def test_protocol_lists_cost_the_same_for_2_and_8_protocols(
    people: Personas, persona: str, which: int
) -> None:
    name, context_key = PROTOCOL_LISTS[which]
    url = url_for(name)
    per_protocol = ROWS_PER_PROTOCOL[persona][which]
    client = client_for(getattr(people, persona).user)
    more_protocols(people, 2)
    few, few_rows = count(client, url, context_key)
    more_protocols(people, 6)
    many, many_rows = count(client, url, context_key)
    assert (few_rows, many_rows) == (2 * per_protocol, 8 * per_protocol)
    assert few == many


REFERENCE_LISTS = [
    # (label, url, context key or None for the API, how to add n rows)
    *[
        (f"api-{kind.slug}", f"/api/v1/standards/{kind.slug}/?page_size=50", None, kind)
        for kind in KINDS
    ],
    *[(f"page-{kind.slug}", "protocols:standard-list", "rows", kind) for kind in KINDS],
    ("page-holidays", "protocols:holidays?year=2030", "holidays", more_holidays),
    ("page-sites", "protocols:sites?jurisdiction=Testshire", "sites", more_sites),
]


@pytest.mark.parametrize("persona", ["admin", "other_staff"])
@pytest.mark.parametrize(
    ("url", "context_key", "rows"),
    [pytest.param(*case[1:], id=case[0]) for case in REFERENCE_LISTS],
)
def test_reference_lists_cost_the_same_for_2_and_8_rows(
    people: Personas, persona: str, url: str, context_key: str | None, rows: Any
) -> None:
    if isinstance(rows, StandardKind):
        make = more_standards(rows)
        url = url_for(url, kind=rows.slug)
        before = rows.model.objects.in_force(timezone.localdate()).count()
    else:
        make, before, url = rows, 0, url_for(url)
    client = client_for(getattr(people, persona).user)
    make(people, 2)
    few, few_rows = count(client, url, context_key)
    make(people, 6)
    many, many_rows = count(client, url, context_key)
    assert (few_rows, many_rows) == (before + 2, before + 8)
    assert few == many


@pytest.mark.parametrize("persona", ["admin", "other_staff"])
def test_the_standards_index_costs_the_same_for_2_and_8_rows_of_each_kind(
    people: Personas, persona: str
) -> None:
    client = client_for(getattr(people, persona).user)
    url = reverse("protocols:standards")

    def add(n: int) -> None:
        for kind in KINDS:
            more_standards(kind)(people, n)
        more_holidays(people, n)
        more_sites(people, n)

    add(2)
    few, _ = count(client, url, "kinds")
    add(6)
    many, _ = count(client, url, "kinds")
    assert few == many
