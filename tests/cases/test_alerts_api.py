"""Alerts through the API and the inbox page: who sees them, what the text shows, who acts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time
from rest_framework.test import APIClient

from cases.alerts.engine import run_sweep
from cases.choices import AlertStatus
from cases.models import Alert
from protocols.choices import AlertRuleCode as R
from tests.factories_registration import assessment, instrument, registration_world
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 3, 16)


@pytest.fixture(autouse=True)
def frozen():
    with freeze_time("2026-03-16 15:00:00"):
        yield


@pytest.fixture
def w():
    world = registration_world()
    # a reassessment due on the case: assessment detail the advocate must never read
    assessment(
        world.case,
        instrument=instrument("stable2007", "STABLE-2007"),
        assessed_on=dt.date(2025, 9, 20),
        next_due=ON + dt.timedelta(days=5),
        total_score=14,
        level="high",
        final_level="high",
    )
    run_sweep(ON)
    return world


def api(member) -> APIClient:
    client = APIClient()
    otp_login(client, member.user)
    return client


def page(member) -> Client:
    client = Client()
    otp_login(client, member.user)
    return client


def reassessment(w) -> Alert:
    return Alert.objects.get(rule=R.REASSESSMENT_DUE)


class TestWhoSeesWhat:
    def test_the_case_manager_reads_the_assessment_detail(self, w):
        body = api(w.manager).get(f"/api/v1/alerts/{reassessment(w).pk}/").json()
        assert "STABLE-2007" in body["message"]
        assert body["facts"]["final_level"] == "high"
        assert body["assignee"] == w.manager.pk

    def test_a_victim_advocate_reads_no_assessment_detail(self, w):
        # the advocate's agency has standing on the case (status term), so sees the alert …
        body = api(w.advocate).get(f"/api/v1/alerts/{reassessment(w).pk}/").json()
        # … but nothing from the assessment: no instrument, score or level
        assert body["message"] == f"Reassessment due 2026-03-21 — case {w.case.case_number}"
        assert body["facts"] == {}
        for secret in ("STABLE", "high", "14"):
            assert secret not in body["message"]

    def test_the_inbox_page_obeys_the_same_allow_list(self, w):
        response = page(w.advocate).get(reverse("cases:alert-inbox"), {"scope": "all"})
        assert response.status_code == 200
        text = response.content.decode()
        assert "Reassessment due 2026-03-21" in text
        assert "STABLE-2007" not in text
        manager_text = page(w.manager).get(reverse("cases:alert-inbox")).content.decode()
        assert "STABLE-2007" in manager_text

    def test_the_registry_officer_sees_registration_alerts_assigned_to_them(self, w):
        body = api(w.deputy).get("/api/v1/alerts/", {"scope": "mine"}).json()
        rules = {row["rule"] for row in body["results"]}
        assert rules == {R.REGISTRATION_DUE_SOON}
        assert body["results"][0]["facts"]["tier"] == "II"

    def test_supervisors_see_their_agencys_alerts(self, w):
        ids = {
            row["id"] for row in api(w.sheriff_supervisor).get("/api/v1/alerts/").json()["results"]
        }
        assert Alert.objects.get(rule=R.REGISTRATION_DUE_SOON).pk in ids

    def test_an_outsider_gets_404(self, w):
        assert api(w.outsider).get(f"/api/v1/alerts/{reassessment(w).pk}/").status_code == 404
        assert api(w.outsider).get("/api/v1/alerts/").json()["results"] == []
        response = page(w.outsider).post(
            reverse("cases:alert-acknowledge", args=[reassessment(w).pk])
        )
        assert response.status_code == 404

    def test_filters(self, w):
        client = api(w.manager)
        by_rule = client.get("/api/v1/alerts/", {"rule": R.REASSESSMENT_DUE}).json()["results"]
        assert [row["rule"] for row in by_rule] == [R.REASSESSMENT_DUE]
        by_case = client.get("/api/v1/alerts/", {"case": w.case.case_number}).json()["results"]
        assert len(by_case) == 2
        assert client.get("/api/v1/alerts/", {"status": "resolved"}).json()["results"] == []


class TestActing:
    def test_acknowledge_and_resolve(self, w):
        client = api(w.manager)
        alert = reassessment(w)
        response = client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/")
        assert response.status_code == 200
        assert response.json()["status"] == AlertStatus.ACKNOWLEDGED
        assert client.post(f"/api/v1/alerts/{alert.pk}/acknowledge/").status_code == 400
        missing_note = client.post(f"/api/v1/alerts/{alert.pk}/resolve/", {"note": ""})
        assert missing_note.status_code == 400
        assert "note" in missing_note.json()["errors"]
        done = client.post(
            f"/api/v1/alerts/{alert.pk}/resolve/", {"note": "Scheduled for 20 March."}
        )
        assert done.json()["status"] == AlertStatus.RESOLVED
        alert.refresh_from_db()
        assert (alert.resolved_by, alert.resolution_note) == (w.manager, "Scheduled for 20 March.")

    def test_people_who_may_only_read_cannot_act(self, w):
        response = api(w.advocate).post(f"/api/v1/alerts/{reassessment(w).pk}/acknowledge/")
        assert response.status_code == 403

    def test_the_supervisor_may_act(self, w):
        response = api(w.supervisor).post(f"/api/v1/alerts/{reassessment(w).pk}/acknowledge/")
        assert response.status_code == 200

    def test_alerts_are_not_created_through_the_api(self, w):
        assert api(w.manager).post("/api/v1/alerts/", {}).status_code == 405

    def test_resolve_through_the_page(self, w):
        alert = reassessment(w)
        client = page(w.manager)
        form = client.get(reverse("cases:alert-resolve", args=[alert.pk]))
        assert form.status_code == 200 and "STABLE-2007" in form.content.decode()
        empty = client.post(reverse("cases:alert-resolve", args=[alert.pk]), {"note": " "})
        assert empty.status_code == 400
        done = client.post(
            reverse("cases:alert-resolve", args=[alert.pk]),
            {"note": "Done on paper", "next": "https://evil.example/"},
        )
        assert done.status_code == 302 and done["Location"] == reverse("cases:alert-inbox")
        alert.refresh_from_db()
        assert alert.status == AlertStatus.RESOLVED

    def test_acknowledge_through_the_page(self, w):
        alert = reassessment(w)
        response = page(w.manager).post(
            reverse("cases:alert-acknowledge", args=[alert.pk]),
            {"next": reverse("cases:alert-inbox") + "?rule=reassessment_due"},
        )
        assert response["Location"].endswith("?rule=reassessment_due")
        alert.refresh_from_db()
        assert alert.status == AlertStatus.ACKNOWLEDGED
