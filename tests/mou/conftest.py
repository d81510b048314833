"""Fixtures for MOU tests: two agencies with administrators and signatories, a case of the
provider with the recipient on the team, and another without."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from agencies.choices import RecordType, Role
from agencies.models import Agency, StaffMember
from cases.models import Case
from mou import services as mou_services
from tests.factories import AssignmentFactory, CaseFactory
from tests.factories_access import agency, staff


@dataclass
class Parties:
    doc: Agency
    csa: Agency
    outsider: Agency
    doc_admin: StaffMember
    doc_signer: StaffMember
    csa_admin: StaffMember
    csa_signer: StaffMember
    csa_officer: StaffMember
    outsider_admin: StaffMember
    assigned_case: Case
    other_case: Case

    @property
    def today(self) -> dt.date:
        return dt.date.today()


@pytest.fixture
def parties(db: Any) -> Parties:
    doc, csa, outsider = agency("PDOC"), agency("PCSA"), agency("WHA")
    assigned = CaseFactory(lead_agency=doc)
    AssignmentFactory(case=assigned, agency=csa, role="supervision_officer")
    return Parties(
        doc=doc,
        csa=csa,
        outsider=outsider,
        doc_admin=staff(doc, Role.AGENCY_ADMIN),
        doc_signer=staff(doc, Role.SUPERVISOR, signatory=True),
        csa_admin=staff(csa, Role.AGENCY_ADMIN),
        csa_signer=staff(csa, Role.AGENCY_ADMIN, signatory=True),
        csa_officer=staff(csa, Role.SUPERVISION_OFFICER),
        outsider_admin=staff(outsider, Role.AGENCY_ADMIN, signatory=True),
        assigned_case=assigned,
        other_case=CaseFactory(lead_agency=doc),
    )


def status_mou(parties: Any, title: str = "Prairie supervision MOU") -> Any:
    """A draft MOU between the DOC and the CSA with one status term."""
    mou = mou_services.create_mou(
        parties.doc_admin.user,
        title=title,
        purpose="Share status.",
        effective_date=dt.date.today(),
        parties=[(parties.csa, None)],
    )
    mou_services.add_term(
        parties.doc_admin.user,
        mou,
        provider=parties.doc,
        recipient=parties.csa,
        record_type=RecordType.STATUS,
        fields=["status"],
    )
    return mou


@pytest.fixture
def draft_mou(parties: Any) -> Any:
    """A draft MOU between the DOC and the CSA with one status term."""
    return status_mou(parties)
