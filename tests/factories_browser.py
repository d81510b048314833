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


__all__ = ["SearchWorld", "build_search_world"]
