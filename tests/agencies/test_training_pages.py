"""Training and directory pages and API, for every persona."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from agencies.choices import Role
from agencies.models import TrainingRecord
from sartcm.models import AuditEvent
from tests.factories_protocols import (
    Personas,
    TrainingCourseFactory,
    TrainingRecordFactory,
    TrainingRequirementFactory,
    make_personas,
)
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def people() -> Personas:
    return make_personas()


def client_for(user: object | None) -> Client:
    client = Client()
    if user is not None:
        otp_login(client, user)
    return client


def api(user: object | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_compliance_page_is_for_managers_of_the_agency(people: Personas) -> None:
    TrainingRequirementFactory(role=Role.SUPERVISION_OFFICER, course__title="Containment basics")
    url = reverse("agencies:training-compliance")
    for manager in (people.admin, people.supervisor):
        page = client_for(manager.user).get(url)
        assert page.status_code == 200
        names = {item.staff.pk for item in page.context["items"]}
        assert people.staff.pk in names and people.other_staff.pk not in names
    other = client_for(people.other_admin.user).get(url).context["items"]
    assert {item.staff.pk for item in other} == {people.other_staff.pk}
    assert client_for(people.staff.user).get(url).status_code == 404
    assert client_for(people.no_staff_user).get(url).status_code == 404
    assert client_for(None).get(url).status_code == 302


def test_staff_see_their_own_training(people: Personas) -> None:
    course = TrainingRequirementFactory(role=Role.SUPERVISION_OFFICER).course
    TrainingRecordFactory(staff=people.staff, course=course, expires_on=date(2030, 1, 1))
    TrainingRecordFactory(staff=people.supervisor, course=course)
    page = client_for(people.staff.user).get(reverse("agencies:my-training"))
    assert [r.staff_id for r in page.context["records"]] == [people.staff.pk]
    assert [i.status for i in page.context["summary"].items] == ["current"]
    records = client_for(people.staff.user).get(reverse("agencies:training-records"))
    assert [r.staff_id for r in records.context["object_list"]] == [people.staff.pk]
    managers = client_for(people.supervisor.user).get(reverse("agencies:training-records"))
    assert {r.staff_id for r in managers.context["object_list"]} == {
        people.staff.pk,
        people.supervisor.pk,
    }


def test_recording_a_completion_with_evidence_on_the_page(people: Personas) -> None:
    course = TrainingRequirementFactory(role=Role.SUPERVISION_OFFICER, renewal_months=12).course
    url = reverse("agencies:training-record-create")
    form = {
        "staff": people.staff.pk,
        "course": course.pk,
        "completed_on": "2026-01-15",
        "evidence": SimpleUploadedFile("cert.pdf", b"%PDF-1.4 fictional"),
        "evidence_note": "Certificate",
    }
    response = client_for(people.supervisor.user).post(url, form)
    assert response.status_code == 302
    record = TrainingRecord.objects.get()
    assert record.expires_on == date(2027, 1, 15)
    assert record.recorded_by == people.supervisor
    # a plain officer cannot pick a colleague: the choice is not offered
    colleague = client_for(people.staff.user).post(
        url, {"staff": people.supervisor.pk, "course": course.pk, "completed_on": "2026-01-15"}
    )
    assert "staff" in colleague.context["form"].errors
    # evidence downloads for those who may see the record, audited; 404 for everyone else
    download = reverse("agencies:training-evidence", args=[record.pk])
    got = client_for(people.staff.user).get(download)
    assert got.status_code == 200 and b"".join(got.streaming_content) == b"%PDF-1.4 fictional"
    assert AuditEvent.objects.filter(object_type="agencies.trainingrecord", action="view").exists()
    assert client_for(people.admin.user).get(download).status_code == 200
    assert client_for(people.other_admin.user).get(download).status_code == 404
    assert client_for(people.no_staff_user).get(download).status_code == 404


def test_directories(people: Personas) -> None:
    staff_page = client_for(people.staff.user).get(reverse("agencies:staff"))
    assert {m.pk for m in staff_page.context["object_list"]} == {
        people.admin.pk,
        people.supervisor.pk,
        people.staff.pk,
    }
    agencies = client_for(people.other_staff.user).get(reverse("agencies:list"))
    assert {a.pk for a in agencies.context["object_list"]} == {
        people.agency.pk,
        people.other_agency.pk,
    }
    assert (
        list(client_for(people.no_staff_user).get(reverse("agencies:staff")).context["object_list"])
        == []
    )


def test_course_catalogue_and_requirements_pages(people: Personas) -> None:
    new_course = {"title": "Polygraph in containment", "hours": "4", "active": "on"}
    assert (
        client_for(people.staff.user)
        .post(reverse("agencies:course-create"), new_course)
        .status_code
        == 404
    )
    assert (
        client_for(people.admin.user)
        .post(reverse("agencies:course-create"), new_course)
        .status_code
        == 302
    )
    course = TrainingCourseFactory._meta.model.objects.get(title="Polygraph in containment")
    requirement = {
        "role": Role.SUPERVISION_OFFICER,
        "course": course.pk,
        "renewal_months": 24,
        "grace_days": 60,
    }
    assert (
        client_for(people.supervisor.user)
        .post(reverse("agencies:requirement-create"), requirement)
        .status_code
        == 302
    )
    page = client_for(people.staff.user).get(reverse("agencies:courses"))
    assert [r.course_id for r in page.context["requirements"]] == [course.pk]
    assert (
        client_for(people.other_staff.user)
        .get(reverse("agencies:courses"))
        .context["requirements"]
        .count()
        == 0
    )


def test_training_records_api_personas(people: Personas) -> None:
    mine = TrainingRecordFactory(staff=people.staff)
    TrainingRecordFactory(staff=people.other_staff)
    assert [
        r["id"] for r in api(people.staff.user).get("/api/v1/training-records/").json()["results"]
    ] == [mine.pk]
    assert (
        api(people.other_admin.user).get(f"/api/v1/training-records/{mine.pk}/").status_code == 404
    )
    assert api(people.admin.user).get(f"/api/v1/training-records/{mine.pk}/").status_code == 200
    assert api(people.no_staff_user).get("/api/v1/training-records/").status_code == 403
    assert api(None).get("/api/v1/training-records/").status_code in {401, 403}
    course = TrainingCourseFactory()
    created = api(people.supervisor.user).post(
        "/api/v1/training-records/",
        {"staff": people.staff.pk, "course": course.pk, "completed_on": "2026-02-01"},
    )
    assert created.status_code == 201 and created.json()["recorded_by"] == people.supervisor.pk
    refused = api(people.other_admin.user).post(
        "/api/v1/training-records/",
        {"staff": people.staff.pk, "course": course.pk, "completed_on": "2026-02-01"},
    )
    assert refused.status_code == 400 and "staff" in refused.json()["errors"]
    staff_ids = {
        s["id"] for s in api(people.other_staff.user).get("/api/v1/staff/").json()["results"]
    }
    assert staff_ids == {people.other_admin.pk, people.other_staff.pk}
    courses = api(people.staff.user).get("/api/v1/training-courses/")
    assert courses.status_code == 200
    assert api(people.no_staff_user).get("/api/v1/training-courses/").status_code == 403
