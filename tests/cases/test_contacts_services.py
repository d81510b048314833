"""Services: logging contacts (validation, audit, version, concurrency), treatment reports,
enrollments and polygraph exams."""

from __future__ import annotations

import datetime as dt
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from agencies.choices import Role
from cases.compliance import case_compliance
from cases.models import Case, SupervisionContact, TreatmentReport
from cases.services.contacts import log_contact, update_contact
from cases.services.treatment import (
    add_treatment_report,
    discharge_from_treatment,
    enroll_in_treatment,
    record_polygraph,
)
from sartcm.models import AuditEvent
from tests.factories import AgencyFactory
from tests.factories_contacts import (
    ContactStandardFactory,
    SupervisionContactFactory,
    TreatmentReportFactory,
    build_world,
    staff_user,
)

pytestmark = pytest.mark.django_db

CONTACT = {"contact_type": "home_visit", "location": "Residence", "notes": "All well."}


@pytest.fixture
def world():  # noqa: ANN201
    return build_world()


# --- log_contact ------------------------------------------------------------------------------


def test_log_contact_saves_audits_and_bumps_the_case_version(world) -> None:  # noqa: ANN001
    # given the lead officer and a case at version 1
    before = timezone.now()
    # when a contact is logged without a time
    contact = log_contact(world.case, world.officer.staff, CONTACT, world.officer)
    # then it is saved for now, face to face and completed by default
    assert contact.contact_at >= before
    assert (contact.face_to_face, contact.outcome, contact.officer) == (
        True,
        "completed",
        world.officer.staff,
    )
    world.case.refresh_from_db()
    assert world.case.version == 2
    event = AuditEvent.objects.get(
        object_type="cases.supervisioncontact", object_id=str(contact.pk)
    )
    assert (event.action, event.case_id, event.user_id) == (
        "create",
        world.case.pk,
        world.officer.pk,
    )
    assert event.changes["after"]["contact_type"] == "home_visit"


def test_a_future_contact_is_refused_naming_contact_at(world) -> None:  # noqa: ANN001
    later = timezone.now() + timedelta(minutes=6)
    with pytest.raises(ValidationError) as excinfo:
        log_contact(
            world.case, world.officer.staff, {**CONTACT, "contact_at": later}, world.officer
        )
    assert "contact_at" in excinfo.value.message_dict
    assert "future" in excinfo.value.message_dict["contact_at"][0]
    assert not SupervisionContact.objects.exists()


def test_a_few_minutes_of_clock_skew_are_accepted(world) -> None:  # noqa: ANN001
    slightly_ahead = timezone.now() + timedelta(minutes=4)
    contact = log_contact(
        world.case, world.officer.staff, {**CONTACT, "contact_at": slightly_ahead}, world.officer
    )
    assert contact.pk is not None


def test_invalid_choices_name_the_field_and_the_valid_values(world) -> None:  # noqa: ANN001
    with pytest.raises(ValidationError) as excinfo:
        log_contact(
            world.case, None, {"contact_type": "telepathy", "outcome": "maybe"}, world.officer
        )
    errors = excinfo.value.message_dict
    assert "home_visit" in errors["contact_type"][0]
    assert "attempted" in errors["outcome"][0]


def test_contacts_on_a_closed_case_are_refused(world) -> None:  # noqa: ANN001
    Case.objects.filter(pk=world.case.pk).update(status="discharged")
    world.case.refresh_from_db()
    with pytest.raises(ValidationError) as excinfo:
        log_contact(world.case, None, CONTACT, world.officer)
    assert "case" in excinfo.value.message_dict


def test_a_user_without_standing_cannot_log_and_nothing_is_written(world) -> None:  # noqa: ANN001
    with pytest.raises(Http404):
        log_contact(world.case, world.outsider.staff, CONTACT, world.outsider)
    assert not SupervisionContact.objects.exists()
    world.case.refresh_from_db()
    assert world.case.version == 1


def test_update_contact_records_before_and_after(world) -> None:  # noqa: ANN001
    contact = SupervisionContactFactory(case=world.case, outcome="attempted")
    update_contact(contact, {"outcome": "completed"}, world.officer)
    contact.refresh_from_db()
    assert contact.outcome == "completed"
    event = AuditEvent.objects.filter(action="change", object_id=str(contact.pk)).get()
    assert event.changes == {"before": {"outcome": "attempted"}, "after": {"outcome": "completed"}}
    with pytest.raises(ValidationError) as excinfo:
        update_contact(contact, {"contact_at": timezone.now() + timedelta(days=1)}, world.officer)
    assert "contact_at" in excinfo.value.message_dict


@pytest.mark.django_db(transaction=True)
def test_concurrent_logging_loses_nothing() -> None:
    # given a high-supervision case needing 2 face-to-face contacts per 30 days
    ContactStandardFactory(
        supervision_level="high", requirement="face_to_face", count=2, period_days=30
    )
    world = build_world()
    Case.objects.filter(pk=world.case.pk).update(supervision_level="high")
    second_officer = staff_user(world.lead, Role.SUPERVISION_OFFICER)
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def log(user) -> None:  # noqa: ANN001
        try:
            case = Case.objects.get(pk=world.case.pk)  # each thread its own connection and row
            with transaction.atomic():
                barrier.wait(timeout=10)  # both transactions are open before either writes
                log_contact(case, user.staff, {"contact_type": "office"}, user)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    # when two officers log at the same moment on two connections
    threads = [threading.Thread(target=log, args=(u,)) for u in (world.officer, second_officer)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then both rows are saved, the version moved twice and compliance counts both
    assert errors == []
    assert SupervisionContact.objects.filter(case=world.case).count() == 2
    case = Case.objects.get(pk=world.case.pk)
    assert case.version == 3
    [face_to_face] = [s for s in case_compliance(case) if s.requirement == "face_to_face"]
    assert face_to_face.counted == 2
    assert face_to_face.status == "compliant"


# --- treatment ----------------------------------------------------------------------------------

REPORT = {
    "month": "2026-02",
    "sessions_scheduled": 4,
    "sessions_attended": 3,
    "participation": "good",
    "progress": "fair",
    "concerns": "Late twice.",
}


def test_the_provider_adds_a_monthly_report_under_its_mou(world) -> None:  # noqa: ANN001
    report = add_treatment_report(world.enrollment, REPORT, world.provider)
    assert report.month == dt.date(2026, 2, 1)
    assert (report.case_id, report.author) == (world.case.pk, world.provider.staff)
    assert (
        AuditEvent.objects.filter(action="create", object_type="cases.treatmentreport").count() == 1
    )


def test_a_second_report_for_the_month_is_a_message_naming_month(world) -> None:  # noqa: ANN001
    TreatmentReportFactory(enrollment=world.enrollment, month=dt.date(2026, 2, 1))
    with pytest.raises(ValidationError) as excinfo:
        add_treatment_report(world.enrollment, {**REPORT, "month": "2026-02-17"}, world.provider)
    assert excinfo.value.message_dict == {
        "month": ["There is already a report for February 2026 on this enrollment."]
    }
    assert TreatmentReport.objects.count() == 1


def test_report_rules_name_their_fields(world) -> None:  # noqa: ANN001
    with pytest.raises(ValidationError) as excinfo:
        add_treatment_report(
            world.enrollment,
            {**REPORT, "sessions_attended": 5, "participation": "stellar", "month": "2025-12"},
            world.provider,
        )
    errors = excinfo.value.message_dict
    assert set(errors) == {"sessions_attended", "participation", "month"}
    assert "exceed" in errors["sessions_attended"][0]
    assert "intake month (2026-01)" in errors["month"][0]


def test_a_provider_without_the_add_term_cannot_report(world) -> None:  # noqa: ANN001
    # given a provider agency whose term shares treatment for viewing only
    view_only = build_world(provider_can_add=False)
    with pytest.raises(Http404):
        add_treatment_report(view_only.enrollment, REPORT, view_only.provider)
    assert not TreatmentReport.objects.filter(enrollment=view_only.enrollment).exists()


def test_only_the_enrollments_provider_reports_on_it(world) -> None:  # noqa: ANN001
    other_provider = staff_user(AgencyFactory(), Role.TREATMENT_PROVIDER)
    with pytest.raises(ValidationError) as excinfo:
        add_treatment_report(world.enrollment, REPORT, other_provider)
    assert "enrollment" in excinfo.value.message_dict


def test_enrollment_and_discharge(world) -> None:  # noqa: ANN001
    enrollment = enroll_in_treatment(
        world.case,
        {
            "provider": world.provider_agency.pk,
            "program": "Relapse prevention group",
            "intake_date": "2026-02-01",
        },
        world.case_manager,
    )
    assert enrollment.discharge_status == "active"
    with pytest.raises(ValidationError) as excinfo:
        discharge_from_treatment(
            enrollment,
            {"discharge_status": "completed", "discharged_on": "2026-01-15"},
            world.case_manager,
        )
    assert "discharged_on" in excinfo.value.message_dict
    discharged = discharge_from_treatment(
        enrollment,
        {"discharge_status": "completed", "discharged_on": "2026-03-01"},
        world.case_manager,
    )
    assert (discharged.discharge_status, discharged.discharged_on) == (
        "completed",
        dt.date(2026, 3, 1),
    )
    with pytest.raises(ValidationError):
        discharge_from_treatment(
            enrollment,
            {"discharge_status": "unsuccessful", "discharged_on": "2026-03-02"},
            world.case_manager,
        )


def test_polygraph_exam_rules(world) -> None:  # noqa: ANN001
    base = {
        "exam_type": "maintenance",
        "exam_date": "2026-02-10",
        "examiner": "R. Quill",
        "result": "di",
    }
    with pytest.raises(ValidationError) as excinfo:
        record_polygraph(world.case, {**base, "flagged": True}, world.officer)
    assert "flagged" in excinfo.value.message_dict
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    with pytest.raises(ValidationError) as excinfo:
        record_polygraph(world.case, {**base, "exam_date": tomorrow}, world.officer)
    assert "exam_date" in excinfo.value.message_dict
    exam = record_polygraph(
        world.case,
        {**base, "disclosures": "Contact with a minor (fictional).", "flagged": True},
        world.officer,
    )
    event = AuditEvent.objects.get(object_type="cases.polygraphexam", object_id=str(exam.pk))
    # disclosures stay out of the audit trail
    assert "minor" not in str(event.changes)
