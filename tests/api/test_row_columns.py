"""Row columns (RestrictedViewSet.row_columns, docs/performance.md design change 19): reads
show a case's lead agency, case manager, officer and conditions in force, and a contact's
officer, from columns of the one query instead of related model instances. The rows must be
the ones the related objects give, on a page, one record, the export and the sync cursor;
the count and the choice of the page's ids must not compute them; a caller who could see
the conditions on no case must not have them computed."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.request import Request

from agencies.choices import RecordType, Role
from cases.access import may_see_field
from cases.api.access import CaseSerializer, _active_conditions
from cases.api.contacts import SupervisionContactSerializer
from cases.models import Case, CaseCondition, SupervisionContact
from mou.choices import TermScope
from sartcm.context import keeping_standing
from tests.factories import AssignmentFactory, CaseFactory
from tests.factories_access import agency, mou_with_terms, staff, term_spec
from tests.factories_contacts import SupervisionContactFactory
from tests.factories_release import SpecialConditionFactory
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> dict[str, Any]:
    lead, partner, advocate = agency("RCDOC"), agency("RCCSA"), agency("RCVSP")
    named = staff(lead, Role.SUPERVISION_OFFICER, first_name="Nadia", last_name="Quill")
    named.phone = "555-0142"
    named.save()
    # no first or last name: the name shown is the username
    unnamed = staff(lead, Role.CASE_MANAGER, username="cm.unnamed", first_name="", last_name="")
    half = staff(lead, Role.CASE_MANAGER, first_name="", last_name="Oakes")  # one name only
    cases = [
        CaseFactory(lead_agency=lead, officer=named, case_manager=unnamed),
        CaseFactory(lead_agency=lead, officer=None, case_manager=half),
        CaseFactory(lead_agency=lead, officer=named, case_manager=None),
    ]
    today = timezone.localdate()
    with_details, plain, ended, future = (SpecialConditionFactory() for _ in range(4))
    CaseCondition.objects.create(
        case=cases[0], condition=with_details, details="No contact with minors", start_date=today
    )
    CaseCondition.objects.create(case=cases[0], condition=plain, start_date=today)
    CaseCondition.objects.create(
        case=cases[0],
        condition=ended,
        start_date=today - dt.timedelta(days=9),
        end_date=today - dt.timedelta(days=1),
    )
    CaseCondition.objects.create(
        case=cases[1], condition=future, start_date=today + dt.timedelta(days=3)
    )
    for case in cases:
        AssignmentFactory(case=case, agency=partner, role="supervision_officer")
        AssignmentFactory(case=case, agency=advocate, role="victim_advocate")
        SupervisionContactFactory(case=case, officer=case.officer)
    mou_with_terms(
        lead,
        {
            partner: [
                term_spec(
                    RecordType.STATUS,
                    ["status", "officer_name", "officer_phone", "active_conditions"],
                    scope=TermScope.ASSIGNED,
                ),
                term_spec(RecordType.CONTACTS, ["contact_at", "officer_name"]),
            ],
            advocate: [term_spec(RecordType.STATUS, ["status", "officer_name"])],
        },
    )
    return {
        "cases": cases,
        "lead": unnamed.user,
        "partner": staff(partner, Role.SUPERVISION_OFFICER).user,
        "advocate": staff(advocate, Role.VICTIM_ADVOCATE).user,
    }


def client_for(user: Any) -> Client:
    client = Client()
    otp_login(client, user)
    return client


def by_related_objects(user: Any, serializer: Any, objects: list[Any]) -> dict[int, dict]:
    """What the serializer shows for rows loaded the old way, with their related objects."""
    request = Request(RequestFactory().get("/"))
    request.user = user
    data = serializer(objects, many=True, context={"request": request}).data
    return {row["id"]: dict(row) for row in data}


def expected_cases(user: Any, cases: list[Case]) -> dict[int, dict]:
    objects = list(
        Case.objects.filter(pk__in=[c.pk for c in cases])
        .select_related("lead_agency", "case_manager__user", "officer__user")
        .prefetch_related(_active_conditions())
    )
    return by_related_objects(user, CaseSerializer, objects)


@pytest.mark.parametrize("who", ["lead", "partner", "advocate"])
def test_case_rows_from_columns_equal_the_rows_from_related_objects(world, who: str) -> None:
    user = world[who]
    client = client_for(user)
    expected = expected_cases(user, world["cases"])
    # a page
    rows = {row["id"]: row for row in client.get("/api/v1/cases/").json()["results"]}
    assert rows == expected
    # one record
    for case in world["cases"]:
        assert client.get(f"/api/v1/cases/{case.pk}/").json() == expected[case.pk]
    # the incremental sync (cursor pages)
    since = (timezone.now() - dt.timedelta(days=1)).isoformat()
    body = client.get("/api/v1/cases/", {"updated_since": since}).json()
    assert {row["id"]: row for row in body["results"]} == expected
    # the export
    text = client.get("/api/v1/cases/export/").content.decode()
    exported = {int(row["id"]): row for row in csv.DictReader(io.StringIO(text))}
    for pk, row in expected.items():
        if "officer_name" in row:
            assert exported[pk]["officer_name"] == row["officer_name"]


def test_what_the_columns_show(world) -> None:
    rows = {
        row["id"]: row for row in client_for(world["lead"]).get("/api/v1/cases/").json()["results"]
    }
    first, second, third = (rows[c.pk] for c in world["cases"])
    assert first["officer_name"] == "Nadia Quill"
    assert first["officer_phone"] == "555-0142"
    assert first["case_manager_name"] == "cm.unnamed"  # no name: the username
    assert first["lead_agency_name"] == "RCDOC (fictional agency)"
    titles = sorted(
        c.condition.title
        for c in CaseCondition.objects.filter(case=world["cases"][0], end_date__isnull=True)
    )
    # in force today only, "title: details" when there are details
    assert sorted(t.split(":")[0] for t in first["active_conditions"]) == titles
    assert any(t.endswith(": No contact with minors") for t in first["active_conditions"])
    assert second["officer_name"] == "" and second["officer_phone"] == ""
    assert second["case_manager_name"] == "Oakes"
    assert second["active_conditions"] == []  # starts in three days
    assert third["case_manager_name"] == ""


def test_contact_rows_from_columns_equal_the_rows_from_related_objects(world) -> None:
    for who in ("lead", "partner"):
        user = world[who]
        objects = list(
            SupervisionContact.objects.filter(case__in=world["cases"]).select_related(
                "case", "officer__user"
            )
        )
        expected = by_related_objects(user, SupervisionContactSerializer, objects)
        client = client_for(user)
        rows = {row["id"]: row for row in client.get("/api/v1/contacts/").json()["results"]}
        assert rows == expected
        assert {row["officer_name"] for row in rows.values()} == {"Nadia Quill", ""}
        for pk, row in expected.items():
            assert client.get(f"/api/v1/contacts/{pk}/").json() == row


def test_the_count_and_the_page_ids_compute_no_row_column(world) -> None:
    client = client_for(world["lead"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/api/v1/cases/?page_size=2").status_code == 200
    count = next(q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(*)"))
    assert "auth_user" not in count and "agencies_agency" not in count
    page = next(
        q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "cases_case"."id"')
    )
    ids = page[page.index('"cases_case"."id" IN (SELECT') :]
    assert "auth_user" not in ids.split("LIMIT 2")[0]
    # the rows carry names, not whole staff members and users
    assert '"auth_user"."password"' not in page and '"agencies_staffmember"."roles"' not in page
    assert "cases_casecondition" in page  # the conditions, in the same query


def test_conditions_are_not_computed_for_a_caller_who_may_see_them_on_no_case(world) -> None:
    with CaptureQueriesContext(connection) as ctx:
        body = client_for(world["advocate"]).get("/api/v1/cases/").json()
    assert len(body["results"]) == 3
    assert all("active_conditions" not in row for row in body["results"])
    assert all(row["officer_name"] in ("Nadia Quill", "") for row in body["results"])
    assert not [q for q in ctx.captured_queries if "cases_casecondition" in q["sql"]]


def test_may_see_field(world) -> None:
    field = "active_conditions"
    with keeping_standing():  # as in a read-only request
        assert may_see_field(world["lead"], RecordType.STATUS, field)  # leads cases
        assert may_see_field(world["partner"], RecordType.STATUS, field)  # a term shares it
        assert not may_see_field(world["advocate"], RecordType.STATUS, field)  # none does
        assert may_see_field(world["advocate"], RecordType.STATUS, "officer_name")
        # a role that may not view the record type sees no field of it at all
        assert not may_see_field(world["advocate"], RecordType.TREATMENT, "provider")
        assert not may_see_field(None, RecordType.STATUS, field)
    # without the request's standing facts it does not guess "no" (it only saves work)
    world["advocate"]._sartcm_access = None
    assert may_see_field(world["advocate"], RecordType.STATUS, field)
