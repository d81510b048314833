"""The alert engine wired to the real compliance engine and protocol acknowledgments
(the rule tests elsewhere use stand-ins for those modules)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from agencies.choices import Role
from cases.alerts.engine import run_sweep
from cases.models import Alert
from cases.services.contacts import log_contact
from protocols.choices import AlertRuleCode
from protocols.models import Protocol, ProtocolVersion
from tests.factories import CaseFactory, StaffFactory
from tests.factories_contacts import default_contact_standards

pytestmark = pytest.mark.django_db


def open_alerts(rule: str, case_id: int | None = None) -> list[Alert]:
    alerts = Alert.objects.unrestricted().filter(rule=rule).exclude(status="resolved")
    if case_id is not None:
        alerts = alerts.filter(case_id=case_id)
    return list(alerts)


def test_missed_first_contact_raises_and_logging_it_resolves() -> None:
    # given a moderate case whose supervision began 20 days ago with no contact at all
    default_contact_standards()
    today = timezone.localdate()
    officer = StaffFactory(roles=[Role.SUPERVISION_OFFICER])
    case = CaseFactory(
        lead_agency=officer.agency,
        officer=officer,
        supervision_level="moderate",
        supervision_start=today - dt.timedelta(days=20),
    )
    # when the sweep runs
    run_sweep(today)
    # then the first face-to-face deadline (3 business days) is missed, assigned to the officer
    missed = open_alerts(AlertRuleCode.FIRST_CONTACT_MISSED, case.pk)
    face = [a for a in missed if "face_to_face" in a.subject_key]
    assert len(face) == 1 and face[0].assignee_id == officer.pk
    # and running it again changes nothing
    run_sweep(today)
    assert len(open_alerts(AlertRuleCode.FIRST_CONTACT_MISSED, case.pk)) == len(missed)
    # when the officer logs a face-to-face office visit today
    log_contact(case, officer, {"contact_type": "office", "face_to_face": True}, officer.user)
    run_sweep(today)
    # then the face-to-face alert resolves itself; the others (home visit…) stay open
    remaining = open_alerts(AlertRuleCode.FIRST_CONTACT_MISSED, case.pk)
    assert not [a for a in remaining if "face_to_face" in a.subject_key]
    assert Alert.objects.unrestricted().get(pk=face[0].pk).status == "resolved"


def test_protocol_not_acknowledged_in_time_alerts_the_staff_member() -> None:
    # given a protocol for officers, adopted by their agency 40 days ago with 30 days to acknowledge
    officer = StaffFactory(roles=[Role.SUPERVISION_OFFICER])
    protocol = Protocol.objects.create(
        area="supervision",
        title="Supervision protocol",
        applies_to_roles=[Role.SUPERVISION_OFFICER],
    )
    version = ProtocolVersion.objects.create(
        protocol=protocol,
        number=1,
        body="Contact standards…",
        status="adopted",
        effective_from=timezone.localdate() - dt.timedelta(days=40),
        adopted_at=timezone.now() - dt.timedelta(days=40),
        acknowledge_within_days=30,
    )
    version.adopting_agencies.add(officer.agency)
    # when the sweep runs
    run_sweep(timezone.localdate())
    # then the officer has an acknowledgment alert
    alerts = open_alerts(AlertRuleCode.PROTOCOL_UNACKNOWLEDGED)
    assert [a.assignee_id for a in alerts] == [officer.pk]
    # and acknowledging clears it on the next sweep
    from protocols.services import acknowledge

    acknowledge(version, officer.user)
    run_sweep(timezone.localdate())
    assert open_alerts(AlertRuleCode.PROTOCOL_UNACKNOWLEDGED) == []
