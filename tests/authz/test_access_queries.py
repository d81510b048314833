"""Restricted list endpoints cost the same number of queries for 5 rows as for 50: field
allow-lists, team membership, dissemination audit and related names are loaded per page,
never per row."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from agencies.choices import RecordType, Role
from cases.querysets import permission_id
from mou.choices import TermScope
from tests.factories import AssignmentFactory, CaseFactory
from tests.factories_access import agency, mou_with_terms, staff, term_spec
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db

# query budgets per request, for any page size (found by measurement, then pinned;
# each includes the MFA middleware's 2 queries: OTP device and account state)
BUDGET = {
    "case-export": 15,
    "case-list": 16,
    "cases:case_list": 18,
    "offender-list": 18,
}


def build(size: int) -> dict[str, Any]:
    lead, partner = agency("PDOC"), agency("PCSA")
    officer = staff(lead, Role.SUPERVISION_OFFICER, phone="555-0100")
    for _ in range(size):
        case = CaseFactory(lead_agency=lead, officer=officer, case_manager=officer)
        AssignmentFactory(case=case, agency=partner, role="supervision_officer")
    mou_with_terms(
        lead,
        {
            partner: [
                term_spec(RecordType.STATUS, ["status", "officer_name"], scope=TermScope.ASSIGNED),
                term_spec(RecordType.IDENTITY, ["first_name", "last_name", "aliases"]),
            ]
        },
    )
    return {
        "lead": staff(lead, Role.CASE_MANAGER).user,
        "partner": staff(partner, Role.SUPERVISION_OFFICER).user,
    }


def url(name: str) -> str:
    return reverse(name)


@pytest.mark.parametrize("size", [5, 50])
@pytest.mark.parametrize("who", ["lead", "partner"])
@pytest.mark.parametrize("endpoint", sorted(BUDGET))
def test_restricted_lists_cost_the_same_for_any_page_size(
    endpoint: str, who: str, size: int, django_assert_max_num_queries: Any
) -> None:
    users = build(size)
    permission_id("view_status")  # the per-process cache of permission ids, warm as in service
    client = Client()
    otp_login(client, users[who])
    with django_assert_max_num_queries(BUDGET[endpoint]):
        response = client.get(url(endpoint), {"page_size": 100})
    assert response.status_code == 200
    # every row was rendered (a budget met by showing nothing would prove nothing)
    if response["Content-Type"].startswith("application/json"):
        assert len(response.json()["results"]) == size
    else:
        assert response.content.decode().count("C-") >= size
