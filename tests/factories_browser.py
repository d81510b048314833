"""Scenario builders for the browser topic (dashboards, search, reports). Fictional data only."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from agencies.choices import AgencyKind, RecordType, Role
from cases.models import Case, Offender, OffenderAlias
from tests.factories import AgencyFactory, CaseFactory, OffenderFactory
from tests.factories_contacts import share, staff_user


@dataclass
class SearchWorld:
    """John Smith's case at a lead agency; a partner that sees only names; an outsider."""

    lead: Any
    offender: Offender
    case: Case
    lead_user: Any
    partner: Any
    partner_user: Any
    outsider: Any
    analyst: Any


def build_search_world() -> SearchWorld:
    lead = AgencyFactory(kind=AgencyKind.CORRECTIONS)
    offender = OffenderFactory(
        first_name="John",
        middle_name="Quincy",
        last_name="Smith",
        date_of_birth=dt.date(1979, 4, 2),
        state_id="PS7700123",
        doc_number="DOC-55012",
        fbi_number="FBI9981X",
    )
    OffenderAlias.objects.create(offender=offender, first_name="Jack", last_name="Smitherson")
    case = CaseFactory(offender=offender, lead_agency=lead)
    partner = AgencyFactory(kind=AgencyKind.TREATMENT_PROVIDER)
    share(case, partner, RecordType.IDENTITY, ["first_name", "last_name"])
    return SearchWorld(
        lead=lead,
        offender=offender,
        case=case,
        lead_user=staff_user(lead, Role.CASE_MANAGER),
        partner=partner,
        partner_user=staff_user(partner, Role.TREATMENT_PROVIDER),
        outsider=staff_user(AgencyFactory(), Role.CASE_MANAGER),
        analyst=staff_user(lead, Role.ANALYST),
    )


def release_plan(case: Case, status: str = "submitted", release_date: Any = None, **kw: Any) -> Any:
    from cases.models import ReleasePlan

    return ReleasePlan.objects.create(
        case=case,
        status=status,
        release_date=release_date or dt.date(2026, 12, 1),
        residence_address="12 Fictional Lane",
        **kw,
    )


def board_decision(plan: Any, board: Any, decided_on: dt.date, decision: str = "approve") -> Any:
    from cases.models import BoardDecision, BoardReview

    review = BoardReview.objects.create(plan=plan, case=plan.case, board=board)
    return BoardDecision.objects.create(
        review=review,
        case=plan.case,
        decision=decision,
        decided_on=decided_on,
        rationale="Plan meets the conditions (fictional).",
    )


def registration(case: Case, agency: Any, due: dt.date | None, **kw: Any) -> Any:
    from cases.models import RegistrationRecord

    values = {
        "tier": "II",
        "jurisdiction": f"County {case.pk}",
        "start_date": dt.date(2025, 1, 1),
        "status": "compliant",
        **kw,
    }
    return RegistrationRecord.objects.create(
        case=case, registering_agency=agency, next_verification_due=due, **values
    )


def level_change(case: Case, to_level: str, at: Any, from_level: str = "") -> Any:
    from cases.models import SupervisionLevelChange

    change = SupervisionLevelChange.objects.create(
        case=case, from_level=from_level, to_level=to_level, reason="Reassessed (fictional)."
    )
    SupervisionLevelChange.objects.filter(pk=change.pk).update(changed_at=at)
    return change


def alert(
    case: Case | None, agency: Any, rule: str, raised_at: Any, resolved_at: Any = None
) -> Any:
    from cases.models import Alert

    obj = Alert.objects.create(
        rule=rule,
        subject_key=f"test:{rule}:{raised_at.isoformat()}:{case.pk if case else 0}",
        case=case,
        agency=agency,
        due_date=raised_at.date(),
        message="Fictional alert",
        status="resolved" if resolved_at else "open",
        resolved_at=resolved_at,
    )
    Alert.objects.filter(pk=obj.pk).update(raised_at=raised_at)
    return obj


__all__ = [
    "SearchWorld",
    "alert",
    "board_decision",
    "build_search_world",
    "level_change",
    "registration",
    "release_plan",
]
