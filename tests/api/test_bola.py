"""BOLA and field-level (BOPLA) checks for every case-data endpoint, through API keys.

One table row per endpoint: an object on agency A's case is 404 (and absent from lists) for
an agency with no MOU; a partner with a term sees exactly the structural fields plus the
term's fields; and a partner's write naming a field its term does not share gets a 400 that
names that field, and changes nothing. (The access topic builds the broader persona matrix;
this file pins the API ids and fields.)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from agencies.choices import RecordType, Role
from cases.models import Case
from cases.scoring import ensure_builtin_instruments
from cases.services.assessments import record_assessment
from protocols.models import Instrument
from tests.factories import AgencyFactory, CaseFactory
from tests.factories_assessments import GoalFactory
from tests.factories_contacts import (
    PolygraphExamFactory,
    SupervisionContactFactory,
    TreatmentEnrollmentFactory,
    TreatmentReportFactory,
    share,
)
from tests.factories_sync import key_client

pytestmark = pytest.mark.django_db
R = RecordType


def custom_assessment(case: Case) -> Any:
    """An assessment recorded by the lead agency's case manager with a small custom tool."""
    from tests.factories import StaffFactory
    from tests.factories_assessments import CustomInstrumentFactory

    assessor = StaffFactory(agency=case.lead_agency, roles=[Role.CASE_MANAGER])
    instrument = CustomInstrumentFactory(owner_agency=case.lead_agency)
    answers = {"unstable_housing": "yes", "unemployed": "no"}
    return record_assessment(
        case, instrument, answers, dt.date(2026, 2, 1), assessor, assessor.user
    )


@dataclass
class Write:
    """A write by a partner whose term grants `actions` but not the field `refused`."""

    method: str
    url: Callable[[Any], str]
    body: Callable[[Any], dict[str, Any]]
    refused: str
    actions: tuple[str, ...]


@dataclass
class Endpoint:
    name: str
    collection: str
    record_type: str
    make: Callable[[Case], Any]
    shared: list[str]
    visible: set[str]  # what a partner with `shared` sees
    writes: list[Write] = field(default_factory=list)
    detail_id: Callable[[Any], int] = lambda obj: obj.pk


def detail(collection: str) -> Callable[[Any], str]:
    return lambda obj: f"{collection}{obj.pk}/"


ENDPOINTS = [
    Endpoint(
        "contacts",
        "/api/v1/contacts/",
        R.CONTACTS,
        lambda case: SupervisionContactFactory(case=case),
        ["contact_at", "contact_type"],
        {"id", "case", "contact_at", "contact_type"},
        [
            Write(
                "patch",
                detail("/api/v1/contacts/"),
                lambda o: {"notes": "x"},
                "notes",
                ("view", "change"),
            ),
            Write(
                "post",
                lambda o: "/api/v1/contacts/",
                lambda o: {"case": o.case_id, "contact_type": "office", "location": "Porch"},
                "location",
                ("view", "add"),
            ),
        ],
    ),
    Endpoint(
        "treatment-enrollments",
        "/api/v1/treatment-enrollments/",
        R.TREATMENT,
        lambda case: TreatmentEnrollmentFactory(case=case),
        ["program", "intake_date"],
        {"id", "case", "program", "intake_date"},
        [
            Write(
                "patch",
                detail("/api/v1/treatment-enrollments/"),
                lambda o: {"discharge_status": "completed", "discharged_on": "2026-03-01"},
                "discharge_status",
                ("view", "change"),
            )
        ],
    ),
    Endpoint(
        "treatment-reports",
        "/api/v1/treatment-reports/",
        R.TREATMENT,
        lambda case: TreatmentReportFactory(enrollment=TreatmentEnrollmentFactory(case=case)),
        ["program"],  # not `reports`: only the structural fields of a report
        {"id", "enrollment", "case"},
        [
            Write(
                "post",
                lambda o: "/api/v1/treatment-reports/",
                lambda o: {
                    "enrollment": o.enrollment_id,
                    "month": "2026-03",
                    "sessions_scheduled": 4,
                    "sessions_attended": 4,
                    "participation": "good",
                    "progress": "good",
                },
                "sessions_attended",
                ("view", "add"),
            )
        ],
    ),
    Endpoint(
        "polygraph-exams",
        "/api/v1/polygraph-exams/",
        R.POLYGRAPH,
        lambda case: PolygraphExamFactory(case=case),
        ["exam_type", "exam_date", "result"],
        {"id", "case", "exam_type", "exam_date", "result"},
        [
            Write(
                "post",
                lambda o: "/api/v1/polygraph-exams/",
                lambda o: {
                    "case": o.case_id,
                    "exam_type": "maintenance",
                    "exam_date": "2026-02-20",
                    "examiner": "Examiner R. Quill",
                    "result": "ndi",
                    "disclosures": "None.",
                },
                "disclosures",
                ("view", "add"),
            )
        ],
    ),
    Endpoint(
        "assessments",
        "/api/v1/assessments/",
        R.ASSESSMENTS,
        custom_assessment,
        ["assessed_on", "final_level"],
        {"id", "case", "status", "assessed_on", "final_level"},
        [
            Write(
                "post",
                lambda o: "/api/v1/assessments/",
                lambda o: {
                    "case": o.case_id,
                    "instrument": o.instrument_id,
                    "assessed_on": "2026-02-20",
                    "answers": {"unstable_housing": "no", "unemployed": "no"},
                },
                "answers",
                ("view", "add"),
            )
        ],
    ),
    Endpoint(
        "case-plan-goals",
        "/api/v1/case-plan-goals/",
        R.CASE_PLAN,
        lambda case: GoalFactory(case=case),
        ["goal", "status"],
        {"id", "case", "goal", "status"},
        [
            Write(
                "patch",
                detail("/api/v1/case-plan-goals/"),
                lambda o: {"interventions": "Weekly group."},
                "interventions",
                ("view", "change"),
            )
        ],
    ),
]
IDS = [e.name for e in ENDPOINTS]
WRITES = [(e, w) for e in ENDPOINTS for w in e.writes]
WRITE_IDS = [f"{e.name}-{w.method}-{w.refused}" for e, w in WRITES]


@pytest.fixture(autouse=True)
def _instruments() -> None:
    ensure_builtin_instruments()


@pytest.fixture
def lead_case() -> Case:
    return CaseFactory()


def ids_in(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_an_agency_without_an_mou_gets_404_and_an_empty_list(endpoint, lead_case) -> None:
    obj = endpoint.make(lead_case)
    outsider = key_client(AgencyFactory(), Role.CASE_MANAGER)
    lead = key_client(lead_case.lead_agency, Role.CASE_MANAGER)
    url = f"{endpoint.collection}{obj.pk}/"
    # the lead agency sees it (so the 404 below is about standing, not a bad id)
    assert lead.get(url).status_code == 200
    response = outsider.get(url)
    assert response.status_code == 404
    assert response.json()["title"] == "Not found."
    assert obj.pk not in ids_in(outsider.get(endpoint.collection))
    assert ids_in(outsider.get(endpoint.collection, {"case": lead_case.pk})) == []
    assert (
        ids_in(outsider.get(endpoint.collection, {"updated_since": "2000-01-01T00:00:00Z"})) == []
    )


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=IDS)
def test_a_partner_sees_only_its_terms_fields(endpoint, lead_case) -> None:
    obj = endpoint.make(lead_case)
    partner = AgencyFactory()
    share(lead_case, partner, endpoint.record_type, endpoint.shared)
    client = key_client(partner, Role.CASE_MANAGER)
    one = client.get(f"{endpoint.collection}{obj.pk}/")
    assert one.status_code == 200
    assert set(one.json()) == endpoint.visible
    rows = client.get(endpoint.collection).json()["results"]
    synced = client.get(endpoint.collection, {"updated_since": "2000-01-01T00:00:00Z"})
    assert [set(r) for r in rows if r["id"] == obj.pk] == [endpoint.visible]
    assert [set(r) for r in synced.json()["results"] if r["id"] == obj.pk] == [endpoint.visible]
    # and a partner of another record type on the same case sees nothing of this one
    other = AgencyFactory()
    share(lead_case, other, RecordType.IDENTITY, ["first_name"])
    assert (
        key_client(other, Role.CASE_MANAGER).get(f"{endpoint.collection}{obj.pk}/").status_code
        == 404
    )


@pytest.mark.parametrize(("endpoint", "write"), WRITES, ids=WRITE_IDS)
def test_a_partners_write_naming_an_unshared_field_is_refused_naming_it(
    endpoint, write, lead_case
) -> None:
    obj = endpoint.make(lead_case)
    partner = AgencyFactory()
    share(lead_case, partner, endpoint.record_type, endpoint.shared, actions=write.actions)
    client = key_client(partner, Role.CASE_MANAGER)
    model = type(obj)
    before = model.objects.count()
    response = getattr(client, write.method)(write.url(obj), write.body(obj), format="json")
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert write.refused in response.json()["errors"]
    assert model.objects.count() == before
    # the same write by an agency without an MOU learns nothing about the object: it gets the
    # answer a nonexistent id gets (404; an assessment POST answers "does not exist" either way)
    outsider = key_client(AgencyFactory(), Role.CASE_MANAGER)
    refused = getattr(outsider, write.method)(write.url(obj), write.body(obj), format="json")
    if write.method == "post":
        parent = "enrollment" if "enrollment" in write.body(obj) else "case"
        ghost_body = {**write.body(obj), parent: 2**31 - 1}
        ghost = getattr(outsider, write.method)(write.url(obj), ghost_body, format="json")
        assert refused.status_code in (400, 404)
        assert (refused.status_code, _scrub(refused.json(), obj)) == (
            ghost.status_code,
            _scrub(ghost.json(), None),
        )
    else:
        assert refused.status_code == 404
    assert model.objects.count() == before


def _scrub(problem: dict, obj: Any) -> str:
    """A problem body with the id the caller sent blanked, to compare the two answers."""
    text = str(problem)
    for value in {
        str(2**31 - 1),
        str(getattr(obj, "case_id", "")),
        str(getattr(obj, "enrollment_id", "")),
    }:
        if value:
            text = text.replace(value, "<id>")
    return text


def test_case_compliance_is_404_without_standing_on_contacts(lead_case) -> None:
    partner = AgencyFactory()
    share(lead_case, partner, RecordType.CONTACTS, ["contact_at"])
    url = f"/api/v1/case-compliance/{lead_case.pk}/"
    assert key_client(partner, Role.CASE_MANAGER).get(url).status_code == 200
    assert key_client(AgencyFactory(), Role.CASE_MANAGER).get(url).status_code == 404


def test_instruments_are_reference_data_not_case_data() -> None:
    # Listed for any staff key with the reference scope; no agency standing involved.
    client = key_client(AgencyFactory(), Role.CASE_MANAGER)
    assert Instrument.objects.exists()
    assert client.get("/api/v1/instruments/").json()["count"] == Instrument.objects.count()
