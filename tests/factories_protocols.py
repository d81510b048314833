"""Factories and personas for protocols, standards and training tests (fictional data only)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import factory

from agencies.choices import Role
from agencies.models import TrainingCourse, TrainingRecord, TrainingRequirement
from protocols.choices import (
    ContactRequirement,
    ProtocolArea,
    RegistrationRule,
    SupervisionLevel,
    VersionStatus,
)
from protocols.models import ContactStandard, Protocol, ProtocolVersion, RegistrationSchedule
from tests.factories import AgencyFactory, StaffFactory, UserFactory


class ProtocolFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Protocol

    area = ProtocolArea.SUPERVISION
    title = factory.Sequence(lambda n: f"Supervision protocol {n}")
    summary = "How officers supervise registrants in the community."
    applies_to_roles = factory.LazyFunction(lambda: [Role.SUPERVISION_OFFICER])


class ProtocolVersionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProtocolVersion

    protocol = factory.SubFactory(ProtocolFactory)
    number = factory.Sequence(lambda n: n + 1)
    body = "# Supervision\n\nMeet the person face to face."
    status = VersionStatus.DRAFT


class ContactStandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactStandard

    jurisdiction = ""
    supervision_level = SupervisionLevel.MODERATE
    requirement = ContactRequirement.FACE_TO_FACE
    count = 1
    period_days = 30
    effective_from = dt.date(2025, 1, 1)


class RegistrationScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegistrationSchedule

    jurisdiction = ""
    tier = "II"
    rule = RegistrationRule.INTERVAL_MONTHS
    interval = 6
    period_years = 25
    effective_from = dt.date(2025, 1, 1)


class TrainingCourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingCourse

    title = factory.Sequence(lambda n: f"Static-99R coding workshop {n}")
    hours = 8


class TrainingRequirementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingRequirement

    role = Role.SUPERVISION_OFFICER
    course = factory.SubFactory(TrainingCourseFactory)
    renewal_months = 12
    grace_days = 30


class TrainingRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TrainingRecord

    staff = factory.SubFactory(StaffFactory)
    course = factory.SubFactory(TrainingCourseFactory)
    completed_on = dt.date(2026, 1, 10)


@dataclass
class Personas:
    """Agency A's administrator, supervisor and officer; agency B's administrator and officer;
    a signed-in user with no staff record."""

    agency: Any
    other_agency: Any
    admin: Any
    supervisor: Any
    staff: Any
    other_admin: Any
    other_staff: Any
    no_staff_user: Any


def make_personas() -> Personas:
    agency = AgencyFactory(name="Prairie Dept. of Corrections (test)", short_name="PDOCT")
    other = AgencyFactory(name="Harbor Victim Services (test)", short_name="HVST")
    return Personas(
        agency=agency,
        other_agency=other,
        admin=StaffFactory(agency=agency, roles=[Role.AGENCY_ADMIN]),
        supervisor=StaffFactory(agency=agency, roles=[Role.SUPERVISOR]),
        staff=StaffFactory(agency=agency, roles=[Role.SUPERVISION_OFFICER]),
        other_admin=StaffFactory(agency=other, roles=[Role.AGENCY_ADMIN]),
        other_staff=StaffFactory(agency=other, roles=[Role.SUPERVISION_OFFICER]),
        no_staff_user=UserFactory(),
    )
