"""The registration.status_changed webhook: queued (through the outbox, in the transaction of
the change) once per change of a registration's status — by a person, an address check, a
reported event, a bulk import or the calendar sweep — to every subscribed agency that may see
the registration's status, and to no other; nothing when the status did not change, nothing
twice when the sweep runs again, nothing when the change is rolled back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from freezegun import freeze_time

from agencies.choices import Role
from cases.access import agencies_with_standing, agency_allowed_fields
from cases.alerts.engine import run_sweep
from cases.choices import RegistrationStatus
from cases.models import RegistrationRecord
from cases.services import registration as svc
from mou.choices import TermScope
from sartcm.models import AuditEvent, OutboxMessage, WebhookEvent
from tests.factories import AgencyFactory, CaseFactory
from tests.factories_registration import RegistrationFactory, registration_world, share
from tests.factories_sync import key_client
from tests.factories_webhooks import forget_queued, subscribe

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 3, 16)  # the world's registration is due on 20 March: inside the window
EVENT = WebhookEvent.REGISTRATION_STATUS
BULK = "/api/v1/bulk/registration-events/"


@pytest.fixture
def w():
    """The registration world, every agency subscribed, plus partners that must hear nothing:
    one whose registration term omits the status, one whose assigned-cases term does not cover
    the case (not on the team), one whose MOU has expired (its stale grant notwithstanding)."""
    w = registration_world()
    case = w.case
    w.no_status = AgencyFactory(short_name="NOSTAT")
    share(case, w.no_status, "registration", ["tier", "jurisdiction"])
    w.unassigned = AgencyFactory(short_name="UNASSG")
    share(case, w.unassigned, "registration", ["status"], scope=TermScope.ASSIGNED)
    w.expired = AgencyFactory(short_name="EXPIRD")
    share(case, w.expired, "registration", ["status"], on=dt.date(2021, 1, 1))
    w.agencies = [
        w.doc,
        w.sheriff,
        w.partner_agency,
        w.victim_services,
        w.outsider_agency,
        w.no_status,
        w.unassigned,
        w.expired,
    ]
    w.subscriptions = {subscribe(agency, [EVENT]).pk: agency for agency in w.agencies}
    subscribe(w.doc, [WebhookEvent.ALERT_RAISED])  # another event
    subscribe(w.doc, [EVENT], active=False)  # switched off
    w.hearing = {w.doc.pk, w.sheriff.pk, w.partner_agency.pk}
    return w


def queued(w) -> list[tuple[int, dict]]:
    """(agency id, body) of each queued registration.status_changed message, by agency (the
    alerts a change raises or clears are heard as alert.* events: not counted here)."""
    rows = []
    for message in OutboxMessage.objects.filter(kind="webhook", payload__event=EVENT):
        payload = message.payload
        rows.append((w.subscriptions[payload["subscription_id"]].pk, payload["body"]))
    return sorted(rows, key=lambda row: row[0])


def assert_heard_once(
    w, record: RegistrationRecord, old: str, new: str, hearing: set[int] | None = None
) -> None:
    """One message about `record` per agency that may see its status (`hearing`, by default
    the world's), each with exactly the change."""
    rows = [row for row in queued(w) if row[1]["registration"] == record.pk]
    assert sorted(agency_id for agency_id, _ in rows) == sorted(
        w.hearing if hearing is None else hearing
    )
    record.refresh_from_db()
    assert record.status == new
    for _, body in rows:
        assert set(body) == {"registration", "case", "old_status", "new_status", "changed_at"}
        assert (body["registration"], body["case"], body["old_status"], body["new_status"]) == (
            record.pk,
            record.case_id,
            old,
            new,
        )
        assert dt.datetime.fromisoformat(body["changed_at"]) == record.updated_at


def test_those_who_hear_are_exactly_those_who_may_see_the_status(w) -> None:
    """The SQL that picks recipients agrees with the Python rules (standing and allow-list)."""
    may_see = {
        agency.pk
        for agency in w.agencies
        if agency.pk in agencies_with_standing(w.case, "registration")
        and "status" in agency_allowed_fields(agency.pk, w.case, "registration", on=ON)
    }
    assert may_see == w.hearing


def test_a_registry_officers_status_decision(w) -> None:
    # when the lead agency's registry officer declares the registrant absconded
    svc.set_status(
        w.doc_registrar.user, w.registration, status="absconded", reason="Warrant", on=ON
    )
    # then the agencies that may see the status hear of it once, and no one else
    assert_heard_once(w, w.registration, "compliant", "absconded")
    # and deciding the same again is no change: nothing more is queued
    forget_queued()
    svc.set_status(
        w.doc_registrar.user, w.registration, status="absconded", reason="Still gone", on=ON
    )
    assert queued(w) == []


def test_a_failed_address_check_starts_absconder_review(w) -> None:
    def check(result: str) -> None:
        svc.record_verification(
            w.deputy.user,
            w.registration,
            verified_on=ON,
            address="4 Birch Rd",
            result=result,
            on=ON,
        )

    check("not_at_address")
    assert_heard_once(w, w.registration, "compliant", "absconder_review")
    # a second failed check keeps the review: no change, nothing queued
    forget_queued()
    check("vacant")
    assert queued(w) == []


def test_a_reported_appearance_makes_an_overdue_registrant_compliant(w) -> None:
    RegistrationRecord.objects.filter(pk=w.registration.pk).update(
        status=RegistrationStatus.NON_COMPLIANT, next_verification_due=dt.date(2026, 3, 2)
    )
    svc.record_event(
        w.deputy.user, w.registration, kind="periodic", changed_on=ON, reported_on=ON, on=ON
    )
    assert_heard_once(w, w.registration, "non_compliant", "compliant")


def test_a_tier_change_that_moves_the_calendar(w) -> None:
    # tier III reports every 3 months from the start (1 June 2025): long overdue by now
    svc.update_registration(w.deputy.user, w.registration, tier="III", on=ON)
    assert_heard_once(w, w.registration, "compliant", "non_compliant")


def test_an_event_that_does_not_move_the_status_queues_nothing(w) -> None:
    svc.record_event(
        w.deputy.user,
        w.registration,
        kind="residence",
        changed_on=dt.date(2026, 3, 12),
        reported_on=ON,
        on=ON,
    )
    assert queued(w) == []


def test_nothing_is_queued_when_the_change_is_rolled_back(w) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        svc.set_status(
            w.doc_registrar.user, w.registration, status="absconded", reason="Warrant", on=ON
        )
        assert len(queued(w)) == 3  # queued in the transaction of the change …
        raise RuntimeError("the request failed later")
    assert queued(w) == []  # … and gone with it
    w.registration.refresh_from_db()
    assert w.registration.status == "compliant"


def test_the_sweep_queues_each_calendar_change_once(w) -> None:
    # when the sweep runs on a day inside the due-soon window
    result = run_sweep(ON, rule_codes=[])
    # then the registration is due, audited, and the change is heard once
    assert result.statuses_changed == 1
    assert_heard_once(w, w.registration, "compliant", "due")
    assert AuditEvent.objects.filter(
        object_id=str(w.registration.pk), changes={"status": ["compliant", "due"]}
    ).exists()
    # and running it again changes nothing and queues nothing
    forget_queued()
    assert run_sweep(ON, rule_codes=[]).statuses_changed == 0
    assert queued(w) == []


def test_a_rolled_back_sweep_queues_nothing(w) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        run_sweep(ON, rule_codes=[])
        raise RuntimeError("the worker died before commit")
    assert queued(w) == []
    w.registration.refresh_from_db()
    assert w.registration.status == "compliant"


def test_the_sweep_queues_set_based(django_assert_max_num_queries) -> None:
    """The sweep's queries do not depend on how many registrations change (or are heard)."""
    agency = AgencyFactory()
    subscribe(agency, [EVENT])
    subscribe(agency, [EVENT])

    def due_registrations(n: int) -> None:
        for _ in range(n):
            RegistrationFactory(
                case=CaseFactory(lead_agency=agency), next_verification_due=ON + dt.timedelta(3)
            )

    run_sweep(ON, rule_codes=[])  # warm caches (settings, permission ids)
    sizes = {}
    for n in (1, 4):
        due_registrations(n)
        forget_queued()
        with django_assert_max_num_queries(100) as ctx:
            assert run_sweep(ON, rule_codes=[]).statuses_changed == n
        sizes[n] = len(ctx.captured_queries)
        assert OutboxMessage.objects.filter(kind="webhook").count() == 2 * n
    assert sizes[1] == sizes[4]


def test_a_bulk_import_queues_each_change_once_and_a_failed_one_nothing(w) -> None:
    overdue = dt.date(2026, 3, 2)
    other = RegistrationFactory(case=CaseFactory(lead_agency=w.doc), next_verification_due=overdue)
    RegistrationRecord.objects.filter(pk__in=[w.registration.pk, other.pk]).update(
        status=RegistrationStatus.NON_COMPLIANT, next_verification_due=overdue
    )
    client = key_client(w.doc, Role.REGISTRY_OFFICER)
    appearance = {"kind": "periodic", "changed_on": str(ON), "reported_on": str(ON)}
    with freeze_time("2026-03-16 15:00:00"):
        # a batch whose last row fails saves nothing and queues nothing
        failing = [
            {"registration": w.registration.pk, **appearance},
            {"registration": other.pk, "kind": "seance", "changed_on": str(ON)},
        ]
        assert client.post(BULK, failing).status_code == 422
        assert queued(w) == []
        # a good batch: both registrations become compliant, a move changes no status
        rows = [
            {"registration": w.registration.pk, **appearance},
            {"registration": other.pk, **appearance},
            {"registration": w.registration.pk, "kind": "residence", "changed_on": str(ON)},
        ]
        response = client.post(BULK, rows)
    assert response.status_code == 201, response.content
    # the world's registration is heard by those who may see it; the other case by its lead
    # agency and the partner whose term covers all its cases (the sheriff's covers only cases
    # it is assigned to); the move is heard by no one
    assert_heard_once(w, w.registration, "non_compliant", "compliant")
    other_hearing = {w.doc.pk, w.partner_agency.pk}
    assert_heard_once(w, other, "non_compliant", "compliant", hearing=other_hearing)
    assert len(queued(w)) == len(w.hearing) + len(other_hearing)
