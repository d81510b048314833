"""Search by a partner that sees people only through its case teams (per-case grants from
assigned-scope terms): it starts from those people instead of checking each match
(docs/performance.md, design change 14) — and finds exactly what the general form finds."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.choices import AgencyKind, RecordType, Role
from cases import search
from cases.choices import TeamRole
from cases.models import CaseAssignment, OffenderAlias
from cases.querysets import standing_by_case_grants_only
from mou.choices import TermScope
from tests.factories import AgencyFactory, CaseFactory, OffenderFactory
from tests.factories_browser import build_search_world
from tests.factories_contacts import share, staff_user

pytestmark = pytest.mark.django_db

SHARED = ["first_name", "last_name", "aliases", "date_of_birth", "state_id"]
QUERIES = [
    "Smith",
    "Smi",
    "smith",
    "Smtih",  # typo
    "Jonh Smith",  # typo and a second part
    "Smith, John",
    "Jo Sm",
    "Smitherson",  # alias
    "Jack Smitherson",
    "Smyth",
    "1979-04-02",  # date of birth
    "PS7700123",  # state ID
    "Nobody",
]


@pytest.fixture
def teams() -> Any:
    """The search world, plus Smiths and Smyths of the same lead agency; a treatment
    provider (assigned-scope identity terms) is on the teams of half of them."""
    world = build_search_world()
    provider = AgencyFactory(kind=AgencyKind.TREATMENT_PROVIDER)
    share(world.case, provider, RecordType.IDENTITY, SHARED, scope=TermScope.ASSIGNED)
    seen, unseen = [world.offender.pk], []
    for i, (first, last) in enumerate(
        [("Joan", "Smith"), ("Jon", "Smyth"), ("Jonas", "Smithers"), ("John", "Smith")] * 2
    ):
        offender = OffenderFactory(first_name=first, last_name=last)
        if i % 3 == 0:
            OffenderAlias.objects.create(
                offender=offender, first_name="Jack", last_name="Smitherson"
            )
        case = CaseFactory(offender=offender, lead_agency=world.lead)
        if i % 2 == 0:
            CaseAssignment.objects.create(case=case, agency=provider, role=TeamRole.OTHER)
            seen.append(offender.pk)
        else:
            unseen.append(offender.pk)
    world.provider = provider
    world.provider_user = staff_user(provider, Role.TREATMENT_PROVIDER)
    world.seen, world.unseen = seen, unseen
    return world


def found(user: Any, q: str) -> list[int]:
    return [r.offender_id for r in search.search_offenders(user, q, audit_search=False).results]


def test_only_a_partner_with_case_grants_alone_counts_as_seeing_few(teams) -> None:  # noqa: ANN001
    superuser = get_user_model().objects.create_superuser("root.test", password="x" * 16)
    holds = {
        "team provider": teams.provider_user,
        "lead agency": teams.lead_user,
        "partner with an all-cases term": teams.partner_user,
        "agency with no MOU": teams.outsider,
        "superuser": superuser,
    }
    assert {
        name: standing_by_case_grants_only(user, "view", RecordType.IDENTITY)
        for name, user in holds.items()
    } == {
        "team provider": True,
        "lead agency": False,
        "partner with an all-cases term": False,
        "agency with no MOU": False,
        "superuser": False,
    }


@pytest.mark.parametrize("q", QUERIES)
def test_starting_from_the_team_cases_finds_what_the_general_form_finds(
    teams, q: str, monkeypatch: Any
) -> None:  # noqa: ANN001
    fast = found(teams.provider_user, q)
    monkeypatch.setattr(search, "standing_by_case_grants_only", lambda *args: False)
    assert fast == found(teams.provider_user, q)
    assert not set(fast) & set(teams.unseen)  # nobody off its teams, ever


def test_the_team_provider_finds_its_people_and_only_them(teams) -> None:  # noqa: ANN001
    assert sorted(found(teams.provider_user, "Smi")) == sorted(teams.seen)
    # no Smyth is on its teams: only its Smiths, through the typo stage
    assert set(found(teams.provider_user, "Smyth")) <= set(teams.seen)
    everyone = set(found(teams.lead_user, "Smi")) | set(found(teams.lead_user, "Smyth"))
    assert everyone == set(teams.seen) | set(teams.unseen)


def test_the_statement_starts_from_the_team_cases_only_for_such_a_partner(teams) -> None:  # noqa: ANN001
    def statement(user: Any) -> str:
        with CaptureQueriesContext(connection) as ctx:
            search.search_offenders(user, "Smtih", audit_search=False)
        return " ".join(q["sql"] for q in ctx.captured_queries)

    few = statement(teams.provider_user)
    assert "people AS MATERIALIZED" in few
    for user in (teams.lead_user, teams.partner_user):
        general = statement(user)
        assert "people AS MATERIALIZED" not in general
