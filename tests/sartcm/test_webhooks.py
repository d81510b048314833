"""Webhooks: queued in the outbox for agencies with standing, HMAC-signed, logged, retried."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator

import pytest

from agencies.choices import Role
from mou.choices import MOUStatus, TermScope
from sartcm.models import OutboxMessage, WebhookDelivery, WebhookSubscription
from sartcm.webhooks import deliver, enqueue, new_secret, sign, verify
from tests.factories import (
    AgencyFactory,
    AssignmentFactory,
    CaseFactory,
    MOUFactory,
    StaffFactory,
    TermFactory,
)

pytestmark = pytest.mark.django_db


class Receiver(http.server.BaseHTTPRequestHandler):
    received: list[tuple[dict[str, str], bytes]] = []
    status = 200

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
        self.send_response(Receiver.status)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[str]:
    Receiver.received = []
    Receiver.status = 200
    server = http.server.HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


def subscribe(agency, url: str, events: list[str]) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        agency=agency, name="sys", url=url, secret=new_secret(), events=events
    )


def test_signature_verifies_and_rejects_tampering_and_replay() -> None:
    secret = new_secret()
    header = sign(secret, b'{"a":1}', 1_800_000_000)
    assert verify(secret, b'{"a":1}', header, now=1_800_000_010)
    assert not verify(secret, b'{"a":2}', header, now=1_800_000_010)
    assert not verify("other", b'{"a":1}', header, now=1_800_000_010)
    assert not verify(secret, b'{"a":1}', header, now=1_800_001_000)  # too old


def test_only_agencies_with_standing_get_the_event(receiver) -> None:
    # given a lead agency, a partner with an active status term and case-team assignment, and an outsider
    case = CaseFactory()
    partner, outsider = AgencyFactory(), AgencyFactory()
    mou = MOUFactory(status=MOUStatus.ACTIVE, drafted_by=case.lead_agency)
    TermFactory(
        mou=mou,
        provider=case.lead_agency,
        recipient=partner,
        record_type="status",
        fields=["status"],
        scope=TermScope.ALL,
    )
    from cases.models import CaseGroupObjectPermission
    from cases.querysets import permission_id

    CaseGroupObjectPermission.objects.create(
        group=partner.group, permission_id=permission_id("view_status"), content_object=case
    )
    lead_sub = subscribe(case.lead_agency, receiver, ["contact.logged"])
    partner_sub = subscribe(partner, receiver, ["contact.logged"])
    subscribe(outsider, receiver, ["contact.logged"])
    subscribe(partner, receiver, ["alert.raised"])  # not this event
    # when the event is published with a per-agency body
    queued = enqueue("contact.logged", case, lambda sub: {"case": case.pk, "for": sub.agency_id})
    # then exactly the lead and the partner subscriptions are queued
    assert queued == 2
    targets = sorted(
        m.payload["subscription_id"] for m in OutboxMessage.objects.filter(kind="webhook")
    )
    assert targets == sorted([lead_sub.pk, partner_sub.pk])


def test_delivery_is_signed_and_logged(receiver) -> None:
    agency = AgencyFactory()
    sub = subscribe(agency, receiver, ["alert.raised"])
    message = OutboxMessage.objects.create(
        kind="webhook",
        payload={"subscription_id": sub.pk, "event": "alert.raised", "body": {"x": 1}},
    )
    deliver(message)
    headers, body = Receiver.received[0]
    assert verify(sub.secret, body, headers["x-sartcm-signature"])
    assert json.loads(body)["data"] == {"x": 1}
    assert WebhookDelivery.objects.get().ok


def test_failed_delivery_raises_for_retry_and_is_logged(receiver) -> None:
    Receiver.status = 503
    sub = subscribe(AgencyFactory(), receiver, ["alert.raised"])
    message = OutboxMessage.objects.create(
        kind="webhook", payload={"subscription_id": sub.pk, "event": "alert.raised", "body": {}}
    )
    with pytest.raises(RuntimeError, match="503"):
        deliver(message)
    log = WebhookDelivery.objects.get()
    assert not log.ok and log.status_code == 503


def test_agency_allowed_fields_follow_terms_and_team() -> None:
    from cases.access import ALL_FIELDS, agency_allowed_fields

    case = CaseFactory()
    advocate_agency = AgencyFactory()
    mou = MOUFactory(status=MOUStatus.ACTIVE, drafted_by=case.lead_agency)
    TermFactory(
        mou=mou,
        provider=case.lead_agency,
        recipient=advocate_agency,
        record_type="status",
        fields=["status", "release_date"],
        scope=TermScope.ASSIGNED,
    )
    assert agency_allowed_fields(case.lead_agency_id, case, "status") is ALL_FIELDS
    assert (
        agency_allowed_fields(advocate_agency.pk, case, "status") == frozenset()
    )  # not on the team
    AssignmentFactory(case=case, agency=advocate_agency, role="victim_advocate")
    assert agency_allowed_fields(advocate_agency.pk, case, "status") == {"status", "release_date"}
    assert agency_allowed_fields(advocate_agency.pk, case, "assessments") == frozenset()
    StaffFactory(agency=advocate_agency, roles=[Role.VICTIM_ADVOCATE])


def test_the_outbox_delivers_a_queued_event_signed_and_retries_a_failure(receiver) -> None:
    """End to end: a registration status change is queued, then delivered by the outbox job
    (the "webhook" handler), signed; a refused delivery is logged and retried later."""
    from cases.services import registration as svc
    from sartcm.models import OutboxStatus
    from sartcm.outbox import deliver_pending
    from tests.factories_registration import RegistrationFactory, staff

    record = RegistrationFactory()
    sub = subscribe(record.case.lead_agency, receiver, ["registration.status_changed"])
    registrar = staff(record.case.lead_agency, Role.REGISTRY_OFFICER)
    svc.set_status(registrar.user, record, status="absconded", reason="Warrant issued")
    assert deliver_pending() == {"sent": 1, "failed": 0, "dead": 0}
    headers, body = Receiver.received[0]
    assert verify(sub.secret, body, headers["x-sartcm-signature"])
    assert headers["x-sartcm-event"] == "registration.status_changed"
    data = json.loads(body)["data"]
    assert (data["registration"], data["old_status"], data["new_status"]) == (
        record.pk,
        "compliant",
        "absconded",
    )
    # a second change, refused by the receiver: logged, and left for a retry with backoff
    Receiver.status = 503
    svc.set_status(registrar.user, record, status="absconder_review", reason="Found a lead")
    deliver_pending()
    message = OutboxMessage.objects.get(kind="webhook", status=OutboxStatus.FAILED)
    assert message.attempts == 1 and "503" in message.last_error
    assert [log.ok for log in WebhookDelivery.objects.order_by("attempted_at")] == [True, False]
