"""The registry of resources the authorization matrix and the leak test cover.

A new resource joins every persona × channel check by adding ONE `Resource(...)` row to
RESOURCES: its record type, serializer, a factory for a sample object on the world's case,
its API route name, a write payload (and the headers a write needs, e.g. If-Match), and (if it
has them) its page routes: a list page, a detail page, and the case's page for the record type.
The expected fields come from the personas' `sees` for the record type.

Release planning joins with three rows (release_plan, board_decision, alert);
test_access_release.py adds the plan's POST actions and the board-referral email, persona by
persona.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.db import models
from django.urls import reverse

from agencies.choices import RecordType
from cases.api.access import CaseSerializer, OffenderSerializer
from cases.api.alerts import AlertSerializer
from cases.api.assessments import CasePlanGoalSerializer, RiskAssessmentSerializer
from cases.api.contacts import (
    PolygraphExamSerializer,
    SupervisionContactSerializer,
    TreatmentEnrollmentSerializer,
    TreatmentReportSerializer,
)
from cases.api.registration import (
    AddressVerificationSerializer,
    RegistrationEventSerializer,
    RegistrationRecordSerializer,
)
from cases.api.release import BoardDecisionSerializer, ReleasePlanSerializer
from cases.models import (
    AddressVerification,
    Alert,
    BoardDecision,
    Case,
    CasePlanGoal,
    Offender,
    PolygraphExam,
    RegistrationEvent,
    RegistrationRecord,
    ReleasePlan,
    RiskAssessment,
    SupervisionContact,
    TreatmentEnrollment,
    TreatmentReport,
)
from cases.services.release import PLAN_FIELD_SOURCES
from tests.authz.personas import Every, Persona
from tests.authz.world import World


@dataclass(frozen=True)
class Resource:
    name: str
    record_type: str
    serializer: type
    sample: Callable[[World], models.Model]  # the sample object (on the world's case)
    api_basename: str  # router basename: <basename>-list, -detail, -export
    write: dict[str, Any]  # a PATCH with one vocabulary field ({} when `immutable`)
    read_back: Callable[[models.Model], Any]  # the written value, re-read from the database
    written: Any = None  # what read_back gives after the write (None: the payload's one value)
    # why the resource offers no PATCH at all: then every signed-in persona gets 405 and nothing
    # changes (the channel is still checked, never skipped)
    immutable: str = ""
    # output fields shown with a vocabulary field rather than under their own name
    # (e.g. an exam's `flagged` with `disclosures`, a report's fields with `reports`)
    derived: dict[str, str] = field(default_factory=dict)
    page_list: str | None = None  # url name of a list page showing the object
    page_detail: str | None = None  # url name of its detail page (pk argument)
    page_text: Callable[[models.Model], str] = lambda obj: str(obj.pk)  # shows it's listed
    # url name of the per-case page listing records of this type (case pk argument)
    page_case: str | None = None
    # request headers a write needs (e.g. If-Match with the object's current version)
    write_headers: Callable[[models.Model], dict[str, str]] = lambda obj: {}
    always: tuple[str, ...] = ("id",)
    extra_keys: Callable[[Persona], set[str]] = field(default=lambda persona: set())

    @cached_property
    def api_fields(self) -> set[str]:
        # the fields a read renders (write-only inputs such as an assessor id are not shown)
        return {name for name, f in self.serializer().fields.items() if not f.write_only}

    def expected_keys(self, persona: Persona) -> set[str] | None:
        """The exact keys of the API representation for `persona`; None: invisible."""
        fields = persona.fields(self.record_type)
        if fields is None:
            return None
        if isinstance(fields, Every):
            names = self.api_fields
        else:
            shown = set(fields) | {name for name, gate in self.derived.items() if gate in fields}
            names = self.api_fields & shown
        return names | set(self.always) | self.extra_keys(persona)

    def expected_write(self) -> Any:
        if self.written is not None:
            return self.written
        [(_, value)] = self.write.items()
        return value

    def api_list(self) -> str:
        return reverse(f"{self.api_basename}-list")

    def api_detail(self, obj: models.Model) -> str:
        return reverse(f"{self.api_basename}-detail", args=[obj.pk])

    def api_export(self) -> str:
        return reverse(f"{self.api_basename}-export")

    def channels(self) -> list[str]:
        found = ["api_list", "api_detail", "api_write", "export"]
        if self.page_list:
            found.append("page_list")
        if self.page_detail:
            found.append("page_detail")
        if self.page_case:
            found.append("page_case")
        return found

    def page_urls(self, obj: models.Model) -> list[str]:
        """Every page of the registry row showing `obj` (for the leak test)."""
        urls = []
        if self.page_list:
            urls.append(reverse(self.page_list))
        if self.page_detail:
            urls.append(reverse(self.page_detail, args=[obj.pk]))
        if self.page_case:
            urls.append(reverse(self.page_case, args=[obj.case_id]))  # type: ignore[attr-defined]
        return urls


def _offender_link(persona: Persona) -> set[str]:
    # a case links its offender only for callers who may see the offender's identity
    return {"offender"} if persona.fields(RecordType.IDENTITY) is not None else set()


RESOURCES: list[Resource] = [
    Resource(
        name="case",
        record_type=RecordType.STATUS,
        serializer=CaseSerializer,
        sample=lambda world: world.case,
        api_basename="case",
        write={"status": "absconded"},
        read_back=lambda case: Case.objects.unrestricted().get(pk=case.pk).status,
        page_list="cases:case_list",
        page_detail="cases:case_detail",
        page_text=lambda case: case.case_number,
        always=("id", "case_number"),
        extra_keys=_offender_link,
    ),
    Resource(
        name="offender",
        record_type=RecordType.IDENTITY,
        serializer=OffenderSerializer,
        sample=lambda world: world.offender,
        api_basename="offender",
        write={"eye_color": "green"},
        read_back=lambda offender: Offender.objects.unrestricted().get(pk=offender.pk).eye_color,
    ),
]


def _all_follow(serializer: type, gate: str, *always: str) -> dict[str, str]:
    # every rendered field of a child record is shared by one field of its parent's vocabulary
    return {name: gate for name in serializer.Meta.fields if name not in always}


def _sample(name: str) -> Callable[[World], models.Model]:
    return lambda world: world.samples[name]


def _reread(model: type[models.Model], name: str) -> Callable[[models.Model], Any]:
    return lambda obj: getattr(model.objects.unrestricted().get(pk=obj.pk), name)


RESOURCES += [
    Resource(
        name="contact",
        record_type=RecordType.CONTACTS,
        serializer=SupervisionContactSerializer,
        sample=_sample("contact"),
        api_basename="contact",
        write={"location": "Home visit, porch"},
        read_back=_reread(SupervisionContact, "location"),
        always=("id", "case"),
        page_case="cases:case-contacts",
    ),
    Resource(
        name="assessment",
        record_type=RecordType.ASSESSMENTS,
        serializer=RiskAssessmentSerializer,
        sample=_sample("assessment"),
        api_basename="assessment",
        write={"final_level": "III"},
        read_back=_reread(RiskAssessment, "final_level"),
        immutable="an assessment is scored once; changes are override/void actions",
        always=("id", "case", "status"),
        derived=dict(RiskAssessmentSerializer.derived),
        page_detail="cases:assessment-detail",
    ),
    Resource(
        name="case_plan_goal",
        record_type=RecordType.CASE_PLAN,
        serializer=CasePlanGoalSerializer,
        sample=_sample("case_plan_goal"),
        api_basename="case-plan-goal",
        write={"goal": "Keep stable housing"},
        read_back=_reread(CasePlanGoal, "goal"),
        always=("id", "case"),
    ),
    Resource(
        name="treatment_enrollment",
        record_type=RecordType.TREATMENT,
        serializer=TreatmentEnrollmentSerializer,
        sample=_sample("treatment_enrollment"),
        api_basename="treatment-enrollment",
        # a PATCH records the discharge: status and date travel together
        write={"discharge_status": "completed", "discharged_on": "2025-12-01"},
        written="completed",
        read_back=_reread(TreatmentEnrollment, "discharge_status"),
        always=("id", "case"),
        derived={"provider": "provider_name"},
        page_case="cases:case-treatment",
    ),
    Resource(
        name="treatment_report",
        record_type=RecordType.TREATMENT,
        serializer=TreatmentReportSerializer,
        sample=_sample("treatment_report"),
        api_basename="treatment-report",
        write={"concerns": "None"},
        read_back=_reread(TreatmentReport, "concerns"),
        immutable="a monthly report is filed once",
        always=("id", "enrollment", "case"),
        derived=_all_follow(TreatmentReportSerializer, "reports", "id", "enrollment", "case"),
    ),
    Resource(
        name="polygraph_exam",
        record_type=RecordType.POLYGRAPH,
        serializer=PolygraphExamSerializer,
        sample=_sample("polygraph_exam"),
        api_basename="polygraph-exam",
        write={"result": "DI"},
        read_back=_reread(PolygraphExam, "result"),
        immutable="an exam is recorded, never edited",
        always=("id", "case"),
        derived={"flagged": "disclosures"},
        page_case="cases:case-polygraph",
    ),
    Resource(
        name="registration",
        record_type=RecordType.REGISTRATION,
        serializer=RegistrationRecordSerializer,
        sample=_sample("registration"),
        api_basename="registration",
        write={"tier": "III"},
        read_back=_reread(RegistrationRecord, "tier"),
        always=("id", "case", "registering_agency"),
        # period is rendered from period_years etc.: its own vocabulary name
    ),
    Resource(
        name="registration_event",
        record_type=RecordType.REGISTRATION,
        serializer=RegistrationEventSerializer,
        sample=_sample("registration_event"),
        api_basename="registration-event",
        write={"details": "Moved"},
        read_back=_reread(RegistrationEvent, "details"),
        immutable="an event is a dated report, never edited",
        derived=_all_follow(RegistrationEventSerializer, "events", "id"),
    ),
    Resource(
        name="address_verification",
        record_type=RecordType.REGISTRATION,
        serializer=AddressVerificationSerializer,
        sample=_sample("address_verification"),
        api_basename="address-verification",
        write={"notes": "Rechecked"},
        read_back=_reread(AddressVerification, "notes"),
        immutable="a verification is a dated check, never edited",
        derived=_all_follow(AddressVerificationSerializer, "verifications", "id"),
    ),
]


def _plan_derived() -> dict[str, str]:
    # plan fields shown with a release-plan vocabulary field of another name (submitted_at
    # with status, residence_city with residence_address, ...), from the service's own map
    return {
        name: source[1]
        for name, source in PLAN_FIELD_SOURCES.items()
        if source is not None and source[0] == RecordType.RELEASE_PLANS and name != source[1]
    }


def _plan_victim_safety(persona: Persona) -> set[str]:
    # a plan carries victim-safety fields, shown by the persona's victim-safety allow-list
    fields = persona.fields(RecordType.VICTIM_SAFETY)
    if fields is None:
        return set()
    gates = {
        name: source[1]
        for name, source in PLAN_FIELD_SOURCES.items()
        if source is not None and source[0] == RecordType.VICTIM_SAFETY
    }
    shown = {name for name, gate in gates.items() if isinstance(fields, Every) or gate in fields}
    return shown & set(ReleasePlanSerializer.Meta.fields)


def _if_match(model: type[models.Model]) -> Callable[[models.Model], dict[str, str]]:
    return lambda obj: {
        "HTTP_IF_MATCH": f'"{model.objects.unrestricted().get(pk=obj.pk).version}"'  # type: ignore[attr-defined]
    }


RESOURCES += [
    Resource(
        name="release_plan",
        record_type=RecordType.RELEASE_PLANS,
        serializer=ReleasePlanSerializer,
        sample=_sample("release_plan"),
        api_basename="release-plan",
        write={"landlord": "Owner-occupied, verified"},
        read_back=_reread(ReleasePlan, "landlord"),
        write_headers=_if_match(ReleasePlan),
        always=("id", "case", "version"),
        derived=_plan_derived(),
        extra_keys=_plan_victim_safety,
        page_list="cases:release-plan-list",
        page_detail="cases:release-plan-detail",
        page_text=lambda plan: reverse("cases:release-plan-detail", args=[plan.pk]),
    ),
    Resource(
        name="board_decision",
        record_type=RecordType.BOARD_DECISIONS,
        serializer=BoardDecisionSerializer,
        sample=_sample("board_decision"),
        api_basename="board-decision",
        write={"rationale": "Edited afterwards"},
        read_back=_reread(BoardDecision, "rationale"),
        immutable="a recorded decision is the board's act: a new decision supersedes it",
        always=("id", "plan", "review", "supersedes", "recorded_at"),
    ),
    Resource(
        # an alert's structure is visible with standing on its case (status); its facts
        # follow the reader's allow-list for the alert's record type (the leak test checks)
        name="alert",
        record_type=RecordType.STATUS,
        serializer=AlertSerializer,
        sample=_sample("alert"),
        api_basename="alert",
        write={"severity": "critical"},
        read_back=_reread(Alert, "severity"),
        immutable="alerts change only through acknowledge and resolve",
        always=tuple(AlertSerializer.Meta.fields),
    ),
]

BY_NAME = {resource.name: resource for resource in RESOURCES}
