"""API: contacts, treatment enrollments and reports, polygraph exams and compliance, by persona
(lead officer, partner treatment provider with and without an `add` term, partner officer with a
field-limited term, victim advocate, outsider, anonymous), with constant query counts."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.choices import RecordType, Role
from cases.models import SupervisionContact, TreatmentReport
from sartcm.models import AuditEvent
from tests.factories import AgencyFactory
from tests.factories_contacts import (
    PolygraphExamFactory,
    SupervisionContactFactory,
    TreatmentReportFactory,
    build_world,
    default_contact_standards,
    share,
    staff_user,
)
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"
ENROLLMENTS = "/api/v1/treatment-enrollments/"
REPORTS = "/api/v1/treatment-reports/"
POLYGRAPH = "/api/v1/polygraph-exams/"
COMPLIANCE = "/api/v1/case-compliance/"


@pytest.fixture
def world():  # noqa: ANN201
    default_contact_standards()
    return build_world()


def api(user=None) -> APIClient:  # noqa: ANN001
    client = APIClient()
    if user is not None:
        otp_login(client, user)
    return client


def results(response) -> list[dict]:  # noqa: ANN001
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def partner_officer(world):  # noqa: ANN001, ANN201
    """A partner agency's officer whose term shares when and what kind of contact, view + add."""
    user = staff_user(AgencyFactory(kind="community_supervision"), Role.SUPERVISION_OFFICER)
    share(
        world.case,
        user.staff.agency,
        RecordType.CONTACTS,
        ["contact_at", "contact_type"],
        actions=("view", "add"),
    )
    return user


# --- contacts -----------------------------------------------------------------------------------


def test_lead_officer_logs_and_reads_contacts(world) -> None:  # noqa: ANN001
    client = api(world.officer)
    created = client.post(
        CONTACTS,
        {"case": world.case.pk, "contact_type": "office", "notes": "Weekly check-in."},
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["officer_name"] == world.officer.staff.full_name
    assert body["face_to_face"] is True and body["outcome"] == "completed"
    listed = results(client.get(CONTACTS, {"case": world.case.pk}))
    assert [c["id"] for c in listed] == [body["id"]]
    assert set(listed[0]) == {
        "id",
        "case",
        "contact_at",
        "contact_type",
        "face_to_face",
        "location",
        "outcome",
        "notes",
        "officer_name",
    }
    patched = client.patch(f"{CONTACTS}{body['id']}/", {"outcome": "violation"}, format="json")
    assert patched.status_code == 200 and patched.json()["outcome"] == "violation"
    assert client.delete(f"{CONTACTS}{body['id']}/").status_code == 405


def test_case_choices_are_the_cases_the_user_may_add_contacts_to(world, rf) -> None:  # noqa: ANN001
    from cases.api.contacts import SupervisionContactSerializer
    from tests.factories import CaseFactory

    other_agency_case = CaseFactory()
    request = rf.post(CONTACTS)
    request.user = world.officer
    choices = SupervisionContactSerializer(context={"request": request}).fields["case"].queryset
    assert list(choices.values_list("pk", flat=True)) == [world.case.pk]
    assert other_agency_case.pk not in choices.values_list("pk", flat=True)
    request.user = world.advocate
    assert (
        not SupervisionContactSerializer(context={"request": request})
        .fields["case"]
        .queryset.exists()
    )


def test_a_contact_cannot_be_moved_to_another_case(world) -> None:  # noqa: ANN001
    from tests.factories import CaseFactory

    contact = SupervisionContactFactory(case=world.case)
    other = CaseFactory(lead_agency=world.lead)
    response = api(world.officer).patch(
        f"{CONTACTS}{contact.pk}/", {"case": other.pk}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["case"]


def test_a_future_contact_is_a_400_naming_contact_at(world) -> None:  # noqa: ANN001
    later = (timezone.now() + timedelta(hours=1)).isoformat()
    response = api(world.officer).post(
        CONTACTS,
        {"case": world.case.pk, "contact_type": "office", "contact_at": later},
        format="json",
    )
    assert response.status_code == 400
    assert "contact_at" in response.json()["errors"]
    assert not SupervisionContact.objects.exists()


def test_partner_sees_only_shared_fields(world, partner_officer) -> None:  # noqa: ANN001
    SupervisionContactFactory(case=world.case, notes="Private", location="Secret Lane")
    [row] = results(api(partner_officer).get(CONTACTS))
    assert set(row) == {"id", "case", "contact_at", "contact_type"}


def test_write_naming_a_forbidden_field_is_a_400_naming_it(world, partner_officer) -> None:  # noqa: ANN001
    client = api(partner_officer)
    response = client.post(
        CONTACTS, {"case": world.case.pk, "contact_type": "field", "notes": "x"}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["notes"]
    assert AuditEvent.objects.filter(
        action="denied", case_id=world.case.pk, fields=["notes"]
    ).exists()
    assert not SupervisionContact.objects.exists()
    # the same write without the field is accepted
    assert (
        client.post(
            CONTACTS, {"case": world.case.pk, "contact_type": "field"}, format="json"
        ).status_code
        == 201
    )


@pytest.mark.parametrize("persona", ["advocate", "outsider", "provider"])
def test_contacts_are_invisible_without_standing(world, persona) -> None:  # noqa: ANN001
    contact = SupervisionContactFactory(case=world.case)
    client = api(getattr(world, persona))
    assert results(client.get(CONTACTS)) == []
    assert client.get(f"{CONTACTS}{contact.pk}/").status_code == 404
    assert (
        client.patch(
            f"{CONTACTS}{contact.pk}/", {"outcome": "violation"}, format="json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            CONTACTS, {"case": world.case.pk, "contact_type": "office"}, format="json"
        ).status_code
        == 404
    )
    assert SupervisionContact.objects.count() == 1


def test_filtering_by_an_invisible_case_looks_like_a_missing_one(world) -> None:  # noqa: ANN001
    SupervisionContactFactory(case=world.case)
    client = api(world.outsider)
    assert results(client.get(CONTACTS, {"case": world.case.pk})) == []
    assert results(client.get(CONTACTS, {"case": 999999})) == []


def test_anonymous_gets_nothing(world) -> None:  # noqa: ANN001
    SupervisionContactFactory(case=world.case)
    for url in (CONTACTS, ENROLLMENTS, REPORTS, POLYGRAPH, COMPLIANCE):
        assert api().get(url).status_code in (401, 403)


def test_contacts_list_query_count_is_constant_in_page_size(world, partner_officer) -> None:  # noqa: ANN001
    def count_for(user, n: int) -> int:  # noqa: ANN001
        SupervisionContactFactory.create_batch(n, case=world.case, officer=world.officer.staff)
        client = api(user)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(CONTACTS).status_code == 200
        return len(ctx)

    assert count_for(world.officer, 2) == count_for(world.officer, 15)
    assert count_for(partner_officer, 2) == count_for(partner_officer, 15)


# --- treatment ----------------------------------------------------------------------------------

REPORT = {
    "month": "2026-02",
    "sessions_scheduled": 4,
    "sessions_attended": 4,
    "participation": "good",
    "progress": "fair",
    "concerns": "None this month.",
}


def test_provider_with_an_add_term_adds_reports(world) -> None:  # noqa: ANN001
    client = api(world.provider)
    created = client.post(REPORTS, {**REPORT, "enrollment": world.enrollment.pk}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["month"] == "2026-02-01"
    assert created.json()["case"] == world.case.pk
    duplicate = client.post(REPORTS, {**REPORT, "enrollment": world.enrollment.pk}, format="json")
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"] == {
        "month": ["There is already a report for February 2026 on this enrollment."]
    }


def test_provider_without_an_add_term_gets_404() -> None:
    view_only = build_world(provider_can_add=False)
    client = api(view_only.provider)
    response = client.post(
        REPORTS, {**REPORT, "enrollment": view_only.enrollment.pk}, format="json"
    )
    assert response.status_code == 404
    assert not TreatmentReport.objects.exists()
    # but it still sees the enrollment it may view
    assert [e["id"] for e in results(client.get(ENROLLMENTS))] == [view_only.enrollment.pk]


def test_provider_sees_enrollments_limited_to_its_terms(world) -> None:  # noqa: ANN001
    TreatmentReportFactory(enrollment=world.enrollment)
    [row] = results(api(world.provider).get(ENROLLMENTS))
    assert set(row) == {
        "id",
        "case",
        "provider",
        "provider_name",
        "program",
        "intake_date",
        "discharge_status",
        "reports",
    }
    assert row["reports"][0]["concerns"] == "Minimizes offense in group."


def test_supervision_officer_sees_the_providers_reports(world) -> None:  # noqa: ANN001
    TreatmentReportFactory(enrollment=world.enrollment, concerns="Missed one session.")
    [row] = results(api(world.officer).get(REPORTS))
    assert row["concerns"] == "Missed one session."
    assert row["author_name"] == ""


@pytest.mark.parametrize("persona", ["advocate", "outsider"])
def test_treatment_is_invisible_to_advocates_and_outsiders(world, persona) -> None:  # noqa: ANN001
    report = TreatmentReportFactory(enrollment=world.enrollment)
    client = api(getattr(world, persona))
    assert results(client.get(ENROLLMENTS)) == []
    assert results(client.get(REPORTS)) == []
    assert client.get(f"{REPORTS}{report.pk}/").status_code == 404
    assert client.get(f"{ENROLLMENTS}{world.enrollment.pk}/").status_code == 404
    assert (
        client.post(
            REPORTS,
            {**REPORT, "month": "2026-03", "enrollment": world.enrollment.pk},
            format="json",
        ).status_code
        == 404
    )


def test_report_write_without_the_reports_field_is_a_400_naming_fields(world) -> None:  # noqa: ANN001
    # given a second provider whose add term does not share `reports`
    agency = AgencyFactory(kind="treatment_provider")
    user = staff_user(agency, Role.TREATMENT_PROVIDER)
    world.enrollment.provider = agency
    world.enrollment.save()
    share(world.case, agency, RecordType.TREATMENT, ["program"], actions=("view", "add"))
    response = api(user).post(REPORTS, {**REPORT, "enrollment": world.enrollment.pk}, format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == set(REPORT)


def test_case_manager_enrolls_and_discharges(world) -> None:  # noqa: ANN001
    client = api(world.case_manager)
    created = client.post(
        ENROLLMENTS,
        {
            "case": world.case.pk,
            "provider": world.provider_agency.pk,
            "program": "Aftercare",
            "intake_date": "2026-03-01",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    url = f"{ENROLLMENTS}{created.json()['id']}/"
    assert client.patch(url, {"program": "Renamed"}, format="json").json()["errors"] == {
        "program": ["Only discharge_status and discharged_on can be changed."]
    }
    done = client.patch(
        url, {"discharge_status": "transferred", "discharged_on": "2026-04-01"}, format="json"
    )
    assert done.status_code == 200, done.content
    assert done.json()["discharge_status"] == "transferred"


# --- polygraph ----------------------------------------------------------------------------------

EXAM = {
    "exam_type": "sexual_history",
    "exam_date": "2026-02-10",
    "examiner": "R. Quill",
    "result": "ndi",
}


def test_lead_officer_records_and_reads_polygraph(world) -> None:  # noqa: ANN001
    client = api(world.officer)
    created = client.post(
        POLYGRAPH,
        {
            **EXAM,
            "case": world.case.pk,
            "disclosures": "Two prior victims (fictional).",
            "flagged": True,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    [row] = results(client.get(POLYGRAPH))
    assert row["flagged"] is True and "prior victims" in row["disclosures"]


def test_polygraph_fields_follow_the_terms(world) -> None:  # noqa: ANN001
    PolygraphExamFactory(case=world.case)
    share(
        world.case,
        world.provider_agency,
        RecordType.POLYGRAPH,
        ["exam_type", "exam_date", "result"],
    )
    [row] = results(api(world.provider).get(POLYGRAPH))
    assert set(row) == {"id", "case", "exam_type", "exam_date", "result"}  # no disclosures, no flag


@pytest.mark.parametrize("persona", ["advocate", "outsider", "provider"])
def test_polygraph_is_invisible_without_a_term(world, persona) -> None:  # noqa: ANN001
    exam = PolygraphExamFactory(case=world.case)
    client = api(getattr(world, persona))
    assert results(client.get(POLYGRAPH)) == []
    assert client.get(f"{POLYGRAPH}{exam.pk}/").status_code == 404
    assert client.post(POLYGRAPH, {**EXAM, "case": world.case.pk}, format="json").status_code == 404


# --- compliance ---------------------------------------------------------------------------------


def test_compliance_endpoint_for_the_lead_officer(world) -> None:  # noqa: ANN001
    SupervisionContactFactory(
        case=world.case, contact_at=timezone.make_aware(dt.datetime(2026, 3, 2, 10))
    )
    client = api(world.officer)
    detail = client.get(f"{COMPLIANCE}{world.case.pk}/", {"on": "2026-03-20"})
    assert detail.status_code == 200
    body = detail.json()
    assert (body["case"], body["on"]) == (world.case.pk, "2026-03-20")
    face_to_face = next(r for r in body["requirements"] if r["requirement"] == "face_to_face")
    assert face_to_face == {
        "requirement": "face_to_face",
        "standard": "1 per 30 days",
        "count": 1,
        "period_days": 30,
        "status": "compliant",
        "counted": 1,
        "last_contact": "2026-03-02",
        "due_date": "2026-04-01",
        "days_until_due": 12,
    }
    [row] = results(client.get(COMPLIANCE, {"on": "2026-03-20"}))
    assert row == body
    assert client.get(COMPLIANCE, {"on": "March"}).json()["errors"] == {
        "on": ["Enter a date as YYYY-MM-DD."]
    }


@pytest.mark.parametrize("persona", ["advocate", "outsider", "provider"])
def test_compliance_is_404_without_contacts_standing(world, persona) -> None:  # noqa: ANN001
    client = api(getattr(world, persona))
    assert client.get(f"{COMPLIANCE}{world.case.pk}/").status_code == 404
    assert results(client.get(COMPLIANCE)) == []


def test_compliance_list_query_count_is_constant(world) -> None:  # noqa: ANN001
    from tests.factories import CaseFactory

    def count_for(n: int) -> int:
        for _ in range(n):
            SupervisionContactFactory(case=CaseFactory(lead_agency=world.lead))
        client = api(world.officer)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(COMPLIANCE).status_code == 200
        return len(ctx)

    assert count_for(2) == count_for(12)
