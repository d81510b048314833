"""Factories and small builders for registration and alert tests (fictional data only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import factory

from agencies.choices import Action, AgencyKind, Role
from agencies.models import Agency, StaffMember, TrainingCourse, TrainingRecord
from cases.choices import RegistrationStatus
from cases.models import (
    AddressVerification,
    Case,
    CaseAssignment,
    RegistrationEvent,
    RegistrationRecord,
    ReleasePlan,
    RiskAssessment,
    TreatmentEnrollment,
    TreatmentReport,
)
from cases.querysets import _PERMISSION_IDS
from mou.choices import MOUStatus, TermScope
from mou.models import MOU, DataSharingTerm, MOUParty
from protocols.choices import RegistrationRule, Tier
from protocols.models import AlertSetting, Holiday, Instrument, RegistrationSchedule
from tests.factories import AgencyFactory, CaseFactory, StaffFactory, UserFactory
from tests.factories_access import implied_grants

EPOCH = dt.date(2020, 1, 1)


def staff(agency: Agency, *roles: str, supervisor: StaffMember | None = None, **kw) -> StaffMember:
    """A staff member with an email address (for digests) in `agency` holding `roles`."""
    user = UserFactory()
    user.email = f"{user.username}@example.test"
    user.save(update_fields=["email"])
    return StaffFactory(
        user=user,
        agency=agency,
        roles=list(roles or [Role.CASE_MANAGER]),
        supervisor=supervisor,
        **kw,
    )


def sorna_schedules(jurisdiction: str = "") -> list[RegistrationSchedule]:
    """The SORNA defaults as protocol data: tier I 12 months/15 years, II 6/25, III 3/life."""
    rows = []
    for tier, months, years in ((Tier.I, 12, 15), (Tier.II, 6, 25), (Tier.III, 3, None)):
        rows.append(
            RegistrationSchedule.objects.create(
                jurisdiction=jurisdiction,
                effective_from=EPOCH,
                tier=tier,
                rule=RegistrationRule.INTERVAL_MONTHS,
                interval=months,
                period_years=years,
                due_soon_days=14,
                report_change_business_days=3,
            )
        )
    return rows


def kora_schedules(jurisdiction: str = "Kansas") -> list[RegistrationSchedule]:
    """KORA: four reports a year from the birth month; transient registrants every 30 days."""
    return [
        RegistrationSchedule.objects.create(
            jurisdiction=jurisdiction,
            effective_from=EPOCH,
            tier="",
            rule=RegistrationRule.BIRTH_MONTH_QUARTERLY,
            interval=3,
            due_soon_days=10,
        ),
        RegistrationSchedule.objects.create(
            jurisdiction=jurisdiction,
            effective_from=EPOCH,
            tier="",
            rule=RegistrationRule.TRANSIENT_DAYS,
            interval=30,
            applies_to_transient=True,
            due_soon_days=7,
        ),
    ]


def alert_setting(rule: str, jurisdiction: str = "", **values) -> AlertSetting:
    return AlertSetting.objects.create(
        rule=rule, jurisdiction=jurisdiction, effective_from=EPOCH, **values
    )


def holiday(day: dt.date, name: str = "Statehood Day", jurisdiction: str = "") -> Holiday:
    return Holiday.objects.create(date=day, name=name, jurisdiction=jurisdiction)


class RegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegistrationRecord

    case = factory.SubFactory(CaseFactory)
    registering_agency = factory.SelfAttribute("case.lead_agency")
    tier = Tier.II
    jurisdiction = "Prairie State"
    start_date = dt.date(2025, 6, 1)
    period_years = 25
    status = RegistrationStatus.COMPLIANT
    next_verification_due = dt.date(2026, 6, 1)


class EventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegistrationEvent

    registration = factory.SubFactory(RegistrationFactory)
    case = factory.SelfAttribute("registration.case")
    kind = "residence"
    changed_on = dt.date(2026, 1, 5)
    reported_on = dt.date(2026, 1, 6)
    due_by = dt.date(2026, 1, 8)
    late = False


class VerificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AddressVerification

    registration = factory.SubFactory(RegistrationFactory)
    case = factory.SelfAttribute("registration.case")
    verified_on = dt.date(2026, 1, 10)
    address = "12 Prairie Lane, Meadowton"
    result = "verified"


def instrument(code: str = "static99r", name: str = "Static-99R") -> Instrument:
    found = Instrument.objects.filter(code=code, version=1).first()
    return found or Instrument.objects.create(
        code=code, name=name, kind="static", definition={"items": [], "bands": []}, builtin=True
    )


def assessment(
    case: Case, *, assessed_on: dt.date, next_due: dt.date | None, **kw
) -> RiskAssessment:
    return RiskAssessment.objects.create(
        case=case,
        instrument=kw.pop("instrument", None) or instrument(),
        assessed_on=assessed_on,
        answers={},
        total_score=kw.pop("total_score", 6),
        computed_level=kw.pop("level", "IVb"),
        final_level=kw.pop("final_level", "IVb"),
        next_due=next_due,
        **kw,
    )


def release_plan(case: Case, status: str = "draft", **kw) -> ReleasePlan:
    return ReleasePlan.objects.create(
        case=case, status=status, release_date=case.expected_release_date, **kw
    )


def enrollment(case: Case, provider: Agency | None = None, **kw) -> TreatmentEnrollment:
    return TreatmentEnrollment.objects.create(
        case=case,
        provider=provider or AgencyFactory(kind=AgencyKind.TREATMENT_PROVIDER),
        program=kw.pop("program", "Outpatient sex offender treatment"),
        intake_date=kw.pop("intake_date", dt.date(2025, 9, 1)),
        **kw,
    )


def treatment_report(enrollment_: TreatmentEnrollment, month: dt.date) -> TreatmentReport:
    return TreatmentReport.objects.create(
        enrollment=enrollment_,
        case=enrollment_.case,
        month=month,
        sessions_scheduled=4,
        sessions_attended=4,
        participation="good",
        progress="fair",
    )


def training(member: StaffMember, course: TrainingCourse | None = None, **kw) -> TrainingRecord:
    course = course or TrainingCourse.objects.get_or_create(title="Static-99R coding")[0]
    return TrainingRecord.objects.create(staff=member, course=course, **kw)


def share(
    case: Case,
    recipient: Agency,
    record_type: str,
    fields: Iterable[str],
    actions: Iterable[str] = (Action.VIEW,),
    scope: str = TermScope.ALL,
    on: dt.date = dt.date(2026, 1, 1),
) -> DataSharingTerm:
    """An active MOU term from the case's lead agency to `recipient`, plus the guardian grants
    the access sync would derive from it (the access topic owns sync_grants)."""
    # A transactional test's flush recreates auth permissions with new ids; the per-process
    # id cache of restrict() must not keep the old ones.
    _PERMISSION_IDS.clear()
    provider = case.lead_agency
    mou = MOU.objects.create(
        title=f"MOU {provider.short_name}-{recipient.short_name}-{record_type}-{case.pk}",
        purpose="Coordinate sex offender management.",
        effective_date=on,
        expiration_date=on.replace(year=on.year + 3),
        status=MOUStatus.ACTIVE,
        drafted_by=provider,
    )
    MOUParty.objects.create(mou=mou, agency=provider)
    MOUParty.objects.create(mou=mou, agency=recipient)
    actions = list(actions)
    term = DataSharingTerm.objects.create(
        mou=mou,
        provider=provider,
        recipient=recipient,
        record_type=record_type,
        fields=list(fields),
        actions=actions,
        scope=scope,
    )
    implied_grants(term, case)
    return term


def on_team(case: Case, member: StaffMember, role: str) -> CaseAssignment:
    return CaseAssignment.objects.create(
        case=case, agency=member.agency, staff=member, role=role, start_date=dt.date(2025, 1, 1)
    )


def registration_world():
    """Personas around one supervised case led by the Department of Corrections.

    - lead (DOC): case manager, supervision officer, supervisor, registry officer
    - sheriff: the registering agency; its deputy (registry officer) is on the case team and
      an MOU term shares every registration field with view/add/change
    - partner (community corrections): a registration term limited to tier, status and
      next_verification_due (view only)
    - advocate (victim services): status and victim-safety terms only — no registration
    - outsider: a registry officer of an agency with no MOU
    """
    from types import SimpleNamespace

    from agencies.vocabulary import SHAREABLE_FIELDS

    doc = AgencyFactory(name="Prairie State Department of Corrections", short_name="PSDOC")
    sheriff = AgencyFactory(
        name="Meadow County Sheriff", short_name="MCSO", kind=AgencyKind.LAW_ENFORCEMENT
    )
    partner_agency = AgencyFactory(
        name="Meadow County Community Corrections",
        short_name="MCCC",
        kind=AgencyKind.COMMUNITY_SUPERVISION,
    )
    victim_services = AgencyFactory(
        name="Prairie Rose Advocacy Center", short_name="PRAC", kind=AgencyKind.VICTIM_SERVICES
    )
    outsider_agency = AgencyFactory(
        name="Far County Sheriff", short_name="FCSO", kind=AgencyKind.LAW_ENFORCEMENT
    )
    supervisor = staff(doc, Role.SUPERVISOR)
    manager = staff(doc, Role.CASE_MANAGER, supervisor=supervisor)
    officer = staff(doc, Role.SUPERVISION_OFFICER, supervisor=supervisor)
    doc_registrar = staff(doc, Role.REGISTRY_OFFICER)
    deputy = staff(sheriff, Role.REGISTRY_OFFICER)
    sheriff_supervisor = staff(sheriff, Role.SUPERVISOR)
    partner = staff(partner_agency, Role.SUPERVISION_OFFICER)
    advocate = staff(victim_services, Role.VICTIM_ADVOCATE)
    outsider = staff(outsider_agency, Role.REGISTRY_OFFICER)
    case = CaseFactory(lead_agency=doc, case_manager=manager, officer=officer)
    on_team(case, deputy, "registry")
    share(
        case,
        sheriff,
        "registration",
        SHAREABLE_FIELDS["registration"],
        [Action.VIEW, Action.ADD, Action.CHANGE],
        scope=TermScope.ASSIGNED,
    )
    share(case, sheriff, "status", ["status", "officer_name", "officer_phone"])
    share(case, partner_agency, "registration", ["tier", "status", "next_verification_due"])
    share(case, partner_agency, "status", ["status"])
    share(case, victim_services, "status", ["status", "release_date", "officer_name"])
    share(case, victim_services, "victim_safety", ["no_contact_persons", "status"])
    registration = RegistrationFactory(
        case=case,
        registering_agency=sheriff,
        tier=Tier.II,
        jurisdiction="Prairie State",
        next_verification_due=dt.date(2026, 3, 20),
    )
    EventFactory(registration=registration, details="Moved to 4 Birch Road")
    VerificationFactory(registration=registration, verified_on=dt.date(2026, 2, 1))
    return SimpleNamespace(
        doc=doc,
        sheriff=sheriff,
        partner_agency=partner_agency,
        victim_services=victim_services,
        outsider_agency=outsider_agency,
        supervisor=supervisor,
        manager=manager,
        officer=officer,
        doc_registrar=doc_registrar,
        deputy=deputy,
        sheriff_supervisor=sheriff_supervisor,
        partner=partner,
        advocate=advocate,
        outsider=outsider,
        case=case,
        registration=registration,
    )
