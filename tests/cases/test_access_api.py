"""Case, offender and case-team API: property-level writes, restricted related-field choices,
and team changes that move access in the same request."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from agencies.choices import RecordType, Role
from cases.models import Case, Offender
from mou.choices import TermScope
from sartcm.models import AuditAction, AuditEvent
from tests.factories import CaseFactory, OffenderFactory
from tests.factories_access import agency, mou_with_terms, staff, term_spec
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


def signed_in(member: Any) -> Client:
    client = Client()
    otp_login(client, member.user)
    return client


@pytest.fixture
def setting() -> dict[str, Any]:
    doc, sheriff, csa, wha = agency("PDOC"), agency("CCSO"), agency("PCSA"), agency("WHA")
    case = CaseFactory(lead_agency=doc, offender=OffenderFactory(eye_color="brown"))
    foreign = CaseFactory(lead_agency=wha)
    mou_with_terms(
        doc,
        {
            # the registry may correct eye colour (view + change), and see the name
            sheriff: [
                term_spec(
                    RecordType.IDENTITY,
                    ["first_name", "last_name", "eye_color"],
                    ["view", "change"],
                    TermScope.ALL,
                )
            ],
            csa: [term_spec(RecordType.STATUS, ["status"], scope=TermScope.ASSIGNED)],
        },
    )
    return {
        "doc": doc,
        "csa": csa,
        "case": case,
        "foreign": foreign,
        "lead_cm": staff(doc, Role.CASE_MANAGER),
        "registry": staff(sheriff, Role.REGISTRY_OFFICER),
        "csa_officer": staff(csa, Role.SUPERVISION_OFFICER),
    }


def test_a_write_naming_a_field_not_shared_is_refused_naming_it_and_audited(setting) -> None:
    offender = setting["case"].offender
    client = signed_in(setting["registry"])
    response = client.patch(
        reverse("offender-detail", args=[offender.pk]),
        {"eye_color": "green", "hair_color": "red"},
        content_type="application/json",
    )
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == {"hair_color"}
    assert "not shared with your agency" in body["errors"]["hair_color"][0]
    offender.refresh_from_db()
    assert offender.eye_color == "brown"  # nothing written, not even the permitted field
    denied = AuditEvent.objects.get(action=AuditAction.DENIED)
    assert denied.fields == ["hair_color"] and denied.user == setting["registry"].user
    # the permitted field alone is written, with before and after in the trail
    ok = client.patch(
        reverse("offender-detail", args=[offender.pk]),
        {"eye_color": "green"},
        content_type="application/json",
    )
    assert ok.status_code == 200
    change = AuditEvent.objects.get(action=AuditAction.CHANGE)
    assert change.changes["before"]["eye_color"] == "brown"
    assert change.changes["after"]["eye_color"] == "green"


def test_a_case_is_opened_for_the_callers_agency_with_an_offender_they_may_see(setting) -> None:
    client = signed_in(setting["lead_cm"])
    visible = setting["case"].offender
    hidden = setting["foreign"].offender
    payload = {"case_number": "C-NEW-1", "offender": visible.pk, "jurisdiction": "Prairie State"}
    created = client.post(reverse("case-list"), payload, content_type="application/json")
    assert created.status_code == 201, created.content
    assert Case.objects.get(case_number="C-NEW-1").lead_agency == setting["doc"]
    # an offender of another agency's case answers like an id that does not exist
    payload = {"case_number": "C-NEW-2", "offender": hidden.pk, "jurisdiction": "Prairie State"}
    refused = client.post(reverse("case-list"), payload, content_type="application/json")
    missing = client.post(
        reverse("case-list"),
        {**payload, "offender": Offender.objects.order_by("-pk").first().pk + 100},
        content_type="application/json",
    )
    assert refused.status_code == missing.status_code == 400
    assert refused.json()["errors"]["offender"][0].replace(str(hidden.pk), "N") == missing.json()[
        "errors"
    ]["offender"][0].replace(str(Offender.objects.order_by("-pk").first().pk + 100), "N")
    assert not Case.objects.filter(case_number="C-NEW-2").exists()


def test_adding_a_partner_to_the_team_shares_the_case_in_the_same_request(setting) -> None:
    case, officer = setting["case"], signed_in(setting["csa_officer"])
    assert officer.get(reverse("case-detail", args=[case.pk])).status_code == 404
    # when the lead agency puts CSA on the case team
    added = signed_in(setting["lead_cm"]).post(
        reverse("case-team-list"),
        {"case": case.pk, "agency": setting["csa"].pk, "role": "supervision_officer"},
        content_type="application/json",
    )
    assert added.status_code == 201, added.content
    # then CSA's assigned-scope term covers it at once
    assert officer.get(reverse("case-detail", args=[case.pk])).json()["status"] == case.status
    # and ending the assignment takes it away again
    signed_in(setting["lead_cm"]).patch(
        reverse("case-team-detail", args=[added.json()["id"]]),
        {"end_date": "2030-01-01"},
        content_type="application/json",
    )
    assert officer.get(reverse("case-detail", args=[case.pk])).status_code == 404


def test_only_the_lead_agency_changes_the_team_and_only_on_its_cases(setting) -> None:
    # a partner cannot pick another agency's case (same answer as a missing id)
    response = signed_in(setting["lead_cm"]).post(
        reverse("case-team-list"),
        {"case": setting["foreign"].pk, "agency": setting["csa"].pk, "role": "other"},
        content_type="application/json",
    )
    assert response.status_code == 400 and "does not exist" in response.json()["errors"]["case"][0]
    # a partner with view-only standing cannot add itself to a case
    response = signed_in(setting["registry"]).post(
        reverse("case-team-list"),
        {"case": setting["case"].pk, "agency": setting["csa"].pk, "role": "other"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not setting["case"].assignments.exists()
