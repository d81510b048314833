"""The contact.logged webhook: queued (through the outbox, in the transaction of the change)
once per logged contact — through the service, the API, the page form or a bulk import — to
every subscribed agency that may see contacts on the case, with only the contact fields its
terms share; to no other; nothing when the change is rolled back."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from agencies.choices import RecordType, Role
from cases.models import SupervisionContact
from cases.services.contacts import log_contact
from sartcm.models import WebhookEvent
from tests.factories import CaseFactory
from tests.factories_contacts import build_world
from tests.factories_sync import key_client
from tests.factories_webhooks import assert_heard_once, heard, listeners, subscribe
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db

EVENT = WebhookEvent.CONTACT_LOGGED
PARTNER_FIELDS = ["contact_at", "contact_type", "officer_name"]
CONTACT = {"contact_type": "home_visit", "location": "Residence", "notes": "All well."}


@pytest.fixture
def w():
    w = build_world()
    w.hooks = listeners(w.case, RecordType.CONTACTS, PARTNER_FIELDS, EVENT)
    # the treatment provider and the advocate see the case, not its contacts
    subscribe(w.provider_agency, [EVENT])
    subscribe(w.advocate_agency, [EVENT])
    return w


def assert_logged_once(w, contact: SupervisionContact) -> None:
    fields = {
        "contact_at": contact.contact_at,
        "contact_type": contact.contact_type,
        "face_to_face": contact.face_to_face,
        "location": contact.location,
        "outcome": contact.outcome,
        "notes": contact.notes,
        "officer_name": w.officer.staff.full_name,
    }
    keys = {"contact": contact.pk, "case": contact.case_id}
    assert_heard_once(EVENT, keys, fields, w.hooks.allowed)


def test_a_contact_logged_through_the_service(w) -> None:
    contact = log_contact(w.case, w.officer.staff, CONTACT, w.officer)
    # the lead agency hears every field, the partner only the fields its term shares
    assert_logged_once(w, contact)
    partner_body = next(body for agency, body in heard(EVENT) if agency == w.hooks.partner.pk)
    assert "notes" not in partner_body and partner_body["contact_type"] == "home_visit"


def test_a_contact_logged_through_the_api(w) -> None:
    from rest_framework.test import APIClient

    client = APIClient()
    otp_login(client, w.officer)
    response = client.post(
        "/api/v1/contacts/",
        {"case": w.case.pk, "contact_type": "office", "notes": "Weekly check-in."},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert_logged_once(w, SupervisionContact.objects.get(pk=response.json()["id"]))


def test_a_contact_logged_on_the_page(client, w) -> None:
    otp_login(client, w.officer)
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    response = client.post(
        reverse("cases:contact-add", kwargs={"case_pk": w.case.pk}),
        {"contact_type": "office", "contact_at": now, "outcome": "completed"},
    )
    assert response.status_code == 302
    assert_logged_once(w, SupervisionContact.objects.get(case=w.case))


def test_nothing_is_queued_when_the_contact_is_rolled_back(w) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        log_contact(w.case, w.officer.staff, CONTACT, w.officer)
        assert len(heard(EVENT)) == 2  # queued in the transaction of the change …
        raise RuntimeError("the request failed later")
    assert heard(EVENT) == []  # … and gone with it
    assert not SupervisionContact.objects.exists()


BULK = "/api/v1/bulk/contacts/"


def test_a_bulk_import_queues_each_contact_once_and_a_failed_one_nothing(w) -> None:
    other = CaseFactory(lead_agency=w.lead, officer=w.officer.staff)
    client = key_client(w.lead, Role.SUPERVISION_OFFICER)
    # a batch whose last row fails saves nothing and queues nothing
    failing = [{"case": w.case.pk, **CONTACT}, {"case": other.pk, "contact_type": "seance"}]
    assert client.post(BULK, failing).status_code == 422
    assert heard(EVENT) == []
    # a good batch: each contact is heard by those who may see contacts on its case
    response = client.post(BULK, [{"case": w.case.pk, **CONTACT}, {"case": other.pk, **CONTACT}])
    assert response.status_code == 201, response.content
    rows = heard(EVENT)
    # the partner's term covers every case of the lead agency: both contacts reach it
    for contact in SupervisionContact.objects.all():
        hearing = [agency for agency, body in rows if body["contact"] == contact.pk]
        assert sorted(hearing) == sorted(w.hooks.allowed)
    assert len(rows) == 2 * len(w.hooks.allowed)


def test_a_bulk_import_queues_in_one_statement(w) -> None:
    """However many rows, the batch's webhooks are queued by one statement at its end."""
    client = key_client(w.lead, Role.SUPERVISION_OFFICER)
    with CaptureQueriesContext(connection) as ctx:
        assert client.post(BULK, [{"case": w.case.pk, **CONTACT}] * 6).status_code == 201
    queuing = [q for q in ctx.captured_queries if "sartcm_webhooksubscription" in q["sql"]]
    assert len(queuing) == 1
    assert len(heard(EVENT)) == 6 * len(w.hooks.allowed)
