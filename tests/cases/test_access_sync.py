"""sync_grants: the grants equal what the in-force terms and case teams call for, applied as a
set difference, scoped, idempotent, audited per term, and constant in SQL statements."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.contrib.auth.models import Permission

from agencies.choices import RecordType
from cases.access import diff_grants, sync_grants
from cases.models import AgencyWideGrant, Case, CaseAssignment, CaseGroupObjectPermission
from mou.choices import MOUStatus, TermScope
from mou.models import DataSharingTerm
from sartcm.models import AuditAction, AuditEvent
from tests.factories import AssignmentFactory, CaseFactory
from tests.factories_access import agency, mou_with_terms, term_spec

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()


def grants(agency_: Any = None) -> set[tuple[str, str, str]]:
    """(agency, permission, case number) of every grant in effect: each per-case row, and each
    agency-wide row expanded to the cases its provider leads."""
    rows = CaseGroupObjectPermission.objects.select_related(
        "group__agency", "permission", "content_object"
    )
    wide = AgencyWideGrant.objects.select_related("group__agency", "permission")
    if agency_ is not None:
        rows = rows.filter(group=agency_.group)
        wide = wide.filter(group=agency_.group)
    return {
        (g.group.agency.short_name, g.permission.codename, g.content_object.case_number)
        for g in rows
    } | {
        (w.group.agency.short_name, w.permission.codename, number)
        for w in wide
        for number in Case.objects.filter(lead_agency_id=w.provider_id).values_list(
            "case_number", flat=True
        )
    }


def delete_all_grants() -> None:
    """Delete every grant row, both kinds (a tampered or lost grant table)."""
    CaseGroupObjectPermission.objects.all().delete()
    AgencyWideGrant.objects.all().delete()


@pytest.fixture
def doc() -> Any:
    return agency("PDOC")


@pytest.fixture
def csa() -> Any:
    return agency("PCSA")


def test_scope_assigned_grants_only_team_cases_and_scope_all_every_case(doc, csa) -> None:
    # given two DOC cases, CSA on the team of one
    on_team, off_team = CaseFactory(lead_agency=doc), CaseFactory(lead_agency=doc)
    AssignmentFactory(case=on_team, agency=csa)
    # when an active MOU shares status (view, add) of assigned cases and identity of all cases
    mou_with_terms(
        doc,
        {
            csa: [
                term_spec(RecordType.STATUS, ["status"], ["view", "add"], TermScope.ASSIGNED),
                term_spec(RecordType.IDENTITY, ["first_name"], ["view"], TermScope.ALL),
            ]
        },
    )
    # then exactly these grants exist
    assert grants() == {
        ("PCSA", "view_status", on_team.case_number),
        ("PCSA", "add_status", on_team.case_number),
        ("PCSA", "view_identity", on_team.case_number),
        ("PCSA", "view_identity", off_team.case_number),
    }
    # and the lead agency's standing stays implicit
    assert not grants(doc)
    # the scope-all term is ONE agency-wide row, whatever the number of cases; the
    # assigned-scope term one row per team case and action
    assert AgencyWideGrant.objects.count() == 1
    assert CaseGroupObjectPermission.objects.count() == 2


def test_an_agency_wide_grant_covers_cases_opened_later_without_a_row_per_case(doc, csa) -> None:
    mou_with_terms(doc, {csa: [term_spec(RecordType.STATUS, ["status"], scope=TermScope.ALL)]})
    later = [CaseFactory(lead_agency=doc) for _ in range(3)]
    assert {g[2] for g in grants(csa)} == {c.case_number for c in later}
    assert not CaseGroupObjectPermission.objects.exists()
    assert diff_grants() == ([], [])


def test_an_assigned_term_adds_no_row_where_an_all_cases_term_already_grants(doc, csa) -> None:
    case = CaseFactory(lead_agency=doc)
    AssignmentFactory(case=case, agency=csa)
    mou_with_terms(doc, {csa: [term_spec(RecordType.STATUS, ["status"], ["view"], TermScope.ALL)]})
    mou_with_terms(
        doc,
        {csa: [term_spec(RecordType.STATUS, ["supervision_level"], ["view"], TermScope.ASSIGNED)]},
    )
    assert grants() == {("PCSA", "view_status", case.case_number)}
    assert not CaseGroupObjectPermission.objects.exists()


@pytest.mark.parametrize(
    ("status", "effective", "expiration"),
    [
        (MOUStatus.DRAFT, -30, 30),
        (MOUStatus.AWAITING_SIGNATURES, -30, 30),
        (MOUStatus.TERMINATED, -30, 30),
        (MOUStatus.EXPIRED, -30, 30),
        (MOUStatus.ACTIVE, 5, 30),  # not effective yet
        (MOUStatus.ACTIVE, -30, -1),  # past its date, before the daily task ran
    ],
)
def test_terms_not_in_force_grant_nothing(doc, csa, status, effective, expiration) -> None:
    CaseFactory(lead_agency=doc)
    mou_with_terms(
        doc,
        {csa: [term_spec(RecordType.STATUS, ["status"], scope=TermScope.ALL)]},
        status=status,
        effective=TODAY + dt.timedelta(days=effective),
        expiration=TODAY + dt.timedelta(days=expiration),
    )
    assert grants() == set()


def test_superseded_and_pending_versions_grant_nothing(doc, csa) -> None:
    case = CaseFactory(lead_agency=doc)
    mou = mou_with_terms(
        doc, {csa: [term_spec(RecordType.STATUS, ["status"], scope=TermScope.ALL)]}, sync=False
    )
    # a pending amendment (version 2) sharing polygraph is not in force yet
    DataSharingTerm.objects.create(
        mou=mou,
        version=2,
        provider=doc,
        recipient=csa,
        record_type=RecordType.POLYGRAPH,
        fields=["result"],
        actions=["view"],
        scope=TermScope.ALL,
    )
    sync_grants()
    assert grants() == {("PCSA", "view_status", case.case_number)}
    # once version 2 is in force, version 1 (superseded) no longer counts
    DataSharingTerm.objects.filter(mou=mou, version=1).update(superseded_at=dt.datetime.now(dt.UTC))
    mou.terms_version = 2
    mou.save()
    sync_grants()
    assert grants() == {("PCSA", "view_polygraph", case.case_number)}


def test_sync_is_idempotent_and_audits_each_batch_with_its_term(doc, csa) -> None:
    CaseFactory(lead_agency=doc), CaseFactory(lead_agency=doc)
    mou = mou_with_terms(
        doc,
        {csa: [term_spec(RecordType.STATUS, ["status"], scope=TermScope.ALL)]},
        title="Prairie partners",
    )
    event = AuditEvent.objects.get(action=AuditAction.GRANT)
    term = DataSharingTerm.objects.get(mou=mou)
    assert event.recipient_agency_id == csa.pk
    assert event.changes["count"] == 2 and event.changes["term"] == term.pk
    assert "Prairie partners" in event.detail and f"term #{term.pk}" in event.detail
    # a second run changes nothing and writes no audit row
    result = sync_grants()
    assert (result.granted, result.revoked) == (0, 0)
    assert (
        AuditEvent.objects.filter(action__in=[AuditAction.GRANT, AuditAction.REVOKE]).count() == 1
    )


def test_tampered_grants_are_repaired_and_the_revoke_is_audited(doc, csa) -> None:
    case = CaseFactory(lead_agency=doc)
    mou_with_terms(doc, {csa: [term_spec(RecordType.STATUS, ["status"], scope=TermScope.ALL)]})
    # given someone deleted a grant and added one no term calls for
    delete_all_grants()
    rogue = Permission.objects.get(codename="view_polygraph")
    CaseGroupObjectPermission.objects.create(group=csa.group, permission=rogue, content_object=case)
    missing, extra = diff_grants()
    assert [(r.agency, r.permission) for r in missing] == [("PCSA", "view_status")]
    assert [(r.agency, r.permission) for r in extra] == [("PCSA", "view_polygraph")]
    # when synced, both are repaired
    result = sync_grants()
    assert (result.granted, result.revoked) == (1, 1)
    assert grants() == {("PCSA", "view_status", case.case_number)}
    revoke = AuditEvent.objects.get(action=AuditAction.REVOKE)
    assert revoke.case_id == case.pk and "view_polygraph" in revoke.detail


def test_a_scoped_sync_touches_only_its_cases_and_agencies(doc, csa) -> None:
    other = agency("HVS")
    first, second = CaseFactory(lead_agency=doc), CaseFactory(lead_agency=doc)
    for case in (first, second):
        AssignmentFactory(case=case, agency=csa)
        AssignmentFactory(case=case, agency=other)
    mou_with_terms(
        doc,
        {
            csa: [
                term_spec(RecordType.STATUS, ["status"], scope=TermScope.ASSIGNED),
                term_spec(RecordType.IDENTITY, ["last_name"], scope=TermScope.ALL),
            ],
            other: [term_spec(RecordType.STATUS, ["status"], scope=TermScope.ASSIGNED)],
        },
    )
    delete_all_grants()
    # a sync scoped to one case restores that case's per-case grants only (case events never
    # change agency-wide grants, so it leaves those alone)
    sync_grants(case_ids=[first.pk])
    assert grants() == {
        ("PCSA", "view_status", first.case_number),
        ("HVS", "view_status", first.case_number),
    }
    # a sync scoped to one agency restores that agency only, agency-wide grants included
    sync_grants(agency_ids=[csa.pk])
    assert grants() == {
        ("PCSA", "view_status", first.case_number),
        ("PCSA", "view_status", second.case_number),
        ("PCSA", "view_identity", first.case_number),
        ("PCSA", "view_identity", second.case_number),
        ("HVS", "view_status", first.case_number),
    }
    assert sync_grants(case_ids=[]).drift == 0  # an empty scope is a no-op


def test_case_team_changes_resync_the_case_at_once(doc, csa) -> None:
    case = CaseFactory(lead_agency=doc)
    mou_with_terms(doc, {csa: [term_spec(RecordType.STATUS, ["status"])]})
    assert grants() == set()
    # when CSA joins the case team
    assignment = AssignmentFactory(case=case, agency=csa)
    assert grants() == {("PCSA", "view_status", case.case_number)}
    # when the assignment ends
    assignment.end_date = TODAY
    assignment.save()
    assert grants() == set()
    # when it is re-opened and then deleted
    assignment.end_date = None
    assignment.save()
    assert grants()
    CaseAssignment.objects.filter(pk=assignment.pk).delete()  # queryset delete sends post_delete
    assert grants() == set()


def test_a_new_case_and_a_lead_agency_change_resync_the_case(doc, csa) -> None:
    hvs = agency("HVS")
    mou_with_terms(doc, {csa: [term_spec(RecordType.STATUS, ["status"], scope=TermScope.ALL)]})
    mou_with_terms(hvs, {csa: [term_spec(RecordType.IDENTITY, ["last_name"], scope=TermScope.ALL)]})
    # a case opened by DOC is shared with CSA at once
    case = CaseFactory(lead_agency=doc)
    assert grants() == {("PCSA", "view_status", case.case_number)}
    # when the case moves to HVS, DOC's terms no longer cover it but HVS's do
    case = Case.objects.get(pk=case.pk)
    case.lead_agency = hvs
    case.save()
    assert grants() == {("PCSA", "view_identity", case.case_number)}
    assert diff_grants() == ([], [])


@pytest.mark.parametrize("size", [3, 30])
def test_sync_costs_the_same_statements_for_any_number_of_cases(
    doc, csa, size, django_assert_max_num_queries
) -> None:
    for _ in range(size):
        AssignmentFactory(case=CaseFactory(lead_agency=doc), agency=csa)
    mou_with_terms(
        doc,
        {csa: [term_spec(RecordType.STATUS, ["status"], ["view", "add"])]},
        sync=False,
    )
    # lock, delete, insert, one audit lookup of terms and agencies, one audit row, savepoints
    with django_assert_max_num_queries(10):
        result = sync_grants()
    assert result.granted == 2 * size


def test_a_case_built_by_hand_with_another_lead_agency_resyncs(doc, csa) -> None:
    # given CSA on the team of a DOC case, with a per-case grant from an assigned-scope term
    hvs = agency("HVS")
    case = CaseFactory(lead_agency=doc)
    AssignmentFactory(case=case, agency=csa)
    mou_with_terms(doc, {csa: [term_spec(RecordType.STATUS, ["status"])]})
    assert grants() == {("PCSA", "view_status", case.case_number)}
    # when an instance built by hand (not loaded from the database) saves the row with another
    # lead agency, the lead agency it had is not known: the case is re-synced all the same
    values = {f.attname: getattr(case, f.attname) for f in Case._meta.concrete_fields}
    Case(**{**values, "lead_agency_id": hvs.pk}).save()
    assert grants() == set()  # DOC's term no longer covers the case
    assert diff_grants() == ([], [])
