"""Pages of the protocol library and the standards editor, for every persona."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from protocols.choices import AlertRuleCode, ProtocolArea, VersionStatus
from protocols.models import Acknowledgment, ContactStandard, Holiday, Protocol, ProtocolVersion
from tests.factories_protocols import (
    ContactStandardFactory,
    Personas,
    ProtocolFactory,
    ProtocolVersionFactory,
    RegistrationScheduleFactory,
    make_personas,
)
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def people() -> Personas:
    return make_personas()


def client_for(user: object | None) -> Client:
    client = Client()
    if user is not None:
        otp_login(client, user)
    return client


def adopted_version(agencies: list, **protocol: object) -> ProtocolVersion:
    version = ProtocolVersionFactory(protocol=ProtocolFactory(**protocol))
    version.status = VersionStatus.ADOPTED
    version.effective_from = date(2026, 1, 5)
    version.adopted_at = timezone.make_aware(datetime(2026, 1, 5, 9))
    version.save()
    version.adopting_agencies.set(agencies)
    return version


# --------------------------------------------------------------------------- library


def test_library_pages_for_each_persona(people: Personas) -> None:
    version = adopted_version([people.agency], title="Containment model")
    list_url = reverse("protocols:list")
    detail_url = reverse("protocols:detail", args=[version.protocol_id])
    version_url = reverse("protocols:version-detail", args=[version.pk])
    for user in (people.admin, people.supervisor, people.staff, people.other_staff):
        client = client_for(user.user)
        assert "Containment model" in client.get(list_url).content.decode()
        assert client.get(detail_url).status_code == 200
        assert client.get(version_url).status_code == 200
    # a signed-in user with no staff record sees nothing; anonymous is sent to log in
    outsider = client_for(people.no_staff_user)
    assert "Containment model" not in outsider.get(list_url).content.decode()
    assert outsider.get(detail_url).status_code == 404
    assert outsider.get(version_url).status_code == 404
    anonymous = client_for(None).get(detail_url)
    assert anonymous.status_code == 302 and reverse("login") in anonymous["Location"]


def test_version_page_shows_sanitized_text(people: Personas) -> None:
    version = adopted_version([people.agency])
    version.body = "Read this.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(2))"
    version.save()
    html = client_for(people.staff.user).get(reverse("protocols:version-detail", args=[version.pk]))
    content = html.content.decode()
    assert "<p>Read this.</p>" in content
    assert "alert(1)" not in content and "javascript:" not in content


def test_only_editors_create_protocols(people: Personas) -> None:
    url = reverse("protocols:create")
    assert client_for(people.staff.user).get(url).status_code == 404
    assert client_for(people.no_staff_user).get(url).status_code == 404
    response = client_for(people.supervisor.user).post(
        url,
        {
            "title": "Family reunification",
            "area": ProtocolArea.POSITION_FAMILY_REUNIFICATION,
            "summary": "When contact with the family resumes.",
            "applies_to_roles": ["supervision_officer", "treatment_provider"],
        },
    )
    protocol = Protocol.objects.get(title="Family reunification")
    assert response.status_code == 302
    assert protocol.owner_agency == people.agency
    assert protocol.applies_to_roles == ["supervision_officer", "treatment_provider"]


def test_another_agencys_protocol_is_not_editable(people: Personas) -> None:
    protocol = ProtocolFactory(owner_agency=people.other_agency)
    url = reverse("protocols:update", args=[protocol.pk])
    assert client_for(people.admin.user).get(url).status_code == 404
    assert client_for(people.other_admin.user).get(url).status_code == 200
    create_version = reverse("protocols:version-create", args=[protocol.pk])
    assert client_for(people.admin.user).post(create_version, {"body": "x"}).status_code == 404


def test_draft_adopt_and_acknowledge_through_pages(people: Personas) -> None:
    protocol = ProtocolFactory(owner_agency=people.agency)
    editor = client_for(people.supervisor.user)
    response = editor.post(
        reverse("protocols:version-create", args=[protocol.pk]),
        {"body": "# Rules\n\nVisit monthly.", "acknowledge_within_days": 10},
    )
    version = protocol.versions.get()
    assert response.status_code == 302 and version.status == VersionStatus.DRAFT
    # a plain officer cannot adopt; the supervisor can
    officer = client_for(people.staff.user)
    adopt_url = reverse("protocols:version-adopt", args=[version.pk])
    assert officer.post(adopt_url, {"effective_from": "2026-02-01"}).status_code == 404
    editor.post(adopt_url, {"effective_from": "2026-02-01"})
    version.refresh_from_db()
    assert version.status == VersionStatus.ADOPTED
    # the officer is asked to acknowledge, acknowledges, and is no longer listed
    page = officer.get(reverse("protocols:version-detail", args=[version.pk])).content.decode()
    assert "I have read and acknowledge this version" in page
    officer.post(reverse("protocols:version-acknowledge", args=[version.pk]))
    assert Acknowledgment.objects.filter(staff=people.staff, version=version).exists()


def test_acknowledgment_page_scopes(people: Personas) -> None:
    adopted_version([people.agency, people.other_agency], title="Polygraph use")
    url = reverse("protocols:acknowledgments")
    supervisor_page = client_for(people.supervisor.user).get(url).content.decode()
    assert people.staff.full_name in supervisor_page
    assert people.other_staff.full_name not in supervisor_page
    officer_page = client_for(people.staff.user).get(url).content.decode()
    assert "Polygraph use" in officer_page
    assert "Protocols I have to acknowledge" in officer_page
    assert people.supervisor.full_name not in officer_page
    other_page = client_for(people.other_admin.user).get(url).content.decode()
    assert people.other_staff.full_name in other_page
    assert people.staff.full_name not in other_page
    assert client_for(people.no_staff_user).get(url).status_code == 404


def test_diff_page_marks_removed_and_added_lines(people: Personas) -> None:
    protocol = ProtocolFactory()
    ProtocolVersionFactory(protocol=protocol, number=1, body="Visit monthly.\nCall weekly.")
    ProtocolVersionFactory(protocol=protocol, number=2, body="Visit twice a month.\nCall weekly.")
    page = client_for(people.staff.user).get(
        reverse("protocols:diff", args=[protocol.pk]) + "?from=1&to=2"
    )
    content = page.content.decode()
    assert "<del>Visit monthly.</del>" in content
    assert "<ins>Visit twice a month.</ins>" in content
    assert "<caption>" in content


# --------------------------------------------------------------------------- standards


def test_standard_pages_for_each_persona(people: Personas) -> None:
    row = ContactStandardFactory()
    list_url = reverse("protocols:standard-list", args=["contact"])
    detail_url = reverse("protocols:standard-detail", args=["contact", row.pk])
    edit_url = reverse("protocols:standard-supersede", args=["contact", row.pk])
    for user in (people.admin, people.supervisor, people.staff, people.other_staff):
        client = client_for(user.user)
        assert client.get(list_url).status_code == 200
        assert client.get(detail_url).status_code == 200
    assert client_for(people.admin.user).get(edit_url).status_code == 200
    assert client_for(people.supervisor.user).get(edit_url).status_code == 200
    assert client_for(people.other_admin.user).get(edit_url).status_code == 200  # statewide data
    assert client_for(people.staff.user).get(edit_url).status_code == 404
    assert client_for(people.no_staff_user).get(list_url).status_code == 200
    assert client_for(people.no_staff_user).get(detail_url).status_code == 404
    assert client_for(None).get(list_url).status_code == 302
    assert client_for(people.staff.user).get(reverse("protocols:standards")).status_code == 200
    assert client_for(people.no_staff_user).get(reverse("protocols:standards")).status_code == 404


def test_standard_list_by_date(people: Personas) -> None:
    old = ContactStandardFactory(count=1, effective_to=date(2026, 5, 1))
    ContactStandardFactory(count=4, effective_from=date(2026, 5, 1))
    client = client_for(people.staff.user)
    url = reverse("protocols:standard-list", args=["contact"])
    march = client.get(url + "?on=2026-03-15").context["rows"]
    june = client.get(url + "?on=2026-06-15").context["rows"]
    assert [row.pk for row, _ in march] == [old.pk]
    assert [cells[3] for _, cells in june] == [4]


def test_supersede_page_previews_then_saves(people: Personas) -> None:
    row = RegistrationScheduleFactory(jurisdiction="Lakeshore State", tier="II", interval=6)
    client = client_for(people.supervisor.user)
    url = reverse("protocols:standard-supersede", args=["registration", row.pk])
    start = (timezone.localdate() + timedelta(days=7)).isoformat()
    form = {
        "rule": "interval_months",
        "interval": 3,
        "period_years": 25,
        "due_soon_days": 14,
        "report_change_business_days": 3,
        "effective_from": start,
        "action": "preview",
    }
    # when the editor asks for a preview
    preview = client.post(url, form)
    # then the preview is shown and nothing is saved
    assert preview.status_code == 200
    assert "0 registrations would get a different next verification date" in (
        preview.content.decode()
    )
    assert ContactStandard.objects.count() == 0
    assert row.__class__.objects.count() == 1
    token = preview.context["token"]
    # a save with values other than the previewed ones is previewed again, not saved
    stale = client.post(url, {**form, "interval": 4, "action": "save", "token": token})
    assert stale.status_code == 200 and row.__class__.objects.count() == 1
    # when the previewed values are confirmed
    saved = client.post(url, {**form, "action": "save", "token": token})
    assert saved.status_code == 302
    row.refresh_from_db()
    assert row.effective_to == date.fromisoformat(start)
    assert row.__class__.objects.get(effective_from=start).interval == 3


def test_supersede_page_shows_errors_next_to_fields(people: Personas) -> None:
    row = ContactStandardFactory()
    client = client_for(people.admin.user)
    url = reverse("protocols:standard-supersede", args=["contact", row.pk])
    response = client.post(
        url,
        {
            "count": 0,
            "period_days": 0,
            "effective_from": timezone.localdate().isoformat(),
            "action": "preview",
        },
    )
    form = response.context["form"]
    assert form.errors["count"] == ["count must be at least 1."]
    assert form.errors["period_days"] == ["period_days must be at least 1."]
    assert 'aria-invalid="true"' in response.content.decode()
    past = client.post(
        url,
        {
            "count": 2,
            "period_days": 30,
            "effective_from": "2025-06-01",
            "action": "preview",
        },
    )
    assert "today or later" in past.context["form"].errors["effective_from"][0]


def test_create_standard_refuses_overlap_on_the_page(people: Personas) -> None:
    ContactStandardFactory()
    client = client_for(people.admin.user)
    url = reverse("protocols:standard-create", args=["contact"])
    assert client_for(people.staff.user).get(url).status_code == 404
    response = client.post(
        url,
        {
            "jurisdiction": "",
            "supervision_level": "moderate",
            "requirement": "face_to_face",
            "count": 2,
            "period_days": 30,
            "effective_from": timezone.localdate().isoformat(),
            "action": "preview",
        },
    )
    assert response.context["form"].errors["effective_from"] == [
        "Another contact standard for this level and requirement is in force during this period."
    ]


def test_holidays_page(people: Personas) -> None:
    Holiday.objects.create(date=date(2026, 11, 26), name="Thanksgiving Day")
    url = reverse("protocols:holidays") + "?year=2026"
    assert "Thanksgiving Day" in client_for(people.staff.user).get(url).content.decode()
    add = {"date": "2026-12-24", "name": "Christmas Eve", "jurisdiction": "Prairie State"}
    assert client_for(people.staff.user).post(url, add).status_code == 404
    assert client_for(people.admin.user).post(url, add).status_code == 302
    assert Holiday.objects.filter(name="Christmas Eve", jurisdiction="Prairie State").exists()
    duplicate = client_for(people.admin.user).post(url, add)
    assert duplicate.context["form"].errors["date"] == ["This date is already a holiday here."]


def test_list_pages_do_not_query_per_row(people: Personas, django_assert_max_num_queries) -> None:  # noqa: ANN001
    from io import StringIO

    from django.core.management import call_command

    call_command("load_standards", stdout=StringIO())
    client = client_for(people.staff.user)
    client.get(reverse("protocols:list"))  # warm the session
    # 9 for the page, +2 for the MFA middleware (OTP device, account state)
    with django_assert_max_num_queries(11):
        assert client.get(reverse("protocols:list")).status_code == 200
    # 9 for the page, +2 for the MFA middleware (OTP device, account state)
    with django_assert_max_num_queries(11):
        page = client.get(reverse("protocols:standard-list", args=["alert-setting"]))
    assert len(page.context["rows"]) == len(AlertRuleCode)  # one setting per rule
