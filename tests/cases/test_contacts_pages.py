"""Pages: caseload (due first), contacts tab, contact log form, treatment and polygraph tabs,
by persona, with query counts that do not grow with the page."""

from __future__ import annotations

import datetime as dt
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.choices import RecordType, Role
from cases.models import PolygraphExam, SupervisionContact, TreatmentReport
from tests.factories import AgencyFactory, CaseFactory
from tests.factories_contacts import (
    PolygraphExamFactory,
    SupervisionContactFactory,
    TreatmentReportFactory,
    build_world,
    default_contact_standards,
    local_dt,
    share,
    staff_user,
)
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():  # noqa: ANN201
    default_contact_standards()
    return build_world()


def get(client, user, url):  # noqa: ANN001, ANN201
    otp_login(client, user)
    return client.get(url)


def contacts_url(case) -> str:  # noqa: ANN001
    return reverse("cases:case-contacts", kwargs={"case_pk": case.pk})


# --- caseload -----------------------------------------------------------------------------------


def test_caseload_lists_my_cases_overdue_first(client, world) -> None:  # noqa: ANN001
    # given the officer's cases: one seen today for every requirement; one never seen since it
    # started 300 days ago; one started 200 days ago and seen once, 60 days ago
    today = timezone.localdate()
    officer = world.officer.staff
    recent = CaseFactory(
        lead_agency=world.lead, officer=officer, supervision_start=today - timedelta(days=200)
    )
    for contact_type in ("home_visit", "treatment_collateral", "employment_verification"):
        SupervisionContactFactory(case=recent, contact_at=timezone.now(), contact_type=contact_type)
    never = CaseFactory(
        lead_agency=world.lead, officer=officer, supervision_start=today - timedelta(days=300)
    )
    old = CaseFactory(
        lead_agency=world.lead, officer=officer, supervision_start=today - timedelta(days=200)
    )
    SupervisionContactFactory(case=old, contact_at=local_dt(today - timedelta(days=60)))
    not_mine = CaseFactory(lead_agency=world.lead, supervision_start=today - timedelta(days=200))
    # when the officer opens the caseload
    response = get(client, world.officer, reverse("cases:caseload"))
    # then the cases are sorted by the earliest next-due date (overdue first)
    assert response.status_code == 200
    rows = response.context["rows"]
    order = [row["case"].pk for row in rows]
    earliest_first = sorted(
        order, key=lambda pk: next(r["next_due"] for r in rows if r["case"].pk == pk)
    )
    assert order == earliest_first
    assert order.index(never.pk) < order.index(old.pk) < order.index(recent.pk)
    assert [r["problem"] for r in rows if r["case"].pk in (never.pk, old.pk, recent.pk)] == [
        True,
        True,
        False,
    ]
    # and cases not assigned to the officer are absent
    assert not_mine.pk not in order
    assert "Log contact" in response.content.decode()


def test_caseload_includes_cases_where_i_am_on_the_team(client, world) -> None:  # noqa: ANN001
    from cases.models import CaseAssignment

    other = CaseFactory(lead_agency=world.lead)
    CaseAssignment.objects.create(
        case=other, agency=world.lead, staff=world.case_manager.staff, role="case_manager"
    )
    response = get(client, world.case_manager, reverse("cases:caseload"))
    assert {row["case"].pk for row in response.context["rows"]} == {world.case.pk, other.pk}


def test_caseload_is_managed_supervised_and_current_team_cases_that_are_open_and_visible(
    client,  # noqa: ANN001
    world,  # noqa: ANN001
) -> None:
    # The caseload is the union of three lookups (managed, supervised, on the team), then the
    # standing and open filters: each kind is in, each exclusion holds.
    from cases.models import CaseAssignment

    me = world.case_manager.staff
    managed = CaseFactory(lead_agency=world.lead, case_manager=me)
    supervised = CaseFactory(lead_agency=world.lead, officer=me)
    discharged = CaseFactory(lead_agency=world.lead, case_manager=me, status="discharged")
    left_team = CaseFactory(lead_agency=world.lead)
    CaseAssignment.objects.create(
        case=left_team,
        agency=world.lead,
        staff=me,
        role="case_manager",
        start_date=timezone.localdate() - timedelta(days=30),
        end_date=timezone.localdate() - timedelta(days=1),
    )
    # a case naming me at an agency whose contacts mine may not see (no MOU)
    elsewhere = CaseFactory(case_manager=me)
    response = get(client, world.case_manager, reverse("cases:caseload"))
    shown = {row["case"].pk for row in response.context["rows"]}
    assert {managed.pk, supervised.pk} <= shown
    assert not {discharged.pk, left_team.pk, elsewhere.pk} & shown


def test_caseload_query_count_does_not_grow_with_cases(client, world) -> None:  # noqa: ANN001
    def count_for(n: int) -> int:
        for _ in range(n):
            case = CaseFactory(lead_agency=world.lead, officer=world.officer.staff)
            SupervisionContactFactory(case=case)
        otp_login(client, world.officer)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("cases:caseload")).status_code == 200
        return len(ctx)

    assert count_for(2) == count_for(10)


def test_caseload_of_an_agency_without_cases_is_empty(client, world) -> None:  # noqa: ANN001
    response = get(client, world.outsider, reverse("cases:caseload"))
    assert response.context["rows"] == []


# --- contacts tab -------------------------------------------------------------------------------


def test_contacts_tab_shows_compliance_and_contacts_to_the_lead_officer(client, world) -> None:  # noqa: ANN001
    SupervisionContactFactory(case=world.case, notes="Discussed curfew.")
    response = get(client, world.officer, contacts_url(world.case))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Face-to-face contact" in body and "Next due" in body
    assert "Discussed curfew." in body
    assert {s.requirement for s in response.context["compliance"]} == {
        "face_to_face",
        "home_visit",
        "treatment_collateral",
        "employment_verification",
    }
    # the workspace tabs the officer may open
    assert reverse("cases:case-treatment", kwargs={"case_pk": world.case.pk}) in body
    assert reverse("cases:case-polygraph", kwargs={"case_pk": world.case.pk}) in body


def test_contacts_tab_is_field_limited_for_a_partner(client, world) -> None:  # noqa: ANN001
    # given a partner officer whose term shares when and what, not the notes
    partner = staff_user(AgencyFactory(kind="community_supervision"), Role.SUPERVISION_OFFICER)
    share(world.case, partner.staff.agency, RecordType.CONTACTS, ["contact_at", "contact_type"])
    SupervisionContactFactory(case=world.case, notes="Private note", location="Secret Lane")
    body = get(client, partner, contacts_url(world.case)).content.decode()
    assert "Home visit" in body or "Office" in body
    assert "Private note" not in body
    assert "Secret Lane" not in body


@pytest.mark.parametrize("persona", ["advocate", "outsider", "provider"])
def test_contacts_tab_is_404_without_contacts_standing(client, world, persona) -> None:  # noqa: ANN001
    assert get(client, getattr(world, persona), contacts_url(world.case)).status_code == 404


def test_contacts_list_query_count_does_not_grow_with_the_page(client, world) -> None:  # noqa: ANN001
    def count_for(n: int) -> int:
        SupervisionContactFactory.create_batch(n, case=world.case, officer=world.officer.staff)
        otp_login(client, world.officer)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(contacts_url(world.case)).status_code == 200
        return len(ctx)

    assert count_for(2) == count_for(12)


def test_anonymous_is_sent_to_login(client, world) -> None:  # noqa: ANN001
    response = client.get(contacts_url(world.case))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# --- contact form -------------------------------------------------------------------------------


def add_url(case) -> str:  # noqa: ANN001
    return reverse("cases:contact-add", kwargs={"case_pk": case.pk})


def test_contact_form_is_mobile_friendly(client, world) -> None:  # noqa: ANN001
    body = get(client, world.officer, add_url(world.case)).content.decode()
    assert 'type="datetime-local"' in body
    assert body.count("autofocus") == 1  # on the first contact-type button
    assert 'value="office" class="btn-check" autofocus' in body
    assert 'class="btn btn-outline-primary btn-lg' in body  # big touch targets
    assert f'value="{timezone.localtime():%Y-%m-%dT}' in body  # defaults to now


def test_logging_a_contact_from_the_form(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.officer)
    response = client.post(
        add_url(world.case) + "?next=caseload",
        {
            "contact_type": "home_visit",
            "face_to_face": "on",
            "contact_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
            "location": "Residence",
            "outcome": "completed",
            "notes": "Met the landlord.",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:caseload")
    contact = SupervisionContact.objects.get(case=world.case)
    assert (contact.contact_type, contact.officer, contact.notes) == (
        "home_visit",
        world.officer.staff,
        "Met the landlord.",
    )


def test_a_future_contact_shows_the_error_next_to_the_field(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.officer)
    later = (timezone.localtime() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        add_url(world.case), {"contact_type": "office", "contact_at": later, "outcome": "completed"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="id_contact_at-error"' in body
    assert "contact_at is in the future" in body
    assert 'aria-describedby="id_contact_at-error"' in body
    assert (
        body.count("autofocus") == 1 and 'autofocus aria-invalid="true"' in body
    )  # focus moves to the error
    assert not SupervisionContact.objects.exists()


def test_missing_type_shows_the_error_next_to_the_field(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.officer)
    response = client.post(add_url(world.case), {"contact_at": "", "outcome": "completed"})
    assert 'id="id_contact_type-error"' in response.content.decode()


@pytest.mark.parametrize("persona", ["advocate", "outsider", "provider"])
def test_contact_form_is_404_without_add_standing(client, world, persona) -> None:  # noqa: ANN001
    user = getattr(world, persona)
    otp_login(client, user)
    assert client.get(add_url(world.case)).status_code == 404
    assert client.post(add_url(world.case), {"contact_type": "office"}).status_code == 404
    assert not SupervisionContact.objects.exists()


# --- treatment and polygraph --------------------------------------------------------------------


def treatment_url(case) -> str:  # noqa: ANN001
    return reverse("cases:case-treatment", kwargs={"case_pk": case.pk})


def report_url(world) -> str:  # noqa: ANN001
    return reverse(
        "cases:treatment-report-add",
        kwargs={"case_pk": world.case.pk, "enrollment_pk": world.enrollment.pk},
    )


def test_officer_sees_the_providers_reports(client, world) -> None:  # noqa: ANN001
    TreatmentReportFactory(enrollment=world.enrollment, concerns="Minimizes offense in group.")
    body = get(client, world.officer, treatment_url(world.case)).content.decode()
    assert "Minimizes offense in group." in body
    assert "February 2026" in body


def test_provider_adds_a_report_through_the_page(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.provider)
    page = client.get(treatment_url(world.case)).content.decode()
    assert report_url(world) in page
    assert "Expected completion" not in page  # not shared with the provider
    response = client.post(
        report_url(world),
        {
            "month": "2026-02",
            "sessions_scheduled": 4,
            "sessions_attended": 4,
            "participation": "good",
            "progress": "good",
        },
    )
    assert response.status_code == 302
    assert TreatmentReport.objects.filter(
        enrollment=world.enrollment, month=dt.date(2026, 2, 1)
    ).exists()
    # a second report for the month: a message next to the month field
    again = client.post(
        report_url(world),
        {
            "month": "2026-02",
            "sessions_scheduled": 4,
            "sessions_attended": 2,
            "participation": "fair",
            "progress": "fair",
        },
    )
    assert again.status_code == 200
    assert "There is already a report for February 2026" in again.content.decode()
    assert 'id="id_month-error"' in again.content.decode()


def test_provider_without_an_add_term_gets_404_on_the_report_form(client) -> None:  # noqa: ANN001
    view_only = build_world(provider_can_add=False)
    otp_login(client, view_only.provider)
    assert client.get(treatment_url(view_only.case)).status_code == 200
    assert client.get(report_url(view_only)).status_code == 404
    assert client.post(report_url(view_only), {"month": "2026-02"}).status_code == 404


def test_victim_advocate_never_sees_treatment_or_polygraph(client, world) -> None:  # noqa: ANN001
    TreatmentReportFactory(enrollment=world.enrollment)
    PolygraphExamFactory(case=world.case)
    otp_login(client, world.advocate)
    assert client.get(treatment_url(world.case)).status_code == 404
    assert (
        client.get(reverse("cases:case-polygraph", kwargs={"case_pk": world.case.pk})).status_code
        == 404
    )


def test_polygraph_page_and_form(client, world) -> None:  # noqa: ANN001
    PolygraphExamFactory(case=world.case, disclosures="Visited a park.", flagged=True)
    otp_login(client, world.officer)
    url = reverse("cases:case-polygraph", kwargs={"case_pk": world.case.pk})
    body = client.get(url).content.decode()
    assert "Visited a park." in body and "Flagged" in body
    response = client.post(
        reverse("cases:polygraph-add", kwargs={"case_pk": world.case.pk}),
        {
            "exam_type": "specific_issue",
            "exam_date": "2026-02-20",
            "examiner": "R. Quill",
            "result": "inconclusive",
        },
    )
    assert response.status_code == 302
    assert PolygraphExam.objects.filter(case=world.case).count() == 2


def test_provider_sees_no_polygraph_without_a_term(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.provider)
    assert (
        client.get(reverse("cases:case-polygraph", kwargs={"case_pk": world.case.pk})).status_code
        == 404
    )
    assert (
        reverse("cases:case-polygraph", kwargs={"case_pk": world.case.pk})
        not in client.get(treatment_url(world.case)).content.decode()
    )


def test_enroll_and_discharge_through_the_pages(client, world) -> None:  # noqa: ANN001
    otp_login(client, world.case_manager)
    response = client.post(
        reverse("cases:treatment-enroll", kwargs={"case_pk": world.case.pk}),
        {"provider": world.provider_agency.pk, "program": "Aftercare", "intake_date": "2026-02-02"},
    )
    assert response.status_code == 302
    enrollment = world.case.treatment_enrollments.get(program="Aftercare")
    url = reverse(
        "cases:treatment-discharge",
        kwargs={"case_pk": world.case.pk, "enrollment_pk": enrollment.pk},
    )
    bad = client.post(url, {"discharge_status": "completed", "discharged_on": "2026-01-01"})
    assert 'id="id_discharged_on-error"' in bad.content.decode()
    assert (
        client.post(
            url, {"discharge_status": "completed", "discharged_on": "2026-03-01"}
        ).status_code
        == 302
    )
    enrollment.refresh_from_db()
    assert enrollment.discharge_status == "completed"
