"""The rows a page's disclosure writes in one statement (sartcm.audit._insert_rows) are the
rows one AuditEvent per object would be: every column, in the order of the page."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from django.utils import timezone

from agencies.choices import Role
from sartcm import audit
from sartcm.context import RequestContext, _current
from sartcm.models import AuditAction, AuditEvent, AuditOutcome
from tests.factories import CaseFactory
from tests.factories_access import agency, staff

pytestmark = pytest.mark.django_db


def test_a_partners_page_writes_one_read_and_one_dissemination_row_per_case() -> None:
    # given two cases of a lead agency, read by a partner in an API request
    lead, partner = agency("PDOC"), agency("PCSA")
    cases = [CaseFactory(lead_agency=lead), CaseFactory(lead_agency=lead)]
    reader = staff(partner, Role.SUPERVISION_OFFICER).user
    ctx = RequestContext(source_address="10.1.2.3", channel="api", in_request=True)
    token = _current.set(ctx)
    before = timezone.now()
    try:
        # when the page is audited
        audit.record_disclosure(
            reader,
            AuditAction.LIST,
            cases,
            fields_by_object=[["status", "case_number"], []],
        )
    finally:
        _current.reset(token)
    # then a read row per case, then a dissemination row per case, in the page's order
    rows = list(AuditEvent.objects.order_by("pk"))
    assert [(r.action, r.case_id) for r in rows] == [
        (AuditAction.LIST, cases[0].pk),
        (AuditAction.LIST, cases[1].pk),
        (AuditAction.DISSEMINATE, cases[0].pk),
        (AuditAction.DISSEMINATE, cases[1].pk),
    ]
    for row in rows:  # what is the same for every row of a request
        assert before <= row.at <= timezone.now() + dt.timedelta(seconds=1)
        assert row.request_id == ctx.request_id
        assert row.user_id == reader.pk
        assert row.username == reader.username
        assert row.agency_id == partner.pk
        assert row.outcome == AuditOutcome.SUCCESS
        assert row.channel == "api"
        assert row.changes == {}
        assert ipaddress.ip_address(row.source_address) == ipaddress.ip_address("10.1.2.3")
        assert row.object_type == "cases.case"
    for row, case in zip(rows, cases + cases, strict=True):
        assert row.object_id == str(case.pk)
        assert row.object_repr == audit.object_repr(case)
    assert [r.fields for r in rows] == [
        ["case_number", "status"],
        [],
        ["case_number", "status"],
        [],
    ]
    assert [r.recipient_agency_id for r in rows] == [None, None, partner.pk, partner.pk]
    assert rows[0].detail == ""
    assert rows[2].detail == f"disclosed to agency {partner.pk}; lead agency {lead.pk}"


def test_reads_outside_a_request_have_no_source_address_and_the_system_channel() -> None:
    lead = agency("PDOC")
    case = CaseFactory(lead_agency=lead)
    reader = staff(lead, Role.CASE_MANAGER).user
    audit.record_reads(reader, AuditAction.EXPORT, [case], fields=["status"])
    row = AuditEvent.objects.get()
    assert (row.action, row.channel, row.source_address, row.fields) == (
        AuditAction.EXPORT,
        "system",
        None,
        ["status"],
    )
    # the lead agency reading its own case disseminates nothing
    assert audit.record_disseminations(reader, [case]) == 0
    assert AuditEvent.objects.count() == 1
