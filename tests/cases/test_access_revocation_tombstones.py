"""Lost view grants leave revocation tombstones, so agency systems drop what they can no
longer see (incremental sync)."""

from __future__ import annotations

from typing import Any

import pytest

from cases.access import sync_grants
from cases.models import Case
from mou.choices import MOUStatus, TermScope
from sartcm.models import SyncTombstone
from tests.factories import AgencyFactory, AssignmentFactory, CaseFactory, MOUFactory, TermFactory

pytestmark = pytest.mark.django_db


def test_ending_an_mou_tombstones_each_lost_view_grant_once() -> None:
    # given a partner that may view status and add treatment on every case of the lead agency
    case = CaseFactory()
    partner = AgencyFactory()
    mou = MOUFactory(status=MOUStatus.ACTIVE, drafted_by=case.lead_agency)
    TermFactory(
        mou=mou,
        provider=case.lead_agency,
        recipient=partner,
        record_type="status",
        fields=["status"],
        scope=TermScope.ALL,
    )
    TermFactory(
        mou=mou,
        provider=case.lead_agency,
        recipient=partner,
        record_type="treatment",
        fields=["program"],
        actions=["view", "add"],
        scope=TermScope.ALL,
    )
    sync_grants()
    assert not SyncTombstone.objects.exists()
    # when the MOU is terminated and the grants re-derived
    mou.status = MOUStatus.TERMINATED
    mou.termination_reason = "program ended"
    mou.save()
    result = sync_grants()
    # then three grants went (view_status, view_treatment, add_treatment) but only the two
    # view grants leave tombstones: the partner's systems drop status and treatment on the case
    assert result.revoked == 3
    rows = set(SyncTombstone.objects.values_list("agency_id", "case_id", "record_type", "reason"))
    assert rows == {
        (partner.pk, case.pk, "status", "revoked"),
        (partner.pk, case.pk, "treatment", "revoked"),
    }
    # and a second sync changes nothing
    sync_grants()
    assert SyncTombstone.objects.count() == 2


def _share_status_of_all_cases(provider: Any, recipient: Any, *, scope: str = TermScope.ALL) -> Any:
    mou = MOUFactory(status=MOUStatus.ACTIVE, drafted_by=provider)
    TermFactory(
        mou=mou,
        provider=provider,
        recipient=recipient,
        record_type="status",
        fields=["status"],
        scope=scope,
    )
    return mou


def test_ending_an_all_cases_term_tombstones_every_case_except_those_a_team_term_keeps() -> None:
    # given a partner that sees status of all three cases of the lead agency (agency-wide),
    # and also through an assigned-cases term on the one case it is on the team of
    kept = CaseFactory()
    lead = kept.lead_agency
    lost, also_lost = CaseFactory(lead_agency=lead), CaseFactory(lead_agency=lead)
    partner = AgencyFactory()
    AssignmentFactory(case=kept, agency=partner)
    wide = _share_status_of_all_cases(lead, partner)
    _share_status_of_all_cases(lead, partner, scope=TermScope.ASSIGNED)
    sync_grants()
    # when the all-cases MOU ends
    wide.status = MOUStatus.TERMINATED
    wide.termination_reason = "program ended"
    wide.save()
    sync_grants()
    # then only the cases the partner no longer sees are tombstoned
    rows = set(SyncTombstone.objects.values_list("agency_id", "case_id", "record_type"))
    assert rows == {(partner.pk, lost.pk, "status"), (partner.pk, also_lost.pk, "status")}


def test_a_case_moving_to_another_lead_agency_tombstones_partners_that_lose_it() -> None:
    # given a case whose lead agency shares status of all its cases with two partners, and
    # the new lead agency shares with only one of them
    case = CaseFactory()
    old_lead, new_lead = case.lead_agency, AgencyFactory()
    stays, leaves = AgencyFactory(), AgencyFactory()
    _share_status_of_all_cases(old_lead, stays)
    _share_status_of_all_cases(old_lead, leaves)
    _share_status_of_all_cases(new_lead, stays)
    sync_grants()
    # when the case moves
    case = Case.objects.get(pk=case.pk)
    case.lead_agency = new_lead
    case.save()
    # then only the partner that lost standing is told to drop it
    rows = set(SyncTombstone.objects.values_list("agency_id", "case_id", "record_type"))
    assert rows == {(leaves.pk, case.pk, "status")}
