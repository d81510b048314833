"""Lost view grants leave revocation tombstones, so agency systems drop what they can no
longer see (incremental sync)."""

from __future__ import annotations

import pytest

from cases.access import sync_grants
from mou.choices import MOUStatus, TermScope
from sartcm.models import SyncTombstone
from tests.factories import AgencyFactory, CaseFactory, MOUFactory, TermFactory

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
