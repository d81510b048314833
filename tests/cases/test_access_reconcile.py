"""manage.py access_reconcile [--check] and the nightly task: zero drift after every scenario,
non-zero (and a list of the differences) after a tampered grant."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command

from agencies.choices import RecordType
from cases.models import AgencyWideGrant, CaseGroupObjectPermission
from cases.tasks import access_reconcile
from mou import services
from mou.choices import TermScope
from tests.factories import AssignmentFactory, CaseFactory
from tests.factories_access import agency, committed, mou_with_terms, staff, term_spec

pytestmark = pytest.mark.django_db


def check() -> str:
    out = StringIO()
    call_command("access_reconcile", "--check", stdout=out)
    return out.getvalue()


def test_zero_drift_through_a_whole_mou_life(django_capture_on_commit_callbacks) -> None:
    doc, csa = agency("PDOC"), agency("PCSA")
    admin, doc_signer = staff(doc, "agency_admin"), staff(doc, "supervisor", signatory=True)
    csa_signer = staff(csa, "agency_admin", signatory=True)
    case = CaseFactory(lead_agency=doc)
    assert "0 missing, 0 extra" in check()
    with committed(django_capture_on_commit_callbacks):
        mou = services.create_mou(
            admin.user,
            title="Life",
            purpose="x",
            effective_date=dt.date.today(),
            parties=[(csa, None)],
        )
        services.add_term(
            admin.user,
            mou,
            provider=doc,
            recipient=csa,
            record_type=RecordType.STATUS,
            fields=["status"],
        )
        services.send_for_signature(admin.user, mou)
        services.sign(doc_signer.user, mou)
        services.sign(csa_signer.user, mou)
    assert "0 missing, 0 extra" in check()
    AssignmentFactory(case=case, agency=csa)
    assert CaseGroupObjectPermission.objects.count() == 1
    assert "0 missing, 0 extra" in check()
    with committed(django_capture_on_commit_callbacks):
        services.terminate(admin.user, mou, "done")
    assert CaseGroupObjectPermission.objects.count() == 0
    assert "0 missing, 0 extra" in check()


def test_check_lists_tampered_grants_and_exits_non_zero_without_changing_them() -> None:
    doc, csa = agency("PDOC"), agency("PCSA")
    case = CaseFactory(lead_agency=doc)
    mou_with_terms(doc, {csa: [term_spec(RecordType.STATUS, ["status"], scope=TermScope.ALL)]})
    # tamper: drop the rightful (agency-wide) grant, add a rogue one
    AgencyWideGrant.objects.all().delete()
    CaseGroupObjectPermission.objects.create(
        group=csa.group,
        permission=Permission.objects.get(codename="change_status"),
        content_object=case,
    )
    out = StringIO()
    with pytest.raises(CommandError, match="1 missing, 1 extra"):
        call_command("access_reconcile", "--check", stdout=out)
    listing = out.getvalue()
    assert "missing: PCSA view_status on every case of PDOC" in listing
    assert f"extra: PCSA change_status on case {case.case_number}" in listing
    assert CaseGroupObjectPermission.objects.get().permission.codename == "change_status"
    # without --check the drift is repaired and reported
    out = StringIO()
    call_command("access_reconcile", stdout=out)
    assert "repaired: 1 granted, 1 revoked" in out.getvalue()
    assert "0 missing, 0 extra" in check()


def test_the_nightly_task_repairs_and_reports_drift() -> None:
    doc, csa = agency("PDOC"), agency("PCSA")
    CaseFactory(lead_agency=doc)
    mou_with_terms(doc, {csa: [term_spec(RecordType.STATUS, ["status"], scope=TermScope.ALL)]})
    AgencyWideGrant.objects.all().delete()
    assert access_reconcile() == {"missing": 1, "extra": 0}
    assert access_reconcile() == {"missing": 0, "extra": 0}
