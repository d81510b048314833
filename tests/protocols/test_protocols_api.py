"""API for protocols, versions and standards, for every persona."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from protocols.choices import VersionStatus
from protocols.models import Acknowledgment, ContactStandard, Protocol
from sartcm.models import AuditEvent
from tests.factories_protocols import (
    ContactStandardFactory,
    Personas,
    ProtocolFactory,
    ProtocolVersionFactory,
)

pytestmark = pytest.mark.django_db


def api(user: object | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_protocol_reads_for_each_persona(people: Personas) -> None:
    protocol = ProtocolFactory(title="Residence restrictions position")
    for user in (people.admin, people.supervisor, people.staff, people.other_staff):
        response = api(user.user).get("/api/v1/protocols/")
        assert response.status_code == 200
        assert [p["title"] for p in response.json()["results"]] == [protocol.title]
    assert api(people.no_staff_user).get("/api/v1/protocols/").status_code == 403
    assert api(None).get("/api/v1/protocols/").status_code in {401, 403}


def test_protocol_writes_need_an_editor_of_the_owning_agency(people: Personas) -> None:
    body = {"title": "Internet posting", "area": "position_internet_posting"}
    assert api(people.staff.user).post("/api/v1/protocols/", body).status_code == 404
    created = api(people.admin.user).post("/api/v1/protocols/", body)
    assert created.status_code == 201
    pk = created.json()["id"]
    assert Protocol.objects.get(pk=pk).owner_agency == people.agency
    rename = {"summary": "What may be posted."}
    assert api(people.other_admin.user).patch(f"/api/v1/protocols/{pk}/", rename).status_code == 404
    assert api(people.supervisor.user).patch(f"/api/v1/protocols/{pk}/", rename).status_code == 200
    duplicate = api(people.admin.user).post("/api/v1/protocols/", body)
    assert duplicate.status_code == 400
    assert duplicate.json()["errors"]["title"] == ["A protocol with this title already exists."]


def test_version_lifecycle_over_the_api(people: Personas) -> None:
    protocol = ProtocolFactory(owner_agency=people.agency)
    editor = api(people.supervisor.user)
    draft = editor.post(
        "/api/v1/protocol-versions/",
        {"protocol": protocol.pk, "body": "Visit <script>x()</script> monthly."},
    )
    assert draft.status_code == 201
    pk = draft.json()["id"]
    assert "<script" not in draft.json()["body_html"]
    # an outsider's draft on this protocol is refused without revealing it
    outsider = api(people.other_admin.user).post(
        "/api/v1/protocol-versions/", {"protocol": protocol.pk, "body": "x"}
    )
    assert outsider.status_code == 400 and "protocol" in outsider.json()["errors"]
    # staff cannot adopt; editors can
    adopt = {"effective_from": "2026-02-01"}
    assert (
        api(people.staff.user).post(f"/api/v1/protocol-versions/{pk}/adopt/", adopt).status_code
        == 404
    )
    adopted = editor.post(f"/api/v1/protocol-versions/{pk}/adopt/", adopt)
    assert adopted.status_code == 200 and adopted.json()["status"] == VersionStatus.ADOPTED
    # the officer owes an acknowledgment, then acknowledges
    pending = api(people.staff.user).get("/api/v1/protocol-versions/pending/").json()
    assert [(row["staff_id"], row["version_id"]) for row in pending] == [(people.staff.pk, pk)]
    ack = api(people.staff.user).post(f"/api/v1/protocol-versions/{pk}/acknowledge/")
    assert ack.status_code == 200
    assert Acknowledgment.objects.filter(staff=people.staff, version_id=pk).exists()
    assert api(people.staff.user).get("/api/v1/protocol-versions/pending/").json() == []


def test_version_diff_over_the_api(people: Personas) -> None:
    protocol = ProtocolFactory()
    ProtocolVersionFactory(protocol=protocol, number=1, body="a\nb")
    second = ProtocolVersionFactory(protocol=protocol, number=2, body="a\nc")
    response = api(people.staff.user).get(f"/api/v1/protocol-versions/{second.pk}/diff/")
    data = response.json()
    assert [(r["kind"], r["text"]) for r in data["rows"] if r["kind"] != "equal"] == [
        ("delete", "b"),
        ("insert", "c"),
    ]
    assert "-b\n+c" in data["unified"]


def test_standards_read_by_date(people: Personas) -> None:
    ContactStandardFactory(count=1, effective_to=date(2026, 5, 1))
    ContactStandardFactory(count=4, effective_from=date(2026, 5, 1))
    client = api(people.other_staff.user)
    march = client.get("/api/v1/standards/contact/?on=2026-03-15").json()["results"]
    history = client.get("/api/v1/standards/contact/?history=1").json()["results"]
    assert [row["count"] for row in march] == [1]
    assert sorted(row["count"] for row in history) == [1, 4]
    assert api(people.no_staff_user).get("/api/v1/standards/contact/").status_code == 403


def test_standard_writes_for_each_persona(people: Personas) -> None:
    row = ContactStandardFactory()
    start = (timezone.localdate() + timedelta(days=3)).isoformat()
    change = {"count": 2, "effective_from": start}
    url = f"/api/v1/standards/contact/{row.pk}/supersede/"
    assert api(people.staff.user).post(url, change).status_code == 404
    assert api(people.other_staff.user).post(url, change).status_code == 404
    assert api(None).post(url, change).status_code in {401, 403}
    preview = api(people.supervisor.user).post(
        f"/api/v1/standards/contact/{row.pk}/preview/", change
    )
    assert preview.status_code == 200 and "preview" in preview.json()
    assert ContactStandard.objects.count() == 1
    created = api(people.other_admin.user).post(url, change)
    assert created.status_code == 201 and created.json()["count"] == 2
    assert (
        AuditEvent.objects.filter(
            object_type="protocols.contactstandard", user=people.other_admin.user
        ).count()
        == 2
    )


def test_bad_standards_are_refused_with_field_errors(people: Personas) -> None:
    ContactStandardFactory()
    client = api(people.admin.user)
    zero = client.post(
        "/api/v1/standards/contact/",
        {
            "supervision_level": "low",
            "requirement": "home_visit",
            "count": 0,
            "period_days": 0,
            "effective_from": timezone.localdate().isoformat(),
        },
    )
    assert zero.status_code == 400
    assert zero.json()["errors"]["count"] == ["count must be at least 1."]
    assert zero.json()["errors"]["period_days"] == ["period_days must be at least 1."]
    overlap = client.post(
        "/api/v1/standards/contact/",
        {
            "supervision_level": "moderate",
            "requirement": "face_to_face",
            "count": 2,
            "period_days": 30,
            "effective_from": timezone.localdate().isoformat(),
        },
    )
    assert overlap.status_code == 400
    assert "in force during this period" in overlap.json()["errors"]["effective_from"][0]
    empty_text = client.post(
        "/api/v1/standards/checklist/",
        {
            "code": "transport",
            "text": "",
            "component": "transportation",
            "effective_from": timezone.localdate().isoformat(),
        },
    )
    assert empty_text.status_code == 400 and "text" in empty_text.json()["errors"]
