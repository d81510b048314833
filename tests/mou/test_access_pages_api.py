"""MOU pages and API: owner (party administrator), partner staff, outsider."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from agencies.choices import RecordType
from mou import services
from mou.choices import MOUStatus
from mou.models import MOU, DataSharingTerm
from tests.factories_access import committed
from tests.helpers import otp_login
from tests.mou.conftest import status_mou

pytestmark = pytest.mark.django_db


def client_for(staff_member: Any) -> Client:
    client = Client()
    otp_login(client, staff_member.user)
    return client


# --- pages ----------------------------------------------------------------------------------


def test_an_administrator_drafts_an_mou_on_the_page(parties) -> None:
    client = client_for(parties.doc_admin)
    response = client.post(
        reverse("mou:create"),
        {
            "title": "Board data sharing",
            "purpose": "Share release plans with the board.",
            "effective_date": dt.date.today().isoformat(),
            "parties": [parties.csa.pk],
        },
    )
    mou = MOU.objects.get(title="Board data sharing")
    assert response.status_code == 302 and response["Location"] == reverse(
        "mou:terms", args=[mou.pk]
    )
    assert set(mou.parties.all()) == {parties.doc, parties.csa}


def test_a_non_administrator_cannot_open_the_draft_page(parties) -> None:
    assert client_for(parties.csa_officer).get(reverse("mou:create")).status_code == 403


def test_a_bad_term_field_is_shown_next_to_the_field(parties, draft_mou) -> None:
    response = client_for(parties.doc_admin).post(
        reverse("mou:terms", args=[draft_mou.pk]),
        {
            "provider": parties.doc.pk,
            "recipient": parties.csa.pk,
            "record_type": RecordType.CONTACTS,
            "shared_fields": "notes, victim_name",
            "actions": ["view"],
            "scope": "assigned",
        },
    )
    assert response.status_code == 400
    assert "victim_name is not a field of contacts" in response.content.decode()
    assert response.context["form"].errors["shared_fields"]


def test_parties_see_the_mou_and_outsiders_get_404(parties, draft_mou) -> None:
    url = reverse("mou:detail", args=[draft_mou.pk])
    assert client_for(parties.csa_officer).get(url).status_code == 200
    assert client_for(parties.outsider_admin).get(url).status_code == 404
    assert (
        draft_mou.title
        not in client_for(parties.outsider_admin).get(reverse("mou:list")).content.decode()
    )
    assert Client().get(url).status_code == 302  # anonymous: to the login page


def test_the_lifecycle_on_pages(parties, draft_mou, django_capture_on_commit_callbacks) -> None:
    admin, signer_doc, signer_csa = (
        client_for(parties.doc_admin),
        client_for(parties.doc_signer),
        client_for(parties.csa_signer),
    )
    assert admin.post(reverse("mou:send", args=[draft_mou.pk])).status_code == 302
    assert (
        "Review what it shares"
        in signer_doc.get(reverse("mou:sign", args=[draft_mou.pk])).content.decode()
    )
    with committed(django_capture_on_commit_callbacks):
        signer_doc.post(reverse("mou:sign", args=[draft_mou.pk]))
        signer_csa.post(reverse("mou:sign", args=[draft_mou.pk]))
    draft_mou.refresh_from_db()
    assert draft_mou.status == MOUStatus.ACTIVE
    preview = admin.get(reverse("mou:preview", args=[draft_mou.pk])).content.decode()
    assert parties.csa.name in preview
    response = admin.post(reverse("mou:terminate", args=[draft_mou.pk]), {"reason": ""})
    assert response.status_code == 400 and response.context["form"].errors["reason"]
    admin.post(reverse("mou:terminate", args=[draft_mou.pk]), {"reason": "Replaced."})
    draft_mou.refresh_from_db()
    assert draft_mou.status == MOUStatus.TERMINATED


@pytest.mark.django_db(transaction=True)
def test_termination_revokes_access_in_the_same_request_cycle(parties) -> None:
    """Real commits (no test transaction): the on-commit sync runs inside the terminate
    request, so the partner's very next request is already refused."""
    mou = status_mou(parties, title="Committed MOU")
    services.send_for_signature(parties.doc_admin.user, mou)
    services.sign(parties.doc_signer.user, mou)
    services.sign(parties.csa_signer.user, mou)
    officer = client_for(parties.csa_officer)
    case_url = reverse("case-detail", args=[parties.assigned_case.pk])
    assert officer.get(case_url).status_code == 200
    # when DOC terminates on the page
    client_for(parties.doc_admin).post(
        reverse("mou:terminate", args=[mou.pk]), {"reason": "Ended."}
    )
    # then the officer's next request no longer finds the case
    assert officer.get(case_url).status_code == 404


# --- API ------------------------------------------------------------------------------------


def test_the_lifecycle_through_the_api(parties, django_capture_on_commit_callbacks) -> None:
    admin = client_for(parties.doc_admin)
    response = admin.post(
        "/api/v1/mous/",
        {
            "title": "API MOU",
            "purpose": "Share status.",
            "effective_date": dt.date.today().isoformat(),
            "parties": [{"agency": parties.csa.pk}],
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    mou_id = response.json()["id"]
    bad = admin.post(
        "/api/v1/mou-terms/",
        {
            "mou": mou_id,
            "provider": parties.doc.pk,
            "recipient": parties.csa.pk,
            "record_type": "status",
            "fields": ["status", "ssn"],
        },
        content_type="application/json",
    )
    assert bad.status_code == 400
    assert "ssn is not a field of status" in bad.json()["errors"]["fields"][0]
    term = admin.post(
        "/api/v1/mou-terms/",
        {
            "mou": mou_id,
            "provider": parties.doc.pk,
            "recipient": parties.csa.pk,
            "record_type": "status",
            "fields": ["status"],
        },
        content_type="application/json",
    )
    assert term.status_code == 201, term.content
    assert admin.post(f"/api/v1/mous/{mou_id}/send/").status_code == 200
    with committed(django_capture_on_commit_callbacks):
        assert (
            client_for(parties.doc_signer).post(f"/api/v1/mous/{mou_id}/sign/").status_code == 201
        )
        assert (
            client_for(parties.csa_signer).post(f"/api/v1/mous/{mou_id}/sign/").status_code == 201
        )
    detail = admin.get(f"/api/v1/mous/{mou_id}/").json()
    assert detail["status"] == "active" and len(detail["signatures"]) == 2
    preview = admin.get(f"/api/v1/mous/{mou_id}/preview/").json()
    assert preview[0]["recipient"] == parties.csa.pk and preview[0]["cases"] == 1
    refused = admin.post(f"/api/v1/mous/{mou_id}/terminate/", {}, content_type="application/json")
    assert refused.status_code == 400
    ended = admin.post(
        f"/api/v1/mous/{mou_id}/terminate/", {"reason": "Done."}, content_type="application/json"
    )
    assert ended.json()["status"] == "terminated"


def test_the_api_hides_other_agencies_mous_and_refuses_writes_by_non_admins(
    parties, draft_mou
) -> None:
    url = f"/api/v1/mous/{draft_mou.pk}/"
    # outsider: 404 for read and write alike
    outsider = client_for(parties.outsider_admin)
    assert outsider.get(url).status_code == 404
    assert outsider.patch(url, {"title": "x"}, content_type="application/json").status_code == 404
    assert draft_mou.pk not in [m["id"] for m in outsider.get("/api/v1/mous/").json()["results"]]
    # partner staff who may view but not change: 404 on write, nothing changed
    officer = client_for(parties.csa_officer)
    assert officer.get(url).status_code == 200
    assert (
        officer.patch(url, {"title": "Hijacked"}, content_type="application/json").status_code
        == 404
    )
    term = DataSharingTerm.objects.get(mou=draft_mou)
    assert (
        officer.patch(
            f"/api/v1/mou-terms/{term.pk}/",
            {"fields": ["status", "release_date"]},
            content_type="application/json",
        ).status_code
        == 404
    )
    draft_mou.refresh_from_db()
    term.refresh_from_db()
    assert draft_mou.title == "Prairie supervision MOU" and term.fields == ["status"]
    # the partner's administrator may edit the draft
    admin = client_for(parties.csa_admin)
    assert (
        admin.patch(url, {"title": "Renamed"}, content_type="application/json").status_code == 200
    )


def test_a_draft_and_its_terms_are_edited_on_pages(parties, draft_mou) -> None:
    admin = client_for(parties.doc_admin)
    edit = reverse("mou:edit", args=[draft_mou.pk])
    assert admin.get(edit).status_code == 200
    response = admin.post(
        edit,
        {
            "title": "Renamed MOU",
            "purpose": "Share status.",
            "effective_date": dt.date.today().isoformat(),
            "parties": [parties.csa.pk],
            "signatories": [parties.csa_signer.pk],
        },
    )
    assert response.status_code == 302
    draft_mou.refresh_from_db()
    assert draft_mou.title == "Renamed MOU"
    assert draft_mou.party_rows.get(agency=parties.csa).signatory == parties.csa_signer
    term = DataSharingTerm.objects.get(mou=draft_mou)
    url = reverse("mou:term_edit", args=[draft_mou.pk, term.pk])
    assert "release_date" in admin.get(url).content.decode()  # the vocabulary is listed
    response = admin.post(
        url,
        {
            "provider": parties.doc.pk,
            "recipient": parties.csa.pk,
            "record_type": "status",
            "shared_fields": "status, release_date",
            "actions": ["view"],
            "scope": "all",
        },
    )
    assert response.status_code == 302
    term.refresh_from_db()
    assert (term.fields, term.scope) == (["status", "release_date"], "all")
    admin.post(reverse("mou:term_delete", args=[draft_mou.pk, term.pk]))
    assert not DataSharingTerm.objects.filter(pk=term.pk).exists()


def test_an_active_mou_cannot_be_edited_on_its_page(parties, draft_mou) -> None:
    draft_mou.status = MOUStatus.ACTIVE
    draft_mou.save()
    response = client_for(parties.doc_admin).post(
        reverse("mou:edit", args=[draft_mou.pk]),
        {
            "title": "Changed after signing",
            "purpose": "x",
            "effective_date": dt.date.today().isoformat(),
            "parties": [parties.csa.pk],
        },
    )
    assert response.status_code == 400
    assert "Cannot edit the MOU: the MOU is active" in response.content.decode()
    draft_mou.refresh_from_db()
    assert draft_mou.title == "Prairie supervision MOU"


def test_an_amendment_on_pages(parties, draft_mou, django_capture_on_commit_callbacks) -> None:
    admin = client_for(parties.doc_admin)
    admin.post(reverse("mou:send", args=[draft_mou.pk]))
    with committed(django_capture_on_commit_callbacks):
        client_for(parties.doc_signer).post(reverse("mou:sign", args=[draft_mou.pk]))
        client_for(parties.csa_signer).post(reverse("mou:sign", args=[draft_mou.pk]))
    # when DOC starts an amendment, it lands on the terms of version 2
    response = admin.post(reverse("mou:amend", args=[draft_mou.pk]))
    assert response["Location"] == reverse("mou:terms", args=[draft_mou.pk])
    assert "(version 2)" in admin.get(response["Location"]).content.decode()
    detail = client_for(parties.csa_signer).get(reverse("mou:detail", args=[draft_mou.pk]))
    page = detail.content.decode()
    assert "Pending amendment (version 2)" in page and "Review and sign version 2" in page
    # discarding it leaves version 1 in force
    admin.post(reverse("mou:discard", args=[draft_mou.pk]))
    assert (
        "Pending amendment"
        not in admin.get(reverse("mou:detail", args=[draft_mou.pk])).content.decode()
    )
