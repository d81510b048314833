"""Audit: disseminations to partner agencies, 'who saw this case' for the lead agency's
administrators and auditors, the agency's own trail with filters and a formula-safe CSV
export, and reading the trail is itself audited."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from agencies.choices import RecordType, Role
from mou.choices import TermScope
from sartcm.models import AuditAction, AuditEvent
from tests.factories import CaseFactory
from tests.factories_access import agency, mou_with_terms, staff, term_spec
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def setting() -> dict[str, Any]:
    doc, csa, wha = agency("PDOC"), agency("PCSA"), agency("WHA")
    case = CaseFactory(lead_agency=doc)
    mou_with_terms(
        doc,
        {csa: [term_spec(RecordType.STATUS, ["status", "release_date"], scope=TermScope.ALL)]},
    )
    return {
        "doc": doc,
        "csa": csa,
        "case": case,
        "lead_cm": staff(doc, Role.CASE_MANAGER),
        "lead_admin": staff(doc, Role.AGENCY_ADMIN),
        "lead_auditor": staff(doc, Role.AUDITOR),
        "partner": staff(csa, Role.SUPERVISION_OFFICER),
        "partner_admin": staff(csa, Role.AGENCY_ADMIN),
        "outsider_auditor": staff(wha, Role.AUDITOR),
    }


def signed_in(member: Any) -> Client:
    client = Client()
    otp_login(client, member.user)
    return client


def test_a_partner_read_is_recorded_as_a_dissemination(setting) -> None:
    case, partner = setting["case"], setting["partner"]
    client = signed_in(partner)
    client.get(reverse("case-detail", args=[case.pk]))
    client.get(reverse("case-list"))
    client.get(reverse("cases:case_detail", args=[case.pk]))
    rows = AuditEvent.objects.filter(action=AuditAction.DISSEMINATE, case_id=case.pk)
    assert rows.count() == 3
    assert {r.channel for r in rows} == {"api", "page"}
    assert all(r.recipient_agency_id == setting["csa"].pk for r in rows)
    api_row = rows.get(
        channel="api", request_id__in=AuditEvent.objects.filter(action="view").values("request_id")
    )
    assert set(api_row.fields) == {"case_number", "release_date", "status"}


def test_a_lead_agency_read_is_not_a_dissemination(setting) -> None:
    signed_in(setting["lead_cm"]).get(reverse("case-detail", args=[setting["case"].pk]))
    assert AuditEvent.objects.filter(action=AuditAction.VIEW).count() == 1
    assert not AuditEvent.objects.filter(action=AuditAction.DISSEMINATE).exists()


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("lead_admin", 200),
        ("lead_auditor", 200),
        ("lead_cm", 404),  # same agency, not an administrator or auditor
        ("partner_admin", 404),  # a partner's administrator: the case is not theirs
        ("outsider_auditor", 404),
    ],
)
def test_who_saw_this_case_is_for_the_lead_agency_admins_and_auditors(setting, who, status) -> None:
    case = setting["case"]
    signed_in(setting["partner"]).get(reverse("case-detail", args=[case.pk]))
    response = signed_in(setting[who]).get(reverse("cases:case_audit", args=[case.pk]))
    assert response.status_code == status
    api = signed_in(setting[who]).get(reverse("case-audit-trail", args=[case.pk]))
    assert api.status_code == status
    if status == 200:
        assert setting["partner"].user.username in response.content.decode()
        assert any(e["action"] == "disseminate" for e in api.json()["results"])
        # and reading it was itself audited
        assert (
            AuditEvent.objects.filter(
                action=AuditAction.AUDIT_READ, case_id=case.pk, user=setting[who].user
            ).count()
            == 2
        )


def test_the_agency_trail_filters_and_exports_safely(setting) -> None:
    # given a DOC user whose name starts like a spreadsheet formula read the case
    sneaky = staff(setting["doc"], Role.CASE_MANAGER, username="=HYPERLINK(evil)")
    signed_in(sneaky).get(reverse("case-detail", args=[setting["case"].pk]))
    signed_in(setting["lead_cm"]).get(reverse("case-list"))
    auditor = signed_in(setting["lead_auditor"])
    # when the auditor filters by user name
    page = auditor.get(reverse("cases:audit_trail"), {"username": "=HYPERLINK(evil)"})
    assert page.status_code == 200
    listed = list(page.context["page"])
    assert listed and all(e.username == "=HYPERLINK(evil)" for e in listed)
    # and exports the trail
    export = auditor.get(reverse("cases:audit_trail"), {"action": "view", "format": "csv"})
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    assert [r["username"] for r in rows] == ["'=HYPERLINK(evil)"]
    # then both reads of the trail are audited, naming the filters
    reads = AuditEvent.objects.filter(
        action=AuditAction.AUDIT_READ, user=setting["lead_auditor"].user
    )
    assert reads.count() == 2
    assert any("exported" in r.detail and "action=view" in r.detail for r in reads)


def test_the_agency_trail_shows_only_the_agencys_own_events(setting) -> None:
    signed_in(setting["partner"]).get(reverse("case-detail", args=[setting["case"].pk]))
    signed_in(setting["lead_cm"]).get(reverse("case-detail", args=[setting["case"].pk]))
    csa_trail = signed_in(setting["partner_admin"]).get(reverse("cases:audit_trail"))
    events = list(csa_trail.context["page"])
    # CSA staff's own actions, and grants made to CSA; never what DOC's staff did
    assert events and all(setting["csa"].pk in (e.agency_id, e.recipient_agency_id) for e in events)
    assert any(e.action == AuditAction.GRANT for e in events)
    # the lead's "on our cases" view shows the partner's reads too
    doc_trail = signed_in(setting["lead_admin"]).get(
        reverse("cases:audit_trail"), {"about": "cases"}
    )
    assert {setting["csa"].pk, setting["doc"].pk} <= {
        e.agency_id for e in doc_trail.context["page"]
    }


def test_staff_without_an_audit_role_cannot_read_the_agency_trail(setting) -> None:
    assert signed_in(setting["lead_cm"]).get(reverse("cases:audit_trail")).status_code == 403
    assert Client().get(reverse("cases:audit_trail")).status_code == 302
