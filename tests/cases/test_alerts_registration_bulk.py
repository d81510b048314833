"""The alert engine's registration rules against what the registration service records through
the bulk import (POST /api/v1/bulk/registration-events/): the events a batch writes are the
ones the sweep reads, and the sweep agrees with what the batch already brought up to date."""

from __future__ import annotations

import datetime as dt

import pytest
from freezegun import freeze_time
from rest_framework.test import APIClient

from cases.alerts.engine import RuleCounts, run_sweep
from cases.models import Alert, RegistrationEvent, RegistrationRecord
from protocols.choices import AlertRuleCode as R
from tests.factories_registration import holiday, registration_world
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db

BULK = "/api/v1/bulk/registration-events/"
TODAY = dt.date(2026, 3, 16)  # a Monday


@pytest.fixture
def w():
    """The registration world on Monday 16 March 2026, and its registry deputy's API client."""
    with freeze_time("2026-03-16 15:00:00"):
        world = registration_world()
        world.client = APIClient()
        otp_login(world.client, world.deputy.user)
        yield world


def open_alerts(rule: str, case_id: int) -> list[Alert]:
    return list(Alert.objects.unrestricted().filter(rule=rule, case_id=case_id, status="open"))


def test_a_late_move_reported_in_bulk_is_an_update_reported_late_alert_on_the_sweep(w) -> None:
    # given Friday 6 March is a holiday: a move on Thursday 5 March is due Wednesday 11 March
    holiday(dt.date(2026, 3, 6))
    rows = (
        "registration,kind,changed_on,reported_on,details\n"
        f"{w.registration.pk},residence,2026-03-05,2026-03-12,Moved to 9 Elm Court (fictional)\n"
        f"{w.registration.pk},employment,2026-03-10,2026-03-13,Night shift at the mill\n"
    )
    # when the registry deputy imports the late move and a timely new job
    response = w.client.post(BULK, rows, content_type="text/csv")
    assert response.status_code == 201, response.content
    move, job = RegistrationEvent.objects.filter(pk__in=response.json()["ids"]).order_by("pk")
    assert (move.due_by, move.late, job.due_by, job.late) == (
        dt.date(2026, 3, 11),
        True,
        dt.date(2026, 3, 13),
        False,
    )
    # then the next sweep finds one "update reported late" alert, for the move only: the one
    # the batch raised as it saved (the sweep's rule wants exactly it, so raises no second one)
    result = run_sweep(TODAY)
    assert result[R.UPDATE_LATE] == RuleCounts(raised=0, still_open=1, resolved=0)
    [alert] = open_alerts(R.UPDATE_LATE, w.case.pk)
    assert alert.subject_key == f"regevent:{move.pk}"
    assert alert.assignee_id == w.deputy.pk  # the registering agency's officer on the team
    assert alert.agency_id == w.sheriff.pk
    assert alert.due_date == dt.date(2026, 3, 11)
    assert alert.facts["events"] == (
        "Change of residence on 2026-03-05, reported 2026-03-12 (due 2026-03-11)"
    )


def test_the_sweep_alone_raises_it_from_what_the_bulk_import_wrote(w) -> None:
    # given a late move imported in bulk, and the alert the batch raised gone (as if the
    # write-time refresh had been lost with a killed worker)
    response = w.client.post(
        BULK,
        [{"registration": w.registration.pk, "kind": "residence", "changed_on": "2026-03-02"}],
    )
    assert response.status_code == 201, response.content
    Alert.objects.unrestricted().filter(rule=R.UPDATE_LATE).delete()
    # when the sweep runs, then it raises the alert from the event the service recorded
    assert run_sweep(TODAY)[R.UPDATE_LATE] == RuleCounts(raised=1, still_open=0, resolved=0)
    [alert] = open_alerts(R.UPDATE_LATE, w.case.pk)
    assert alert.subject_key == f"regevent:{response.json()['ids'][0]}"
    # and a second sweep changes nothing
    assert run_sweep(TODAY)[R.UPDATE_LATE] == RuleCounts(raised=0, still_open=1, resolved=0)


def test_an_overdue_verification_made_in_bulk_clears_the_overdue_alert_for_good(w) -> None:
    # given the registration's verification was due 20 March and it is now 10 days overdue
    RegistrationRecord.objects.filter(pk=w.registration.pk).update(
        next_verification_due=dt.date(2026, 3, 6)
    )
    run_sweep(TODAY)
    assert RegistrationRecord.objects.get(pk=w.registration.pk).status == "non_compliant"
    assert len(open_alerts(R.REGISTRATION_OVERDUE, w.case.pk)) == 1
    # when the in-person verification made today is imported
    response = w.client.post(
        BULK, [{"registration": w.registration.pk, "kind": "periodic", "changed_on": "2026-03-16"}]
    )
    assert response.status_code == 201, response.content
    # then the service moved the schedule and the status, and the overdue alert is resolved
    record = RegistrationRecord.objects.get(pk=w.registration.pk)
    assert (record.status, record.last_verified_on, record.next_verification_due) == (
        "compliant",
        TODAY,
        dt.date(2026, 6, 1),
    )
    assert open_alerts(R.REGISTRATION_OVERDUE, w.case.pk) == []
    # and the next sweep agrees: the status stays compliant, nothing overdue is raised again,
    # the late verification itself is an update reported late
    result = run_sweep(TODAY)
    assert result.statuses_changed == 0
    assert result[R.REGISTRATION_OVERDUE].raised == 0
    assert open_alerts(R.REGISTRATION_OVERDUE, w.case.pk) == []
    assert RegistrationRecord.objects.get(pk=w.registration.pk).status == "compliant"
    assert [a.due_date for a in open_alerts(R.UPDATE_LATE, w.case.pk)] == [dt.date(2026, 3, 6)]
