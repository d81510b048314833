"""Background case-level exports: requested by a row role only, built as the requester
(restricted, permitted fields), progress shown by htmx polling, downloaded by the requester
only, every step audited, formula-safe."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from agencies.choices import RecordType, Role
from cases.tasks_reports import build_report_export
from sartcm.models import AuditAction, AuditEvent, AuditOutcome, ReportExport
from tests.factories import AgencyFactory, CaseFactory, OffenderFactory
from tests.factories_contacts import default_contact_standards, share, staff_user
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db

CREATE = reverse("cases:report-export-create", kwargs={"report": "contact-compliance"})
FILTERS = {"start": "2026-10", "end": "2026-11"}


@pytest.fixture
def lead():  # noqa: ANN201
    default_contact_standards()
    return AgencyFactory(short_name="DIST9")


def request_export(client, user, django_capture_on_commit_callbacks) -> ReportExport:  # noqa: ANN001
    otp_login(client, user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(CREATE, FILTERS)
    export = ReportExport.objects.get(requested_by=user)
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:report-export", kwargs={"pk": export.pk})
    assert len(callbacks) == 1  # the task is queued after commit
    return export


def read_csv(export: ReportExport) -> list[list[str]]:
    export.refresh_from_db()
    return list(csv.reader(io.StringIO(export.file.read().decode())))


def test_supervisor_export_is_built_in_the_background_as_the_requester(
    client, lead, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    # given two supervised cases of the agency, one of another agency, and one formula name
    mine = CaseFactory(lead_agency=lead, offender=OffenderFactory(first_name="Ann", last_name="Ng"))
    tricky = CaseFactory(
        lead_agency=lead, offender=OffenderFactory(first_name="=1+2", last_name="Doe")
    )
    other = CaseFactory()
    supervisor = staff_user(lead, Role.SUPERVISOR)
    export = request_export(client, supervisor, django_capture_on_commit_callbacks)
    assert export.status == "queued" and export.progress == 0
    # when the worker runs the task
    build_report_export(str(export.pk))
    # then the file is ready under MEDIA_ROOT/exports/ with one row per case the user may see
    export.refresh_from_db()
    assert export.status == "done" and export.progress == 100 and export.row_count == 2
    assert Path(export.file.path).parent == Path(settings.MEDIA_ROOT) / "exports"
    rows = read_csv(export)
    assert rows[0][:4] == ["Case", "Name", "Agency", "Supervision level"]
    by_case = {r[0]: r for r in rows[1:]}
    assert set(by_case) == {mine.case_number, tricky.case_number}
    assert other.case_number not in by_case
    assert by_case[mine.case_number][1] == "Ann Ng"
    assert by_case[tricky.case_number][1] == "'=1+2 Doe"  # formula-safe
    assert by_case[mine.case_number][4] in ("Behind", "First-contact deadline missed", "Compliant")
    # and the build is audited as an export, with one read row per case exported
    built = AuditEvent.objects.filter(
        action=AuditAction.EXPORT, user=supervisor, object_id=str(export.pk)
    )
    assert [e.detail.split(":")[0] for e in built.order_by("at", "pk")] == [
        "Export requested",
        "Export built",
    ]
    assert set(
        AuditEvent.objects.filter(action=AuditAction.EXPORT, case_id__isnull=False).values_list(
            "case_id", flat=True
        )
    ) == {mine.pk, tricky.pk}


def test_partner_names_follow_the_identity_terms(
    client, lead, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    # given a supervisor whose agency leads one case and sees a partner's case without names
    supervisor = staff_user(lead, Role.SUPERVISOR)
    partner_case = CaseFactory(offender=OffenderFactory(last_name="Hidden"))
    share(partner_case, lead, RecordType.CONTACTS, ["contact_at"])
    CaseFactory(lead_agency=lead)
    export = request_export(client, supervisor, django_capture_on_commit_callbacks)
    build_report_export(str(export.pk))
    # the report covers the agencies the user reports on (their own), so the partner's case
    # is not a row at all
    assert partner_case.case_number not in repr(read_csv(export))


def test_progress_page_polls_until_done_then_offers_the_download(
    client, lead, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    CaseFactory(lead_agency=lead)
    supervisor = staff_user(lead, Role.SUPERVISOR)
    export = request_export(client, supervisor, django_capture_on_commit_callbacks)
    status_url = reverse("cases:report-export", kwargs={"pk": export.pk})
    page = client.get(status_url).content.decode()
    assert 'hx-trigger="every 1s"' in page and "<progress" in page
    assert reverse("cases:report-export-download", kwargs={"pk": export.pk}) not in page
    build_report_export(str(export.pk))
    fragment = client.get(status_url, HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert "<html" not in html  # a fragment for htmx
    assert "hx-trigger" not in html  # polling stops
    assert reverse("cases:report-export-download", kwargs={"pk": export.pk}) in html


def test_only_the_requester_may_see_or_download_it(
    client, lead, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    CaseFactory(lead_agency=lead)
    supervisor = staff_user(lead, Role.SUPERVISOR)
    export = request_export(client, supervisor, django_capture_on_commit_callbacks)
    build_report_export(str(export.pk))
    download = reverse("cases:report-export-download", kwargs={"pk": export.pk})
    status_url = reverse("cases:report-export", kwargs={"pk": export.pk})
    for someone in (
        staff_user(lead, Role.SUPERVISOR),  # same agency, same role
        staff_user(lead, Role.AGENCY_ADMIN),
        staff_user(AgencyFactory(), Role.SUPERVISOR),
    ):
        otp_login(client, someone)
        assert client.get(download).status_code == 404
        assert client.get(status_url).status_code == 404
    otp_login(client, supervisor)
    response = client.get(download)
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert b"Case,Name,Agency" in b"".join(response.streaming_content)
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, user=supervisor, detail__startswith="Export downloaded"
    ).exists()


def test_an_unfinished_export_cannot_be_downloaded(
    client, lead, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    supervisor = staff_user(lead, Role.SUPERVISOR)
    export = request_export(client, supervisor, django_capture_on_commit_callbacks)
    download = reverse("cases:report-export-download", kwargs={"pk": export.pk})
    assert client.get(download).status_code == 404


@pytest.mark.parametrize("role", [Role.ANALYST, Role.CASE_MANAGER])
def test_analysts_and_non_report_roles_cannot_export_rows(client, lead, role) -> None:  # noqa: ANN001
    otp_login(client, staff_user(lead, role))
    assert client.post(CREATE, FILTERS).status_code == 404
    assert not ReportExport.objects.exists()


def test_reports_without_case_rows_offer_no_export(client, lead) -> None:  # noqa: ANN001
    otp_login(client, staff_user(lead, Role.SUPERVISOR))
    create = reverse("cases:report-export-create", kwargs={"report": "alerts"})
    assert client.post(create, FILTERS).status_code == 404


def test_a_task_builds_an_export_once(client, lead, django_capture_on_commit_callbacks) -> None:  # noqa: ANN001
    supervisor = staff_user(lead, Role.SUPERVISOR)
    export = request_export(client, supervisor, django_capture_on_commit_callbacks)
    build_report_export(str(export.pk))
    build_report_export(str(export.pk))  # a redelivered message: claimed already, no-op
    assert (
        AuditEvent.objects.filter(
            object_id=str(export.pk), detail__startswith="Export built"
        ).count()
        == 1
    )


def test_a_requester_who_lost_access_gets_an_empty_file(
    client, lead, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    CaseFactory(lead_agency=lead)
    supervisor = staff_user(lead, Role.SUPERVISOR)
    export = request_export(client, supervisor, django_capture_on_commit_callbacks)
    supervisor.staff.roles = [Role.CASE_MANAGER]
    supervisor.staff.save()
    build_report_export(str(export.pk))
    export.refresh_from_db()
    assert export.status == "done" and export.row_count == 0


def test_a_broken_export_fails_cleanly_and_is_audited(lead) -> None:  # noqa: ANN001
    supervisor = staff_user(lead, Role.SUPERVISOR)
    export = ReportExport.objects.create(
        requested_by=supervisor, kind="nonsense", title="Broken", params={}
    )
    build_report_export(str(export.pk))
    export.refresh_from_db()
    assert export.status == "failed" and export.error
    assert AuditEvent.objects.filter(
        object_id=str(export.pk), outcome=AuditOutcome.FAILURE
    ).exists()


def test_my_exports_are_listed_on_the_reports_page(
    client, lead, django_capture_on_commit_callbacks
) -> None:  # noqa: ANN001
    supervisor = staff_user(lead, Role.SUPERVISOR)
    export = request_export(client, supervisor, django_capture_on_commit_callbacks)
    other = staff_user(lead, Role.SUPERVISOR)
    page = client.get(reverse("cases:report-index")).content.decode()
    assert reverse("cases:report-export", kwargs={"pk": export.pk}) in page
    otp_login(client, other)
    page = client.get(reverse("cases:report-index")).content.decode()
    assert reverse("cases:report-export", kwargs={"pk": export.pk}) not in page
