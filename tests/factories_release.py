"""Factories and a small fictional world for the release-planning tests.

`build_world()` makes a lead corrections agency with its release planner, case manager and
officer; a parole board with three members; a community supervision agency; a treatment
provider; a victim service agency with an advocate; an outsider agency; an active MOU whose
terms give the partners `assigned`-scope standing; the release-planning checklist, a
conditions catalogue and a 1,000 ft school restriction for the jurisdiction. All fictional.
"""

from __future__ import annotations

import datetime as dt
import inspect
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from agencies.choices import AgencyKind, RecordType, Role
from agencies.models import Agency, StaffMember
from agencies.vocabulary import SHAREABLE_FIELDS
from cases import geo
from cases.choices import CaseStatus, HousingStatus, ReleasePlanStatus, TeamRole
from cases.models import (
    Case,
    CaseAssignment,
    CaseGroupObjectPermission,
    HouseholdMember,
    PlanCondition,
    ReleasePlan,
    Victim,
)
from mou.choices import MOUStatus, TermScope
from mou.models import MOU, DataSharingTerm
from protocols.choices import ConditionCategory, ProtectedSiteKind
from protocols.models import (
    ChecklistItem,
    ProtectedSite,
    ResidenceRestrictionRule,
    SpecialCondition,
)
from tests.factories import (
    AgencyFactory,
    CaseFactory,
    MOUFactory,
    MOUPartyFactory,
    OffenderFactory,
    StaffFactory,
    TermFactory,
    UserFactory,
)
from tests.helpers import otp_login

JURISDICTION = "Prairie State"
HOME = (Decimal("38.900000"), Decimal("-97.600000"))  # a fictional point in the prairie
# Marker strings planted in fields a partner must never see (checked in pages, API, PDF).
SECRET_ADDRESS = "4417 Zinnia Hollow Road"
SECRET_TREATMENT = "Referral-Marker-Xylophone"
SECRET_VICTIM = "Ottoline Vantablack"
OTHER_VICTIM = "Perpetua Quillfeather"


def today() -> dt.date:
    return timezone.localdate()


class IncarceratedCaseFactory(CaseFactory):
    status = CaseStatus.INCARCERATED
    supervision_start = None
    supervision_level = ""
    jurisdiction = JURISDICTION
    expected_release_date = factory.LazyFunction(lambda: today() + dt.timedelta(days=30))


class ReleasePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReleasePlan

    case = factory.SubFactory(IncarceratedCaseFactory)
    release_date = factory.LazyFunction(lambda: today() + dt.timedelta(days=30))
    status = ReleasePlanStatus.DRAFT


class VictimFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Victim

    name = factory.Sequence(lambda n: f"Fictional Victim {n}")
    no_contact = True
    notify = True


class ProtectedSiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProtectedSite

    name = factory.Sequence(lambda n: f"Meadowlark Elementary {n}")
    kind = ProtectedSiteKind.SCHOOL
    jurisdiction = JURISDICTION
    latitude = HOME[0]
    longitude = HOME[1]


class RestrictionRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ResidenceRestrictionRule

    jurisdiction = JURISDICTION
    effective_from = dt.date(2020, 1, 1)
    site_kind = ProtectedSiteKind.SCHOOL
    distance_feet = 1000


class ChecklistItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChecklistItem

    jurisdiction = JURISDICTION
    effective_from = dt.date(2020, 1, 1)
    code = factory.Sequence(lambda n: f"item-{n}")
    text = factory.Sequence(lambda n: f"Checklist item {n}")
    component = "residence"
    required = True


class SpecialConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SpecialCondition

    jurisdiction = JURISDICTION
    effective_from = dt.date(2020, 1, 1)
    code = factory.Sequence(lambda n: f"cond-{n}")
    version = 1
    category = ConditionCategory.OTHER
    title = factory.Sequence(lambda n: f"Condition {n}")
    text = "Condition text."


def site_at_feet(feet: float, **kwargs: Any) -> ProtectedSite:
    """A protected site `feet` due north of HOME (haversine is exact along a meridian)."""
    lat = Decimal(str(round(geo.offset_north(HOME[0], feet), 6)))
    return ProtectedSiteFactory(latitude=lat, longitude=HOME[1], **kwargs)


CHECKLIST = [
    ("residence", "Proposed residence identified", "residence"),
    ("home-visit", "Home investigation completed and residence approved", "home_investigation"),
    ("restriction", "Residence-restriction check passed", "residence_restriction"),
    ("treatment", "Treatment referral and intake appointment", "treatment"),
    ("employment", "Employment or income identified", "employment"),
    ("victim-safety", "Victim safety and notification wishes recorded", "victim_safety"),
    ("conditions", "Special conditions chosen", "special_conditions"),
    ("transition", "Transition services arranged", "transition_services"),
    ("pre-registration", "Pre-registered with the registry", "pre_registration"),
    ("supervision", "Supervising agency assigned", "supervision"),
]


@dataclass
class World:
    lead: Agency
    planner: StaffMember
    case_manager: StaffMember
    lead_officer: StaffMember
    supervision: Agency
    officer: StaffMember
    board: Agency
    board_members: list[StaffMember]
    victim_agency: Agency
    advocate: StaffMember
    treatment: Agency
    outsider: StaffMember
    mou: MOU
    polygraph: SpecialCondition
    gps: SpecialCondition
    no_contact: SpecialCondition


def staff(agency: Agency, *roles: str, **kwargs: Any) -> StaffMember:
    return StaffFactory(agency=agency, roles=list(roles), **kwargs)


def build_world(*, checklist: bool = True, restriction: bool = True) -> World:
    lead = AgencyFactory(kind=AgencyKind.CORRECTIONS, jurisdiction=JURISDICTION)
    supervision = AgencyFactory(kind=AgencyKind.COMMUNITY_SUPERVISION)
    board = AgencyFactory(kind=AgencyKind.PAROLE_BOARD)
    victim_agency = AgencyFactory(
        kind=AgencyKind.VICTIM_SERVICES, email="notices@harbor-victims.example"
    )
    treatment = AgencyFactory(kind=AgencyKind.TREATMENT_PROVIDER)
    outsider_agency = AgencyFactory(kind=AgencyKind.CORRECTIONS)
    mou = MOUFactory(
        drafted_by=lead,
        status=MOUStatus.ACTIVE,
        effective_date=today() - dt.timedelta(days=60),
        expiration_date=today() + dt.timedelta(days=365),
    )
    for agency in (lead, supervision, board, victim_agency, treatment):
        MOUPartyFactory(mou=mou, agency=agency)

    def term(recipient: Agency, record_type: str, fields: Any, actions: list[str]) -> None:
        TermFactory(
            mou=mou,
            provider=lead,
            recipient=recipient,
            record_type=record_type,
            fields=list(fields),
            actions=actions,
            scope=TermScope.ASSIGNED,
        )

    rt = RecordType
    term(board, rt.RELEASE_PLANS, SHAREABLE_FIELDS[rt.RELEASE_PLANS], ["view"])
    term(board, rt.BOARD_DECISIONS, SHAREABLE_FIELDS[rt.BOARD_DECISIONS], ["view", "add"])
    term(board, rt.IDENTITY, ["first_name", "last_name", "date_of_birth"], ["view"])
    term(board, rt.STATUS, ["status", "expected_release_date"], ["view"])
    term(board, rt.VICTIM_SAFETY, ["exclusion_zones", "victim_conditions"], ["view"])
    term(victim_agency, rt.RELEASE_PLANS, ["status", "release_date"], ["view"])
    term(victim_agency, rt.VICTIM_SAFETY, SHAREABLE_FIELDS[rt.VICTIM_SAFETY], ["view"])
    # The term shares the rationale, but a victim notice never carries it (victim-safe only).
    term(
        victim_agency,
        rt.BOARD_DECISIONS,
        ["decision", "decided_on", "conditions", "rationale"],
        ["view"],
    )
    term(victim_agency, rt.IDENTITY, ["first_name", "last_name"], ["view"])
    term(victim_agency, rt.STATUS, ["status", "release_date"], ["view"])
    term(supervision, rt.RELEASE_PLANS, SHAREABLE_FIELDS[rt.RELEASE_PLANS], ["view", "change"])
    term(supervision, rt.STATUS, SHAREABLE_FIELDS[rt.STATUS], ["view", "change"])
    term(supervision, rt.VICTIM_SAFETY, SHAREABLE_FIELDS[rt.VICTIM_SAFETY], ["view"])

    if checklist:
        for order, (code, text, component) in enumerate(CHECKLIST):
            ChecklistItemFactory(code=code, text=text, component=component, order=order)
    if restriction:
        RestrictionRuleFactory()
    polygraph = SpecialConditionFactory(
        code="polygraph", category=ConditionCategory.POLYGRAPH, title="Maintenance polygraph"
    )
    gps = SpecialConditionFactory(
        code="gps", category=ConditionCategory.MONITORING, title="GPS monitoring with curfew"
    )
    no_contact = SpecialConditionFactory(
        code="no-contact-victim",
        category=ConditionCategory.VICTIM,
        title="No contact with the victim",
        protects_victim=True,
    )
    return World(
        lead=lead,
        planner=staff(lead, Role.RELEASE_PLANNER),
        case_manager=staff(lead, Role.CASE_MANAGER),
        lead_officer=staff(lead, Role.SUPERVISION_OFFICER),
        supervision=supervision,
        officer=staff(supervision, Role.SUPERVISION_OFFICER, phone="555-0142"),
        board=board,
        board_members=[staff(board, Role.BOARD_MEMBER) for _ in range(3)],
        victim_agency=victim_agency,
        advocate=staff(victim_agency, Role.VICTIM_ADVOCATE),
        treatment=treatment,
        outsider=staff(outsider_agency, Role.CASE_MANAGER),
        mou=mou,
        polygraph=polygraph,
        gps=gps,
        no_contact=no_contact,
    )


def new_case(world: World, **kwargs: Any) -> Case:
    """An incarcerated case of the lead agency, with the victim agency on its team."""
    case = IncarceratedCaseFactory(
        lead_agency=world.lead,
        offender=OffenderFactory(first_name="Barnaby", last_name="Fictitious"),
        **kwargs,
    )
    CaseAssignment.objects.create(
        case=case, agency=world.victim_agency, role=TeamRole.VICTIM_ADVOCATE
    )
    return case


def new_plan(world: World, **kwargs: Any) -> ReleasePlan:
    case = kwargs.pop("case", None) or new_case(world)
    return ReleasePlanFactory(case=case, planner=world.planner, **kwargs)


def complete_plan(world: World, plan: ReleasePlan) -> ReleasePlan:
    """Fill every component so that every checklist item is met (direct ORM set-up)."""
    from cases.services.release import residence_restriction_check

    ReleasePlan.objects.filter(pk=plan.pk).update(
        residence_address=SECRET_ADDRESS,
        residence_city="Wheatfield",
        residence_latitude=HOME[0],
        residence_longitude=HOME[1],
        housing_status=HousingStatus.WITH_FAMILY,
        landlord="Cousin (owner-occupied)",
        residence_approved=True,
        home_investigated_by=world.lead_officer,
        home_investigated_on=today(),
        treatment_referral=SECRET_TREATMENT,
        treatment_provider=world.treatment,
        treatment_intake_date=today() + dt.timedelta(days=35),
        employment="Grain elevator, night shift",
        income_source="Wages",
        transportation="Bus pass",
        support_network="Brother; church mentor",
        exclusion_zones="Riverside Park and the 200 block of Elm Street",
        notification_wishes="Victim asked to be told of any release by phone.",
        transition_services={
            "id": "State ID ordered",
            "benefits": "SNAP application filed",
            "medication": "30-day supply",
            "first_appointments": "Officer on day 1; intake day 5",
        },
        pre_registered=True,
        supervision_agency=world.supervision,
        supervision_officer=world.officer,
    )
    plan.refresh_from_db()
    HouseholdMember.objects.create(
        plan=plan, case=plan.case, name="Marigold Fictitious", relationship="cousin", age=44
    )
    PlanCondition.objects.create(plan=plan, case=plan.case, condition=world.polygraph)
    PlanCondition.objects.create(
        plan=plan, case=plan.case, condition=world.no_contact, details="No contact of any kind."
    )
    ReleasePlan.objects.filter(pk=plan.pk).update(
        restriction_check=residence_restriction_check(plan)
    )
    plan.refresh_from_db()
    return plan


def add_victims(world: World, case: Case) -> None:
    VictimFactory(case=case, name=SECRET_VICTIM, advocate_agency=world.victim_agency)
    VictimFactory(case=case, name=OTHER_VICTIM, advocate_agency=None)


def fresh(staff_member: StaffMember) -> Any:
    """A new user object (per-request access caches start empty, as in a real request)."""
    return get_user_model().objects.get(pk=staff_member.user_id)


def sync_access() -> None:
    """Derive guardian grants from the in-force MOU terms and case teams.

    Uses cases.access.sync_grants when the access work provides one callable without
    arguments; otherwise writes the same rows directly (grants are derived state).
    """
    from cases import access

    sync = getattr(access, "sync_grants", None)
    if sync is not None:
        try:
            inspect.signature(sync).bind()
        except TypeError:
            sync = None
    if sync is not None:
        sync()
        return
    on = today()
    for term in DataSharingTerm.objects.in_force(on).select_related("recipient"):
        cases = Case.objects.filter(lead_agency_id=term.provider_id)
        if term.scope == TermScope.ASSIGNED:
            cases = cases.filter(
                pk__in=CaseAssignment.objects.filter(
                    agency_id=term.recipient_id, end_date__isnull=True
                ).values("case_id")
            )
        for case in cases:
            for action in term.actions:
                permission = Permission.objects.get(
                    content_type__app_label="cases",
                    codename=f"{action}_{term.record_type}",
                )
                CaseGroupObjectPermission.objects.get_or_create(
                    group_id=term.recipient.group_id, permission=permission, content_object=case
                )


def login(client: Any, staff_member: StaffMember) -> Any:
    otp_login(client, staff_member.user)
    return client


__all__ = [
    "CHECKLIST",
    "HOME",
    "JURISDICTION",
    "OTHER_VICTIM",
    "SECRET_ADDRESS",
    "SECRET_TREATMENT",
    "SECRET_VICTIM",
    "ChecklistItemFactory",
    "IncarceratedCaseFactory",
    "ProtectedSiteFactory",
    "ReleasePlanFactory",
    "RestrictionRuleFactory",
    "SpecialConditionFactory",
    "UserFactory",
    "VictimFactory",
    "World",
    "add_victims",
    "build_world",
    "complete_plan",
    "fresh",
    "login",
    "new_case",
    "new_plan",
    "site_at_feet",
    "staff",
    "sync_access",
    "today",
]
