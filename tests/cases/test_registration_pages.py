"""Registration pages: the work list, a registration, and the forms, for every persona."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from cases.choices import RegistrationStatus
from cases.models import Alert, RegistrationRecord
from protocols.choices import AlertRuleCode as R
from tests.factories import CaseFactory
from tests.factories_registration import (
    RegistrationFactory,
    VerificationFactory,
    registration_world,
)
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def frozen():
    with freeze_time("2026-03-16 15:00:00"):
        yield


@pytest.fixture
def w():
    return registration_world()


def page(member) -> Client:
    client = Client()
    otp_login(client, member.user)
    return client


class TestWorkList:
    def test_due_this_week_overdue_and_failed_checks(self, w):
        overdue = RegistrationFactory(
            case=CaseFactory(lead_agency=w.doc), next_verification_due=dt.date(2026, 3, 1)
        )
        failed = RegistrationFactory(
            case=CaseFactory(lead_agency=w.doc), next_verification_due=dt.date(2026, 9, 1)
        )
        VerificationFactory(registration=failed, verified_on=dt.date(2026, 3, 10), result="refused")
        later = RegistrationFactory(
            case=CaseFactory(lead_agency=w.doc), next_verification_due=dt.date(2026, 5, 1)
        )
        response = page(w.doc_registrar).get(reverse("cases:registration-worklist"))
        assert response.status_code == 200
        sections = {
            s["key"]: [r["record"] for r in s["rows"]] for s in response.context["sections"]
        }
        assert sections["due"] == [w.registration]  # due 20 March
        assert sections["overdue"] == [overdue]
        assert sections["failed"] == [failed]
        assert later not in sum(sections.values(), [])

    def test_a_partner_sees_only_shared_fields_in_the_list(self, w):
        response = page(w.partner).get(reverse("cases:registration-worklist"))
        text = response.content.decode()
        assert w.case.case_number in text
        assert "Prairie State" not in text  # jurisdiction is not shared with it
        assert "not shared" in text

    def test_outsiders_and_advocates_see_an_empty_list(self, w):
        for member in (w.outsider, w.advocate):
            response = page(member).get(reverse("cases:registration-worklist"))
            assert all(not s["rows"] for s in response.context["sections"])

    def test_anonymous_is_sent_to_login(self, w):
        response = Client().get(reverse("cases:registration-worklist"))
        assert response.status_code == 302 and "/login/" in response["Location"]


class TestDetail:
    def url(self, w):
        return reverse("cases:registration-detail", args=[w.registration.pk])

    def test_the_registering_agency_sees_reports_checks_and_forms(self, w):
        response = page(w.deputy).get(self.url(w))
        text = response.content.decode()
        assert response.status_code == 200
        assert "Moved to 4 Birch Road" in text
        assert "Address verification checks" in text
        assert reverse("cases:registration-verification-add", args=[w.registration.pk]) in text

    def test_a_partner_sees_the_shared_fields_only(self, w):
        text = page(w.partner).get(self.url(w)).content.decode()
        assert "Tier II" in text
        assert "Moved to 4 Birch Road" not in text
        assert "Registered since" not in text
        assert "Record an address check" not in text

    @pytest.mark.parametrize("persona", ["outsider", "advocate"])
    def test_others_get_404(self, w, persona):
        assert page(getattr(w, persona)).get(self.url(w)).status_code == 404
        forms = reverse("cases:registration-verification-add", args=[w.registration.pk])
        assert page(getattr(w, persona)).get(forms).status_code == 404

    def test_a_view_only_partner_cannot_open_the_forms(self, w):
        url = reverse("cases:registration-event-add", args=[w.registration.pk])
        assert page(w.partner).get(url).status_code == 404


class TestForms:
    def test_a_failed_check_through_the_page(self, w):
        url = reverse("cases:registration-verification-add", args=[w.registration.pk])
        response = page(w.deputy).post(
            url,
            {
                "verified_on": "2026-03-16",
                "address": "12 Prairie Lane, Meadowton",
                "result": "not_at_address",
                "notes": "",
            },
        )
        assert response.status_code == 302
        w.registration.refresh_from_db()
        assert w.registration.status == RegistrationStatus.ABSCONDER_REVIEW
        assert Alert.objects.filter(rule=R.VERIFICATION_FAILED, assignee=w.deputy).exists()

    def test_errors_are_shown_next_to_the_field(self, w):
        url = reverse("cases:registration-verification-add", args=[w.registration.pk])
        response = page(w.deputy).post(
            url, {"verified_on": "2026-03-16", "address": "1 Elm St", "result": "other"}
        )
        assert response.status_code == 400
        assert "Describe the outcome" in response.context["form"].errors["notes"][0]

    def test_a_late_report_is_flagged(self, w):
        url = reverse("cases:registration-event-add", args=[w.registration.pk])
        response = page(w.deputy).post(
            url,
            {"kind": "residence", "changed_on": "2026-03-02", "reported_on": "2026-03-16"},
            follow=True,
        )
        assert "Reported late" in response.content.decode()

    def test_the_lead_registers_a_case_from_the_case_page(self, w):
        case = CaseFactory(lead_agency=w.doc)
        listing = page(w.doc_registrar).get(reverse("cases:registration-case", args=[case.pk]))
        assert reverse("cases:registration-add", args=[case.pk]) in listing.content.decode()
        response = page(w.doc_registrar).post(
            reverse("cases:registration-add", args=[case.pk]),
            {
                "registering_agency": w.doc.pk,
                "tier": "III",
                "jurisdiction": "Prairie State",
                "start_date": "2026-03-02",
                "period": "",
                "custody_days_excluded": "0",
            },
        )
        assert response.status_code == 302, response.context["form"].errors
        record = RegistrationRecord.objects.get(case=case)
        assert record.period_years is None and record.next_verification_due == dt.date(2026, 6, 2)

    def test_a_partner_cannot_register_the_leads_cases(self, w):
        case = CaseFactory(lead_agency=w.doc)
        assert (
            page(w.deputy).get(reverse("cases:registration-add", args=[case.pk])).status_code == 404
        )

    def test_status_change(self, w):
        url = reverse("cases:registration-status", args=[w.registration.pk])
        response = page(w.deputy).post(url, {"status": "absconded", "reason": "Warrant issued"})
        assert response.status_code == 302
        w.registration.refresh_from_db()
        assert w.registration.status == "absconded"
