"""The alert.raised and alert.resolved webhooks: queued by the statement of the sweep that raises
or resolves the alert (set-based: no query per case), by a change that clears its condition at
once, and by a person resolving it — to the agency the alert is routed to, if it may see the
alert's record type on the case, with only the facts its terms share; to no other agency;
nothing again when the sweep runs twice; nothing when the change is rolled back."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction

from agencies.choices import Role
from agencies.models import Agency
from cases.alerts import services as alert_services
from cases.alerts.engine import run_sweep
from cases.models import Alert, RegistrationRecord
from cases.services import registration as svc
from mou.choices import MOUStatus
from protocols.choices import AlertRuleCode
from sartcm.models import WebhookEvent
from tests.factories import AgencyFactory, CaseFactory, MOUFactory, MOUPartyFactory
from tests.factories_registration import RegistrationFactory, registration_world, staff
from tests.factories_webhooks import as_json, forget_queued, heard, subscribe

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 3, 16)  # the world's registration is due on 20 March: inside the window
RAISED, RESOLVED = WebhookEvent.ALERT_RAISED, WebhookEvent.ALERT_RESOLVED
DUE_SOON = AlertRuleCode.REGISTRATION_DUE_SOON


@pytest.fixture
def w():
    """The registration world, every agency subscribed to both alert events (the lead agency
    twice: once switched off); the registration's alert is routed to the sheriff."""
    w = registration_world()
    w.agencies = [w.doc, w.sheriff, w.partner_agency, w.victim_services, w.outsider_agency]
    for agency in w.agencies:
        subscribe(agency, [RAISED, RESOLVED])
    subscribe(w.doc, [RAISED, RESOLVED], active=False)
    return w


def sweep() -> Any:
    return run_sweep(ON, rule_codes=[DUE_SOON])


def the_alert() -> Alert:
    return Alert.objects.unrestricted().get(rule=DUE_SOON)


def body(alert: Alert, facts: list[str] | None = None) -> dict[str, Any]:
    """The body of an alert's event for an agency that may see `facts` (None: all)."""
    alert.refresh_from_db()
    resolved_by = None
    if alert.status == "resolved":
        resolved_by = "person" if alert.resolved_by_id else "sweep"
    return as_json(
        {
            "alert": alert.pk,
            "rule": alert.rule,
            "case": alert.case_id,
            "agency": alert.agency_id,
            "severity": alert.severity,
            "status": alert.status,
            "due_date": alert.due_date,
            "message": alert.message,
            "facts": {
                name: value for name, value in alert.facts.items() if facts is None or name in facts
            },
            "raised_at": alert.raised_at,
            "resolved_at": alert.resolved_at,
            "resolved_by": resolved_by,
            "resolution_note": alert.resolution_note,
        }
    )


def route_to(w, agency: Agency) -> None:
    RegistrationRecord.objects.filter(pk=w.registration.pk).update(registering_agency=agency)


def test_the_sweep_raises_once_to_the_routed_agency_only(w) -> None:
    # when the sweep raises the due-soon alert, routed to the sheriff (every registration field)
    sweep()
    # then only the sheriff hears it, once, with every fact — not the lead agency, not partners
    assert heard(RAISED) == [(w.sheriff.pk, body(the_alert()))]
    assert heard(RESOLVED) == []
    # and running the sweep again raises nothing new
    forget_queued()
    sweep()
    assert heard(RAISED) == heard(RESOLVED) == []


def test_a_routed_partner_hears_only_the_facts_its_terms_share(w) -> None:
    route_to(w, w.partner_agency)  # its registration term: tier, status, next due date
    sweep()
    facts = ["tier", "status", "next_verification_due"]
    assert heard(RAISED) == [(w.partner_agency.pk, body(the_alert(), facts))]
    assert "jurisdiction" not in heard(RAISED)[0][1]["facts"]


def test_a_routed_agency_that_may_not_see_registrations_hears_nothing(w) -> None:
    route_to(w, w.victim_services)  # status and victim-safety terms only
    sweep()
    assert the_alert().agency_id == w.victim_services.pk
    assert heard(RAISED) == []


def test_a_deactivated_routed_agency_hears_nothing(w) -> None:
    Agency.objects.filter(pk=w.sheriff.pk).update(active=False)
    sweep()
    assert the_alert().agency_id == w.sheriff.pk
    assert heard(RAISED) == []


def test_the_sweep_resolves_once_when_the_condition_clears(w) -> None:
    sweep()
    forget_queued()
    RegistrationRecord.objects.filter(pk=w.registration.pk).update(
        next_verification_due=dt.date(2026, 6, 20)
    )
    sweep()
    alert = the_alert()
    assert alert.status == "resolved"
    assert heard(RESOLVED) == [(w.sheriff.pk, body(alert))]
    assert heard(RESOLVED)[0][1]["resolved_by"] == "sweep"
    assert heard(RAISED) == []
    forget_queued()
    sweep()
    assert heard(RAISED) == heard(RESOLVED) == []


def test_a_reported_appearance_resolves_at_once(w) -> None:
    sweep()
    forget_queued()
    # the registrant appears: the registration service clears the alert in its transaction
    svc.record_event(
        w.deputy.user, w.registration, kind="periodic", changed_on=ON, reported_on=ON, on=ON
    )
    assert heard(RESOLVED) == [(w.sheriff.pk, body(the_alert()))]


def test_a_person_resolves_with_a_note_and_acknowledging_is_no_event(w) -> None:
    sweep()
    forget_queued()
    alert = the_alert()
    alert_services.acknowledge(w.sheriff_supervisor.user, alert)
    assert heard(RAISED) == heard(RESOLVED) == []
    alert_services.resolve(w.sheriff_supervisor.user, alert, "Appointment booked for Friday.")
    assert heard(RESOLVED) == [(w.sheriff.pk, body(alert))]
    assert heard(RESOLVED)[0][1]["resolution_note"] == "Appointment booked for Friday."
    # the sweep leaves a person's resolution alone: nothing more
    forget_queued()
    sweep()
    assert heard(RAISED) == heard(RESOLVED) == []


def test_nothing_is_queued_when_the_sweep_or_the_resolution_is_rolled_back(w) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        sweep()
        assert len(heard(RAISED)) == 1  # queued in the transaction …
        raise RuntimeError("the worker died before commit")
    assert heard(RAISED) == [] and not Alert.objects.unrestricted().exists()  # … and gone
    sweep()
    forget_queued()
    with pytest.raises(RuntimeError), transaction.atomic():
        alert_services.resolve(w.sheriff_supervisor.user, the_alert(), "Done.")
        raise RuntimeError("the request failed later")
    assert heard(RESOLVED) == [] and the_alert().status == "open"


def test_an_agency_level_alert_is_heard_by_its_agency_with_every_fact(w) -> None:
    mou = MOUFactory(
        status=MOUStatus.ACTIVE, drafted_by=w.doc, expiration_date=ON + dt.timedelta(days=30)
    )
    MOUPartyFactory(mou=mou, agency=w.doc)
    MOUPartyFactory(mou=mou, agency=w.partner_agency)
    run_sweep(ON, rule_codes=[AlertRuleCode.MOU_EXPIRING])
    alerts = {a.agency_id: a for a in Alert.objects.unrestricted().filter(case__isnull=True)}
    assert set(alerts) == {w.doc.pk, w.partner_agency.pk}
    assert heard(RAISED) == sorted((agency_id, body(alert)) for agency_id, alert in alerts.items())


def test_the_sweep_queues_set_based(django_assert_max_num_queries) -> None:
    """The sweep's queries do not depend on how many alerts are raised (or heard)."""
    agency = AgencyFactory()
    subscribe(agency, [RAISED])
    staff(agency, Role.REGISTRY_OFFICER)

    def due_registrations(n: int) -> None:
        for _ in range(n):
            RegistrationFactory(
                case=CaseFactory(lead_agency=agency),
                registering_agency=agency,
                next_verification_due=ON + dt.timedelta(3),
            )

    sweep()  # warm caches (settings)
    sizes = {}
    for n in (1, 4):
        due_registrations(n)
        forget_queued()
        with django_assert_max_num_queries(100) as ctx:
            assert sweep()[DUE_SOON].raised == n
        sizes[n] = len(ctx.captured_queries)
        assert len(heard(RAISED)) == n
    assert sizes[1] == sizes[4]
