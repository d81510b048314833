"""Bulk import of registration events through the registration service: lateness with the
holiday calendar, all-or-nothing, missing and invisible registrations alike, and exactly the
effects of the single-record API (status, alerts, outbox, audit) for every imported row."""

from __future__ import annotations

import datetime as dt

import pytest

from agencies.choices import RecordType, Role
from cases.models import RegistrationEvent
from tests.factories import AgencyFactory
from tests.factories_contacts import HolidayFactory, share
from tests.factories_sync import RegistrationRecordFactory, key_client

pytestmark = pytest.mark.django_db

BULK = "/api/v1/bulk/registration-events/"


@pytest.fixture
def registration():
    HolidayFactory(date=dt.date(2026, 7, 3))  # the Friday after a Thursday change
    return RegistrationRecordFactory()


def test_a_change_reported_within_three_business_days_is_on_time_and_later_is_late(
    registration,
) -> None:
    # given a change on Thursday 2 July; Friday 3 July is a holiday -> due Wednesday 8 July
    client = key_client(registration.case.lead_agency, Role.REGISTRY_OFFICER)
    rows = [
        {
            "registration": registration.pk,
            "kind": "residence",
            "changed_on": "2026-07-02",
            "reported_on": "2026-07-08",
        },
        {
            "registration": registration.pk,
            "kind": "employment",
            "changed_on": "2026-07-02",
            "reported_on": "2026-07-09",
        },
    ]
    # when both are imported
    response = client.post(BULK, rows)
    # then the first is on time and the second late, each with its deadline
    assert response.status_code == 201, response.content
    events = RegistrationEvent.objects.filter(pk__in=response.json()["ids"]).order_by("pk")
    assert [(e.due_by, e.late) for e in events] == [
        (dt.date(2026, 7, 8), False),
        (dt.date(2026, 7, 8), True),
    ]
    assert all(e.case_id == registration.case_id for e in events)


def test_periodic_verification_is_due_by_the_registrations_next_due_date(registration) -> None:
    client = key_client(registration.case.lead_agency, Role.REGISTRY_OFFICER)
    response = client.post(
        BULK,
        "registration,kind,changed_on,reported_on\n"
        f"{registration.pk},periodic,2026-03-02,2026-03-02\n",
        content_type="text/csv",
    )
    assert response.status_code == 201, response.content
    event = RegistrationEvent.objects.get()
    assert (event.due_by, event.late) == (dt.date(2026, 3, 1), True)


def test_any_failing_row_saves_nothing_and_all_are_reported(registration) -> None:
    invisible = RegistrationRecordFactory()
    client = key_client(registration.case.lead_agency, Role.REGISTRY_OFFICER)
    rows = [
        {"registration": registration.pk, "kind": "name", "changed_on": "2026-07-20"},
        {"registration": invisible.pk, "kind": "name", "changed_on": "2026-07-20"},
        {"registration": registration.pk, "kind": "haircut", "changed_on": "2026-07-20"},
        {
            "registration": registration.pk,
            "kind": "name",
            "changed_on": "2026-07-20",
            "reported_on": "2026-07-19",
        },
        {"registration": registration.pk, "kind": "name", "changed_on": "2999-09-01"},
        {"registration": registration.pk, "kind": "name", "changed_on": "2026-07-20", "tier": "I"},
    ]
    response = client.post(BULK, rows)
    assert response.status_code == 422
    assert RegistrationEvent.objects.count() == 0
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [
        (2, "registration"),
        (3, "kind"),
        (4, "changed_on"),  # the service's rule: the change on or before the report
        (5, "changed_on"),
        (6, "tier"),
    ]
    assert response.json()["errors"][0]["message"] == "Not found."


def test_a_partner_without_shared_events_is_refused_and_an_outsider_gets_not_found(
    registration,
) -> None:
    partner = AgencyFactory()
    share(
        registration.case,
        partner,
        RecordType.REGISTRATION,
        ["tier", "status"],
        actions=("view", "add"),
    )
    row = {"registration": registration.pk, "kind": "name", "changed_on": "2026-07-20"}
    refused = key_client(partner, Role.REGISTRY_OFFICER).post(BULK, [row])
    outsider = key_client(AgencyFactory(), Role.REGISTRY_OFFICER).post(BULK, [row])
    assert refused.status_code == outsider.status_code == 422
    assert "not shared" in refused.json()["errors"][0]["message"]
    assert outsider.json()["errors"][0]["message"] == "Not found."
    assert RegistrationEvent.objects.count() == 0
    # once the partner's term shares events, it may add them
    share(registration.case, partner, RecordType.REGISTRATION, ["events"], actions=("view", "add"))
    accepted = key_client(partner, Role.REGISTRY_OFFICER).post(BULK, [row])
    assert accepted.status_code == 201, accepted.content
