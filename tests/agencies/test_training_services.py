"""Specialized staff training: expiry from renewal periods, who may record, compliance, and the
expiring/expired querysets the alert engine uses."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from agencies import services
from agencies.choices import Role
from agencies.models import TrainingRecord
from sartcm.models import AuditEvent
from tests.factories import StaffFactory
from tests.factories_protocols import (
    Personas,
    TrainingCourseFactory,
    TrainingRecordFactory,
    TrainingRequirementFactory,
    make_personas,
)

pytestmark = pytest.mark.django_db

TODAY = date(2026, 6, 1)


@pytest.fixture
def people() -> Personas:
    return make_personas()


def test_expiry_comes_from_the_shortest_applicable_renewal(people: Personas) -> None:
    course = TrainingCourseFactory()
    TrainingRequirementFactory(course=course, role=Role.SUPERVISION_OFFICER, renewal_months=24)
    TrainingRequirementFactory(
        course=course, role=Role.SUPERVISION_OFFICER, renewal_months=12, agency=people.agency
    )
    TrainingRequirementFactory(
        course=course, role=Role.SUPERVISION_OFFICER, renewal_months=6, agency=people.other_agency
    )
    record = services.record_completion(
        people.admin.user,
        staff=people.staff,
        course=course,
        completed_on=date(2026, 1, 31),
        today=TODAY,
    )
    assert record.expires_on == date(2027, 1, 31)
    other = services.record_completion(
        people.other_admin.user,
        staff=people.other_staff,
        course=course,
        completed_on=date(2026, 1, 31),
        today=TODAY,
    )
    assert other.expires_on == date(2026, 7, 31)


def test_once_only_and_unrequired_courses_never_expire(people: Personas) -> None:
    once = TrainingRequirementFactory(role=Role.SUPERVISION_OFFICER, renewal_months=0).course
    unrequired = TrainingCourseFactory()
    for course in (once, unrequired):
        record = services.record_completion(
            people.staff.user, staff=people.staff, course=course, completed_on=TODAY, today=TODAY
        )
        assert record.expires_on is None


def test_who_may_record_whose_training(people: Personas) -> None:
    course = TrainingCourseFactory()
    # everyone records their own; managers record their agency's staff
    services.record_completion(
        people.staff.user, staff=people.staff, course=course, completed_on=TODAY, today=TODAY
    )
    services.record_completion(
        people.supervisor.user, staff=people.staff, course=course, completed_on=TODAY, today=TODAY
    )
    services.record_completion(
        people.admin.user, staff=people.supervisor, course=course, completed_on=TODAY, today=TODAY
    )
    # not a colleague's (plain staff), not another agency's, not without a staff record
    refused = [
        (people.staff.user, people.supervisor),
        (people.admin.user, people.other_staff),
        (people.other_admin.user, people.staff),
        (people.no_staff_user, people.staff),
    ]
    for user, subject in refused:
        with pytest.raises(PermissionDenied):
            services.record_completion(
                user, staff=subject, course=course, completed_on=TODAY, today=TODAY
            )
    assert TrainingRecord.objects.count() == 3
    assert (
        AuditEvent.objects.filter(object_type="agencies.trainingrecord", action="create").count()
        == 3
    )


def test_completion_input_is_checked(people: Personas) -> None:
    course = TrainingCourseFactory()
    with pytest.raises(ValidationError) as future:
        services.record_completion(
            people.staff.user,
            staff=people.staff,
            course=course,
            completed_on=TODAY + timedelta(days=1),
            today=TODAY,
        )
    assert future.value.message_dict["completed_on"] == [
        "The completion date cannot be in the future."
    ]
    with pytest.raises(ValidationError) as bad_file:
        services.record_completion(
            people.staff.user,
            staff=people.staff,
            course=course,
            completed_on=TODAY,
            evidence=SimpleUploadedFile("cert.exe", b"MZ"),
            today=TODAY,
        )
    assert bad_file.value.message_dict["evidence"] == ["Upload a PDF, PNG or JPEG file."]
    retired = TrainingCourseFactory(active=False)
    with pytest.raises(ValidationError) as inactive:
        services.record_completion(
            people.staff.user, staff=people.staff, course=retired, completed_on=TODAY, today=TODAY
        )
    assert "course" in inactive.value.message_dict


def test_evidence_is_stored_with_the_record(people: Personas) -> None:
    record = services.record_completion(
        people.staff.user,
        staff=people.staff,
        course=TrainingCourseFactory(),
        completed_on=TODAY,
        evidence=SimpleUploadedFile("certificate.pdf", b"%PDF-1.4 fictional"),
        evidence_note="Certificate no. 0001",
        today=TODAY,
    )
    assert record.evidence.name.startswith("training/certificate")
    assert record.evidence.read() == b"%PDF-1.4 fictional"


def test_restrict_personas_for_training_records(people: Personas) -> None:
    mine = TrainingRecordFactory(staff=people.staff)
    colleague = TrainingRecordFactory(staff=people.supervisor)
    theirs = TrainingRecordFactory(staff=people.other_staff)

    def visible(user: object) -> set[int]:
        return set(TrainingRecord.objects.restrict(user, "view").values_list("pk", flat=True))

    assert visible(people.admin.user) == {mine.pk, colleague.pk}
    assert visible(people.supervisor.user) == {mine.pk, colleague.pk}
    assert visible(people.staff.user) == {mine.pk}
    assert visible(people.other_admin.user) == {theirs.pk}
    assert visible(people.no_staff_user) == set()


# --------------------------------------------------------------------------- alert querysets


def test_expiring_and_expired_use_only_the_latest_record_of_active_staff(people: Personas) -> None:
    course = TrainingCourseFactory()
    on = date(2026, 6, 1)
    # the officer's old record expired, but a renewal expires in 20 days: only "expiring"
    TrainingRecordFactory(
        staff=people.staff,
        course=course,
        completed_on=date(2024, 1, 1),
        expires_on=date(2025, 1, 1),
    )
    renewal = TrainingRecordFactory(
        staff=people.staff,
        course=course,
        completed_on=date(2025, 6, 21),
        expires_on=on + timedelta(days=20),
    )
    # the supervisor's record expired yesterday
    lapsed = TrainingRecordFactory(
        staff=people.supervisor,
        course=course,
        completed_on=date(2025, 5, 31),
        expires_on=on - timedelta(days=1),
    )
    # the last day of validity is still current
    TrainingRecordFactory(
        staff=people.admin, course=course, completed_on=date(2025, 6, 1), expires_on=on
    )
    # inactive staff raise nothing
    gone = StaffFactory(agency=people.agency, roles=[Role.SUPERVISION_OFFICER], active=False)
    TrainingRecordFactory(
        staff=gone, course=course, completed_on=date(2025, 1, 1), expires_on=date(2025, 6, 1)
    )

    expiring = TrainingRecord.objects.expiring(on, 30)
    expired = TrainingRecord.objects.expired(on)
    assert set(expiring.values_list("pk", flat=True)) == {
        renewal.pk,
        TrainingRecord.objects.get(staff=people.admin).pk,
    }
    assert list(expired.values_list("pk", flat=True)) == [lapsed.pk]
    assert list(TrainingRecord.objects.expiring(on, 10).filter(staff=people.staff)) == []


# --------------------------------------------------------------------------- compliance


def test_compliance_statuses(people: Personas) -> None:
    on = date(2026, 6, 1)
    course = TrainingRequirementFactory(
        role=Role.SUPERVISION_OFFICER, renewal_months=12, grace_days=30
    ).course
    supervisor_course = TrainingRequirementFactory(role=Role.SUPERVISOR, renewal_months=12).course
    admin_course = TrainingRequirementFactory(role=Role.AGENCY_ADMIN, renewal_months=12).course
    newcomer = StaffFactory(agency=people.agency, roles=[Role.SUPERVISION_OFFICER])
    veteran = StaffFactory(agency=people.agency, roles=[Role.SUPERVISION_OFFICER])
    newcomer.user.date_joined = timezone.make_aware(datetime(2026, 5, 20))
    newcomer.user.save()
    veteran.user.date_joined = timezone.make_aware(datetime(2024, 1, 1))
    veteran.user.save()
    TrainingRecordFactory(
        staff=people.staff,
        course=course,
        completed_on=date(2026, 1, 1),
        expires_on=date(2027, 1, 1),
    )
    TrainingRecordFactory(
        staff=people.supervisor,
        course=supervisor_course,
        completed_on=date(2025, 6, 15),
        expires_on=date(2026, 6, 15),
    )
    TrainingRecordFactory(
        staff=people.admin,
        course=admin_course,
        completed_on=date(2025, 5, 1),
        expires_on=date(2026, 5, 1),
    )

    summary = services.compliance(StaffFactory._meta.model.objects.filter(agency=people.agency), on)
    status = {(i.staff.pk, i.course.pk): i.status for i in summary.items}
    assert status == {
        (people.staff.pk, course.pk): "current",
        (people.supervisor.pk, supervisor_course.pk): "due",
        (people.admin.pk, admin_course.pk): "expired",
        (newcomer.pk, course.pk): "due",  # within 30 days of joining
        (veteran.pk, course.pk): "missing",
    }
    assert summary.counts == {"current": 1, "due": 2, "expired": 1, "missing": 1}


def test_compliance_query_count_does_not_grow_with_staff(
    people: Personas, django_assert_max_num_queries
) -> None:  # noqa: ANN001
    course = TrainingRequirementFactory(role=Role.SUPERVISION_OFFICER).course
    for _ in range(15):
        member = StaffFactory(agency=people.agency, roles=[Role.SUPERVISION_OFFICER])
        TrainingRecordFactory(staff=member, course=course)
    staff = StaffFactory._meta.model.objects.filter(agency=people.agency)
    with django_assert_max_num_queries(3):
        summary = services.compliance(staff, TODAY)
    assert len(summary.items) == 16


def test_requirements_are_set_per_agency(people: Personas) -> None:
    course = TrainingCourseFactory()
    req = services.set_requirement(
        people.supervisor.user, role=Role.SUPERVISION_OFFICER, course=course, renewal_months=24
    )
    again = services.set_requirement(
        people.admin.user, role=Role.SUPERVISION_OFFICER, course=course, renewal_months=12
    )
    assert req.pk == again.pk and again.renewal_months == 12 and again.agency == people.agency
    with pytest.raises(PermissionDenied):
        services.set_requirement(
            people.staff.user, role=Role.SUPERVISION_OFFICER, course=course, renewal_months=12
        )
    with pytest.raises(PermissionDenied):
        services.remove_requirement(again, people.other_admin.user)
    services.remove_requirement(again, people.supervisor.user)
    assert not services.visible_requirements(people.admin.user).exists()
