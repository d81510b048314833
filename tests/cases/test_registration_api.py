"""Registration API: records, reports and address checks, for every persona."""

from __future__ import annotations

import pytest
from freezegun import freeze_time
from rest_framework.test import APIClient

from cases.choices import RegistrationStatus
from cases.models import AddressVerification, Alert, RegistrationEvent, RegistrationRecord
from protocols.choices import AlertRuleCode as R
from sartcm.models import AuditEvent
from tests.factories import CaseFactory
from tests.factories_registration import registration_world
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db

VOCABULARY = {
    "tier",
    "jurisdiction",
    "start_date",
    "period",
    "status",
    "next_verification_due",
    "events",
    "verifications",
}


@pytest.fixture(autouse=True)
def frozen():
    with freeze_time("2026-03-16 15:00:00"):
        yield


@pytest.fixture
def w():
    return registration_world()


def client_for(member) -> APIClient:
    client = APIClient()
    otp_login(client, member.user)
    return client


def detail(w):
    return f"/api/v1/registrations/{w.registration.pk}/"


class TestReading:
    def test_registry_officer_of_the_registering_agency_sees_every_shared_field(self, w):
        response = client_for(w.deputy).get(detail(w))
        assert response.status_code == 200
        body = response.json()
        assert set(body) == VOCABULARY | {"id", "case", "registering_agency"}
        assert body["events"][0]["details"] == "Moved to 4 Birch Road"
        assert body["verifications"][0]["result"] == "verified"
        assert body["period"]["years"] == 25

    def test_the_lead_agency_sees_everything(self, w):
        body = client_for(w.manager).get(detail(w)).json()
        assert {"transient", "last_verified_on"} <= set(body)
        assert VOCABULARY <= set(body)

    def test_a_partner_sees_only_the_fields_of_its_term(self, w):
        body = client_for(w.partner).get(detail(w)).json()
        assert set(body) == {
            "id",
            "case",
            "registering_agency",
            "tier",
            "status",
            "next_verification_due",
        }
        # reports and checks: the rows exist for it, their content does not
        events = client_for(w.partner).get(
            "/api/v1/registration-events/", {"registration": w.registration.pk}
        )
        assert events.status_code == 200
        assert [set(row) for row in events.json()["results"]] == [{"id"}]

    def test_a_victim_advocate_cannot_see_registration(self, w):
        client = client_for(w.advocate)
        assert client.get(detail(w)).status_code == 404
        assert client.get("/api/v1/registrations/").json()["results"] == []

    def test_an_outsider_gets_404(self, w):
        client = client_for(w.outsider)
        assert client.get(detail(w)).status_code == 404
        assert client.get("/api/v1/registrations/").json()["results"] == []
        event = RegistrationEvent.objects.get()
        assert client.get(f"/api/v1/registration-events/{event.pk}/").status_code == 404

    def test_reads_are_audited_with_the_fields_disclosed(self, w):
        client_for(w.partner).get(detail(w))
        event = AuditEvent.objects.filter(action="view", object_id=str(w.registration.pk)).get()
        assert set(event.fields) == {
            "case",
            "registering_agency",
            "tier",
            "status",
            "next_verification_due",
        }


class TestWriting:
    def check(self, w, **changes):
        return {
            "registration": w.registration.pk,
            "verified_on": "2026-03-16",
            "address": "12 Prairie Lane, Meadowton",
            "result": "not_at_address",
            "notes": "Landlord says he moved out.",
            **changes,
        }

    def test_the_registry_officer_records_a_failed_check(self, w):
        response = client_for(w.deputy).post("/api/v1/address-verifications/", self.check(w))
        assert response.status_code == 201, response.json()
        w.registration.refresh_from_db()
        assert w.registration.status == RegistrationStatus.ABSCONDER_REVIEW
        alert = Alert.objects.get(rule=R.VERIFICATION_FAILED)
        assert alert.assignee == w.deputy

    def test_a_view_only_partner_cannot_record_checks(self, w):
        response = client_for(w.partner).post("/api/v1/address-verifications/", self.check(w))
        assert response.status_code == 400
        assert "registration" in response.json()["errors"]
        assert AddressVerification.objects.count() == 1

    def test_an_outsider_cannot_write_to_a_registration_it_cannot_see(self, w):
        response = client_for(w.outsider).post("/api/v1/address-verifications/", self.check(w))
        assert response.status_code == 400
        assert "does not exist" in response.json()["detail"]
        assert AddressVerification.objects.count() == 1

    def test_a_report_is_recorded_and_found_late(self, w):
        response = client_for(w.deputy).post(
            "/api/v1/registration-events/",
            {
                "registration": w.registration.pk,
                "kind": "employment",
                "changed_on": "2026-03-09",
                "reported_on": "2026-03-16",
                "details": "Started at the grain elevator.",
            },
        )
        assert response.status_code == 201, response.json()
        body = response.json()
        assert (body["due_by"], body["late"]) == ("2026-03-12", True)

    def test_a_write_naming_an_unshared_field_is_refused_and_audited(self, w):
        response = client_for(w.deputy).patch(detail(w), {"tier": "III", "transient": True})
        assert response.status_code == 400
        assert "transient" in response.json()["errors"]
        w.registration.refresh_from_db()
        assert w.registration.tier == "II"
        denied = AuditEvent.objects.get(action="denied")
        assert denied.fields == ["transient"]

    def test_the_registry_officer_changes_the_tier(self, w):
        response = client_for(w.deputy).patch(detail(w), {"tier": "III"})
        assert response.status_code == 200, response.json()
        w.registration.refresh_from_db()
        assert w.registration.tier == "III"

    def test_the_lead_agency_registers_a_case(self, w):
        case = CaseFactory(lead_agency=w.doc)
        response = client_for(w.doc_registrar).post(
            "/api/v1/registrations/",
            {
                "case": case.pk,
                "registering_agency": w.doc.pk,
                "tier": "I",
                "jurisdiction": "Prairie State",
                "start_date": "2026-03-02",
                "period": {"custody_days_excluded": 10},
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        record = RegistrationRecord.objects.get(case=case)
        assert (record.period_years, record.custody_days_excluded) == (15, 10)
        assert record.next_verification_due.isoformat() == "2027-03-02"

    def test_nobody_else_registers_the_leads_cases(self, w):
        case = CaseFactory(lead_agency=w.doc)
        response = client_for(w.deputy).post(
            "/api/v1/registrations/",
            {
                "case": case.pk,
                "registering_agency": w.sheriff.pk,
                "tier": "I",
                "jurisdiction": "Prairie State",
                "start_date": "2026-03-02",
            },
            format="json",
        )
        assert response.status_code == 400
        assert not RegistrationRecord.objects.filter(case=case).exists()

    def test_a_status_decision(self, w):
        response = client_for(w.deputy).post(
            f"{detail(w)}status/", {"status": "absconded", "reason": "Warrant issued 16 March"}
        )
        assert response.status_code == 200, response.json()
        assert response.json()["status"] == "absconded"
        assert (
            client_for(w.partner)
            .post(f"{detail(w)}status/", {"status": "ended", "reason": "x"})
            .status_code
            == 404
        )

    def test_registrations_are_never_deleted_through_the_api(self, w):
        assert client_for(w.manager).delete(detail(w)).status_code == 405


class TestListQueryCounts:
    """The registration and alert lists cost the same number of queries for 2 rows as for 8:
    events, verifications, field allow-lists and the audit are loaded per page, never per row."""

    @staticmethod
    def more_cases(w, n: int) -> None:
        import datetime as dt

        from django.utils import timezone

        from tests.factories_browser import alert
        from tests.factories_registration import (
            EventFactory,
            RegistrationFactory,
            VerificationFactory,
        )

        for _ in range(n):
            case = CaseFactory(lead_agency=w.doc, case_manager=w.manager, officer=w.officer)
            registration = RegistrationFactory(case=case, registering_agency=w.doc)
            EventFactory(registration=registration, details="Moved (fictional)")
            VerificationFactory(registration=registration, verified_on=dt.date(2026, 2, 1))
            alert(case, w.doc, R.REGISTRATION_OVERDUE, timezone.now())

    @staticmethod
    def count(client: APIClient, url: str, expected_rows: int) -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200
        assert len(response.json()["results"]) == expected_rows
        return len(ctx.captured_queries)

    @pytest.mark.parametrize(
        ("persona", "url", "rows"),
        [
            ("manager", "/api/v1/registrations/?page_size=50", (3, 9)),
            ("partner", "/api/v1/registrations/?page_size=50", (3, 9)),
            ("manager", "/api/v1/alerts/?page_size=50", (2, 8)),
        ],
    )
    def test_list_query_count_is_constant_in_the_number_of_rows(self, w, persona, url, rows):
        client = client_for(getattr(w, persona))
        self.more_cases(w, 2)
        few = self.count(client, url, rows[0])
        self.more_cases(w, 6)
        many = self.count(client, url, rows[1])
        assert few == many
