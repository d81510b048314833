"""Search page, nav box and API: personas, permitted fields only, audit, constant queries."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.choices import RecordType
from sartcm.models import AuditAction, AuditEvent
from tests.factories import CaseFactory, OffenderFactory
from tests.factories_browser import build_search_world
from tests.factories_contacts import share
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db

SEARCH = "/cases/search/"
API = "/api/v1/search/"


@pytest.fixture
def world():  # noqa: ANN201
    return build_search_world()


def test_search_urls() -> None:
    assert reverse("cases:search") == SEARCH
    assert reverse("search-list") == API


def test_lead_sees_the_result_with_every_identity_field(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.lead_user)
    response = client.get(SEARCH, {"q": "Smith John"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "John Quincy Smith" in body
    assert "1979-04-02" in body and "PS7700123" in body and "Jack Smitherson" in body
    # opening the result leads to the case (its page audits the view itself)
    assert world.case.case_number in body


def test_partner_page_shows_only_the_shared_fields(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.partner_user)
    body = client.get(SEARCH, {"q": "Smith John"}).content.decode()
    assert "John Smith" in body
    for hidden in ("1979-04-02", "PS7700123", "DOC-55012", "FBI9981X", "Quincy", "Smitherson"):
        assert hidden not in body


def test_outsider_page_says_nobody_matches(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.outsider)
    existing = client.get(SEARCH, {"q": "John Smith"}).content.decode()
    missing = client.get(SEARCH, {"q": "Zed Nobody"}).content.decode()
    assert "0 results" in existing and "0 results" in missing
    assert world.case.case_number not in existing and "Quincy" not in existing


def test_anonymous_is_sent_to_log_in(client, world) -> None:  # noqa: ANN001
    assert client.get(SEARCH, {"q": "Smith"}).status_code == 302
    assert client.get(API, {"q": "Smith"}).status_code in (401, 403)


def test_nav_has_the_search_box_for_staff(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.lead_user)
    body = client.get(reverse("dashboard")).content.decode()
    assert 'role="search"' in body and 'id="nav-search-q"' in body


def test_a_search_is_audited_with_the_query_and_result_count(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.lead_user)
    client.get(SEARCH, {"q": "Smith John"})
    event = AuditEvent.objects.get(action=AuditAction.SEARCH, object_type="cases.offender")
    assert event.user == world.lead_user
    assert "'Smith John'" in event.detail and "1 result" in event.detail
    assert event.channel == "page"
    # and the case shown is recorded as read through search ("who saw this case")
    assert AuditEvent.objects.filter(
        action=AuditAction.SEARCH, case_id=world.case.pk, user=world.lead_user
    ).exists()


def test_an_outsiders_search_is_audited_with_zero_results(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.outsider)
    client.get(SEARCH, {"q": "John Smith"})
    event = AuditEvent.objects.get(action=AuditAction.SEARCH, user=world.outsider)
    assert "0 result" in event.detail
    assert not AuditEvent.objects.filter(user=world.outsider, case_id=world.case.pk).exists()


# --- API ----------------------------------------------------------------------------------------


def test_api_lead_gets_every_identity_field(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.lead_user)
    data = client.get(API, {"q": "Smith John"}).json()
    assert data["count"] == 1
    row = data["results"][0]
    assert row["id"] == world.offender.pk
    assert row["date_of_birth"] == "1979-04-02" and row["state_id"] == "PS7700123"
    assert row["aliases"] == ["Jack Smitherson"]
    assert row["cases"] == [{"id": world.case.pk, "case_number": world.case.case_number}]


def test_api_partner_gets_only_shared_fields(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.partner_user)
    row = client.get(API, {"q": "Smith John"}).json()["results"][0]
    assert set(row) == {"id", "first_name", "last_name", "cases"}


def test_api_outsider_gets_zero_results(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.outsider)
    data = client.get(API, {"q": "John Smith"}).json()
    assert data == {"query": "John Smith", "count": 0, "results": []}


def test_api_audits_the_search(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.lead_user)
    client.get(API, {"q": "PS7700123"})
    event = AuditEvent.objects.get(action=AuditAction.SEARCH, object_type="cases.offender")
    assert event.channel == "api" and "1 result" in event.detail


# --- query counts -------------------------------------------------------------------------------


def test_search_query_count_does_not_grow_with_results(client, world) -> None:  # noqa: ANN001
    partner_cases = []

    def count_for(n: int) -> int:
        for i in range(n):
            case = CaseFactory(
                lead_agency=world.lead,
                offender=OffenderFactory(first_name=f"Johnny{i}", last_name="Smithe"),
            )
            share(case, world.partner, RecordType.IDENTITY, ["first_name", "last_name"])
            partner_cases.append(case)
        counts = []
        for user in (world.lead_user, world.partner_user):
            otp_login(client, user)
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(SEARCH, {"q": "Smith"}).status_code == 200
            counts.append(len(ctx))
        return max(counts)

    assert count_for(2) == count_for(12)
