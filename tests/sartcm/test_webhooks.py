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
from sartcm.webhooks import deliver, new_secret, sign, verify
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


def test_only_agencies_that_may_see_the_record_hear_it_with_their_fields(receiver) -> None:
    """cases.webhooks.queue (the one way changes made one by one queue webhooks): the lead
    agency hears with every field, a partner with a contacts term only with its fields; an
    outsider, a partner whose term covers another record type, a deactivated agency and an
    inactive subscription hear nothing."""
    from cases import webhooks
    from cases.models import CaseGroupObjectPermission
    from cases.querysets import permission_id

    case = CaseFactory()
    partner, other_type, outsider = AgencyFactory(), AgencyFactory(), AgencyFactory()
    deactivated = AgencyFactory()
    mou = MOUFactory(status=MOUStatus.ACTIVE, drafted_by=case.lead_agency)
    for recipient, record_type in (
        (partner, "contacts"),
        (other_type, "status"),
        (deactivated, "contacts"),
    ):
        TermFactory(
            mou=mou,
            provider=case.lead_agency,
            recipient=recipient,
            record_type=record_type,
            fields=["contact_type"] if record_type == "contacts" else ["status"],
            scope=TermScope.ALL,
        )
        CaseGroupObjectPermission.objects.create(
            group=recipient.group,
            permission_id=permission_id(f"view_{record_type}"),
            content_object=case,
        )
    deactivated.active = False
    deactivated.save()
    lead_sub = subscribe(case.lead_agency, receiver, ["contact.logged"])
    partner_sub = subscribe(partner, receiver, ["contact.logged"])
    for agency in (outsider, other_type, deactivated):
        subscribe(agency, receiver, ["contact.logged"])
    subscribe(partner, receiver, ["alert.raised"])  # not this event
    WebhookSubscription.objects.create(  # switched off
        agency=partner,
        name="old",
        url=receiver,
        secret=new_secret(),
        events=["contact.logged"],
        active=False,
    )
    notice = webhooks.Notice(
        case.pk, {"contact": 7, "case": case.pk}, {"contact_type": "office", "notes": "n"}
    )
    assert webhooks.queue("contact.logged", "contacts", [notice]) == 2
    bodies = {
        m.payload["subscription_id"]: m.payload["body"]
        for m in OutboxMessage.objects.filter(kind="webhook")
    }
    assert bodies == {
        lead_sub.pk: {"contact": 7, "case": case.pk, "contact_type": "office", "notes": "n"},
        partner_sub.pk: {"contact": 7, "case": case.pk, "contact_type": "office"},
    }


def alert_message(agency, url: str, body: dict) -> tuple[WebhookSubscription, OutboxMessage]:
    """A subscription of `agency` to alert.raised and a message queued for it."""
    sub = subscribe(agency, url, ["alert.raised"])
    message = OutboxMessage.objects.create(
        kind="webhook",
        payload={"subscription_id": sub.pk, "event": "alert.raised", "body": body},
    )
    return sub, message


def test_a_message_for_an_agency_deactivated_since_is_not_sent(receiver) -> None:
    agency = AgencyFactory()
    _, message = alert_message(agency, receiver, {"x": 1})
    agency.active = False
    agency.save()
    deliver(message)
    assert Receiver.received == [] and not WebhookDelivery.objects.exists()


def test_delivery_is_signed_and_logged(receiver) -> None:
    sub, message = alert_message(AgencyFactory(), receiver, {"x": 1})
    deliver(message)
    headers, body = Receiver.received[0]
    assert verify(sub.secret, body, headers["x-sartcm-signature"])
    assert json.loads(body)["data"] == {"x": 1}
    assert WebhookDelivery.objects.get().ok


def test_failed_delivery_raises_for_retry_and_is_logged(receiver) -> None:
    Receiver.status = 503
    _, message = alert_message(AgencyFactory(), receiver, {})
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


def test_the_outbox_delivers_a_logged_contact_signed_with_the_agencys_fields(receiver) -> None:
    """End to end for contact.logged: queued with the contact, delivered by the outbox job,
    signed; a partner's delivery carries only the contact fields its term shares."""
    from cases.services.contacts import log_contact
    from sartcm.outbox import deliver_pending
    from tests.factories_contacts import build_world
    from tests.factories_registration import share

    world = build_world()
    partner = AgencyFactory()
    share(world.case, partner, "contacts", ["contact_type"])
    lead_sub = subscribe(world.lead, receiver, ["contact.logged"])
    partner_sub = subscribe(partner, receiver, ["contact.logged"])
    contact = log_contact(
        world.case, world.officer.staff, {"contact_type": "office", "notes": "Fine."}, world.officer
    )
    assert deliver_pending() == {"sent": 2, "failed": 0, "dead": 0}
    received = {}
    for headers, body in Receiver.received:
        assert headers["x-sartcm-event"] == "contact.logged"
        received[json.loads(body)["data"].get("notes")] = (headers, body)
    lead_headers, lead_body = received["Fine."]
    partner_headers, partner_body = received[None]
    assert verify(lead_sub.secret, lead_body, lead_headers["x-sartcm-signature"])
    assert verify(partner_sub.secret, partner_body, partner_headers["x-sartcm-signature"])
    assert not verify(lead_sub.secret, partner_body, partner_headers["x-sartcm-signature"])
    assert json.loads(partner_body)["data"] == {
        "contact": contact.pk,
        "case": world.case.pk,
        "contact_type": "office",
    }
    assert WebhookDelivery.objects.filter(ok=True).count() == 2
