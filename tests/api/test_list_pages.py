"""List pages pick the page's ids first, then join (sartcm.api.pagination.CappedPaginator.rows):
the same rows in the same order as slicing the list, counted exactly up to the cap, paged on
with `next` past it; a partner's pages hold only the cases it has standing on."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from agencies.choices import RecordType, Role
from cases.models import Case
from mou.choices import TermScope
from sartcm.api.pagination import CappedPaginator
from tests.factories import AssignmentFactory, CaseFactory
from tests.factories_access import agency, mou_with_terms, staff, term_spec
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    lead, partner = agency("PDOC"), agency("PCSA")
    officer = staff(lead, Role.SUPERVISION_OFFICER)
    cases = [CaseFactory(lead_agency=lead, officer=officer, case_manager=officer) for _ in range(7)]
    start = timezone.now() - dt.timedelta(days=30)
    for i, case in enumerate(cases):  # distinct change times: one newest-first order
        Case.objects.filter(pk=case.pk).update(updated_at=start + dt.timedelta(hours=i))
    for case in cases[::2]:  # the partner is on the team of cases 0, 2, 4, 6
        AssignmentFactory(case=case, agency=partner, role="supervision_officer")
    mou_with_terms(
        lead,
        {partner: [term_spec(RecordType.STATUS, ["status"], scope=TermScope.ASSIGNED)]},
    )
    return {
        "cases": cases,
        "lead": staff(lead, Role.CASE_MANAGER).user,
        "partner": staff(partner, Role.SUPERVISION_OFFICER).user,
    }


def walk(user: Any, page_size: int) -> tuple[list[int], list[dict[str, Any]]]:
    client = Client()
    otp_login(client, user)
    ids: list[int] = []
    pages: list[dict[str, Any]] = []
    url: str | None = f"/api/v1/cases/?page_size={page_size}"
    while url:
        body = client.get(url).json()
        pages.append(body)
        ids += [row["id"] for row in body["results"]]
        url = body["next"]
    return ids, pages


@pytest.mark.parametrize("cap", [1000, 3])  # counted exactly, and open-ended past the cap
@pytest.mark.parametrize("who", ["lead", "partner"])
def test_pages_hold_the_visible_rows_newest_first(world, who: str, cap: int, monkeypatch) -> None:
    monkeypatch.setattr(CappedPaginator, "cap", cap)
    visible = world["cases"] if who == "lead" else world["cases"][::2]
    expected = [c.pk for c in sorted(visible, key=lambda c: c.pk, reverse=True)]
    ids, pages = walk(world[who], page_size=2)
    assert ids == expected
    assert pages[0]["count_exact"] is (len(visible) <= cap)


def test_the_page_query_picks_ids_on_the_case_table_then_joins_them(world) -> None:
    client = Client()
    otp_login(client, world["partner"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/cases/?page_size=2").status_code == 200
    page_sql = next(
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "cases_case"."id"')
    )
    # the LIMIT is inside the id subquery, the joins outside it
    inner = page_sql[page_sql.index('"cases_case"."id" IN (SELECT') :]
    assert "LIMIT 2" in inner
    assert "JOIN" in page_sql.split("WHERE")[0]
    assert "JOIN" not in inner.split("LIMIT 2")[0]
    # and the access filter (the partner's per-case grants) is applied once, to pick the ids
    assert page_sql.count("cases_casegroupobjectpermission") == 1
    assert page_sql.index("cases_casegroupobjectpermission") > page_sql.index(" IN (SELECT")


def test_active_conditions_are_loaded_only_for_the_rows_that_show_them(world) -> None:
    from cases.models import CaseCondition
    from tests.factories_release import SpecialConditionFactory

    # given a case with a current and an ended condition
    case = world["cases"][0]
    today = timezone.localdate()
    current, ended = SpecialConditionFactory(), SpecialConditionFactory()
    CaseCondition.objects.create(case=case, condition=current, start_date=today)
    CaseCondition.objects.create(
        case=case,
        condition=ended,
        start_date=today - dt.timedelta(days=30),
        end_date=today - dt.timedelta(days=1),
    )
    lead, partner = Client(), Client()
    otp_login(lead, world["lead"])
    otp_login(partner, world["partner"])
    # the lead agency sees the current one, in the list and on the case
    rows = {row["id"]: row for row in lead.get("/api/v1/cases/").json()["results"]}
    assert rows[case.pk]["active_conditions"] == [current.title]
    assert lead.get(f"/api/v1/cases/{case.pk}/").json()["active_conditions"] == [current.title]
    # a partner whose terms do not share them reads no condition at all
    with CaptureQueriesContext(connection) as ctx:
        body = partner.get("/api/v1/cases/").json()
    assert all("active_conditions" not in row for row in body["results"])
    assert not [q for q in ctx.captured_queries if "cases_casecondition" in q["sql"]]
