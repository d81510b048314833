"""Factories and scenario builders for supervision contacts, treatment and polygraph tests.

Fictional data only. `share(...)` stands in for the access topic's grant sync: it creates an
active MOU term and the guardian grants that term implies on one case.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

import factory
from django.conf import settings
from django.contrib.auth.models import Permission

from agencies.choices import AgencyKind, RecordType, Role, permission_codename
from cases.choices import (
    ContactOutcome,
    ContactType,
    PolygraphResult,
    PolygraphType,
    Rating,
    TeamRole,
)
from cases.models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    PolygraphExam,
    SupervisionContact,
    TreatmentEnrollment,
    TreatmentReport,
)
from mou.choices import MOUStatus, TermScope
from protocols.models import ContactStandard, Holiday
from tests.factories import (
    AgencyFactory,
    CaseFactory,
    MOUFactory,
    StaffFactory,
    TermFactory,
    UserFactory,
)
from tests.factories_access import implied_grants


def local_dt(day: dt.date, hour: int = 10, minute: int = 0) -> dt.datetime:
    """An aware datetime on a local calendar day (compliance counts local dates)."""
    return dt.datetime(
        day.year, day.month, day.day, hour, minute, tzinfo=ZoneInfo(settings.TIME_ZONE)
    )


class ContactStandardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactStandard

    jurisdiction = ""
    effective_from = dt.date(2020, 1, 1)
    effective_to = None
    supervision_level = "moderate"
    requirement = "face_to_face"
    count = 1
    period_days = 30
    initial_deadline = None
    initial_in_business_days = False


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday

    jurisdiction = ""
    date = dt.date(2026, 7, 3)
    name = factory.Sequence(lambda n: f"Holiday {n}")


class SupervisionContactFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SupervisionContact

    case = factory.SubFactory(CaseFactory)
    contact_at = factory.LazyFunction(lambda: local_dt(dt.date(2026, 2, 2)))
    contact_type = ContactType.OFFICE
    face_to_face = True
    location = "District office"
    outcome = ContactOutcome.COMPLETED
    notes = "Reviewed conditions; no concerns."


class TreatmentEnrollmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentEnrollment

    case = factory.SubFactory(CaseFactory)
    provider = factory.SubFactory(AgencyFactory, kind=AgencyKind.TREATMENT_PROVIDER)
    program = "Outpatient sex offense specific treatment"
    intake_date = dt.date(2026, 1, 12)
    expected_completion = dt.date(2027, 1, 12)


class TreatmentReportFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TreatmentReport

    enrollment = factory.SubFactory(TreatmentEnrollmentFactory)
    case = factory.LazyAttribute(lambda o: o.enrollment.case)
    month = dt.date(2026, 2, 1)
    sessions_scheduled = 4
    sessions_attended = 4
    participation = Rating.GOOD
    progress = Rating.FAIR
    concerns = "Minimizes offense in group."


class PolygraphExamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PolygraphExam

    case = factory.SubFactory(CaseFactory)
    exam_type = PolygraphType.MAINTENANCE
    exam_date = dt.date(2026, 2, 10)
    examiner = "Examiner R. Quill"
    result = PolygraphResult.NDI
    disclosures = "Admitted two visits to a park (fictional)."
    flagged = True
    notes = "Follow up with treatment provider."


# Defaults from the Idaho SOP table in domain.md: (level, requirement) -> (count, days, initial, business)
DEFAULT_STANDARDS: dict[tuple[str, str], tuple[int, int, int | None, bool]] = {
    ("low", "face_to_face"): (1, 90, 3, True),
    ("moderate", "face_to_face"): (1, 30, 3, True),
    ("high", "face_to_face"): (2, 30, 3, True),
    ("low", "home_visit"): (1, 90, 30, False),
    ("moderate", "home_visit"): (1, 60, 30, False),
    ("high", "home_visit"): (1, 30, 30, False),
    ("low", "treatment_collateral"): (1, 90, 14, False),
    ("moderate", "treatment_collateral"): (1, 30, 14, False),
    ("high", "treatment_collateral"): (1, 30, 14, False),
    ("low", "employment_verification"): (1, 60, None, False),
    ("moderate", "employment_verification"): (1, 60, None, False),
    ("high", "employment_verification"): (1, 30, None, False),
}


def default_contact_standards(
    effective_from: dt.date = dt.date(2020, 1, 1),
    effective_to: dt.date | None = None,
    jurisdiction: str = "",
) -> list[ContactStandard]:
    return [
        ContactStandardFactory(
            jurisdiction=jurisdiction,
            effective_from=effective_from,
            effective_to=effective_to,
            supervision_level=level,
            requirement=requirement,
            count=count,
            period_days=days,
            initial_deadline=initial,
            initial_in_business_days=business,
        )
        for (level, requirement), (count, days, initial, business) in DEFAULT_STANDARDS.items()
    ]


def staff_user(agency: Any, *roles: str) -> Any:
    """A user with a StaffMember row at `agency` holding `roles`."""
    return StaffFactory(agency=agency, roles=list(roles) or [Role.CASE_MANAGER]).user


def grant(case: Case, agency: Any, action: str, record_type: str) -> None:
    permission = Permission.objects.get(
        content_type__app_label="cases",
        content_type__model="case",
        codename=permission_codename(action, record_type),
    )
    CaseGroupObjectPermission.objects.get_or_create(
        group=agency.group, permission=permission, content_object=case
    )


def share(
    case: Case,
    recipient: Any,
    record_type: str,
    fields: list[str],
    actions: tuple[str, ...] = ("view",),
    scope: str = TermScope.ALL,
) -> Any:
    """An active MOU term lead agency → recipient, plus the grants it implies on `case`."""
    mou = MOUFactory(drafted_by=case.lead_agency, status=MOUStatus.ACTIVE)
    term = TermFactory(
        mou=mou,
        provider=case.lead_agency,
        recipient=recipient,
        record_type=record_type,
        fields=fields,
        actions=list(actions),
        scope=scope,
    )
    if (
        scope == TermScope.ASSIGNED
        and not CaseAssignment.objects.filter(
            case=case, agency=recipient, end_date__isnull=True
        ).exists()
    ):
        CaseAssignment.objects.create(case=case, agency=recipient, role=TeamRole.OTHER)
    implied_grants(term, case)
    return term


@dataclass
class World:
    """A lead agency case with its officer, a partner treatment provider and outsiders."""

    lead: Any
    case: Case
    officer: Any  # lead-agency supervision officer (user)
    case_manager: Any
    provider_agency: Any
    provider: Any  # treatment-provider user at the partner agency
    enrollment: TreatmentEnrollment
    advocate_agency: Any
    advocate: Any
    outsider: Any


def build_world(*, provider_can_add: bool = True) -> World:
    """Persona scenario: lead officer; partner treatment provider (with or without an `add`
    MOU term); a victim advocate who sees status only; an outsider with no MOU."""
    lead = AgencyFactory(kind=AgencyKind.COMMUNITY_SUPERVISION)
    officer = staff_user(lead, Role.SUPERVISION_OFFICER)
    case_manager = staff_user(lead, Role.CASE_MANAGER)
    case = CaseFactory(
        lead_agency=lead,
        officer=officer.staff,
        case_manager=case_manager.staff,
        supervision_start=dt.date(2026, 1, 5),
        supervision_level="moderate",
    )
    provider_agency = AgencyFactory(kind=AgencyKind.TREATMENT_PROVIDER)
    provider = staff_user(provider_agency, Role.TREATMENT_PROVIDER)
    enrollment = TreatmentEnrollmentFactory(case=case, provider=provider_agency)
    share(
        case,
        provider_agency,
        RecordType.TREATMENT,
        ["provider_name", "program", "intake_date", "discharge_status", "reports"],
        actions=("view", "add") if provider_can_add else ("view",),
    )
    share(case, provider_agency, RecordType.STATUS, ["status", "officer_name"])
    advocate_agency = AgencyFactory(kind=AgencyKind.VICTIM_SERVICES)
    advocate = staff_user(advocate_agency, Role.VICTIM_ADVOCATE)
    share(case, advocate_agency, RecordType.STATUS, ["status", "officer_name", "officer_phone"])
    outsider = staff_user(AgencyFactory(), Role.CASE_MANAGER, Role.SUPERVISION_OFFICER)
    return World(
        lead=lead,
        case=case,
        officer=officer,
        case_manager=case_manager,
        provider_agency=provider_agency,
        provider=provider,
        enrollment=enrollment,
        advocate_agency=advocate_agency,
        advocate=advocate,
        outsider=outsider,
    )


__all__ = [
    "ContactStandardFactory",
    "HolidayFactory",
    "PolygraphExamFactory",
    "SupervisionContactFactory",
    "TreatmentEnrollmentFactory",
    "TreatmentReportFactory",
    "UserFactory",
    "build_world",
    "default_contact_standards",
    "grant",
    "local_dt",
    "share",
    "staff_user",
]
