"""Email through the database outbox: survives Redis outages, retries, obeys allow-lists."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connections, transaction
from django.utils import timezone
from freezegun import freeze_time
from rest_framework.test import APIClient

from cases.alerts.engine import escalate, run_sweep
from cases.alerts.notify import queue_digests
from cases.models import Alert
from cases.tasks import deliver_outbox
from protocols.choices import AlertRuleCode as R
from sartcm import outbox
from sartcm.celery import app as celery_app
from sartcm.models import OutboxMessage, OutboxStatus
from tests.factories_registration import assessment, instrument, registration_world
from tests.helpers import otp_login

ON = dt.date(2026, 3, 16)
DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1


class BrokenSMTP(BaseEmailBackend):
    """An email backend whose server is down."""

    def send_messages(self, email_messages):  # noqa: ANN001, ANN201
        raise ConnectionRefusedError("SMTP server unavailable")


@pytest.fixture
def frozen():
    with freeze_time("2026-03-16 15:00:00"):
        yield


@pytest.fixture
def dead_broker():
    live = celery_app.conf.broker_url
    celery_app.conf.broker_url = DEAD_BROKER
    yield
    celery_app.conf.broker_url = live


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_requests_succeed_and_delivery_catches_up(
    frozen, dead_broker, caplog, redis_client
):
    # given the broker (Redis) is unreachable
    w = registration_world()
    client = APIClient()
    otp_login(client, w.deputy.user)
    # when the deputy records a failed address check (which raises a critical alert)
    response = client.post(
        "/api/v1/address-verifications/",
        {
            "registration": w.registration.pk,
            "verified_on": "2026-03-16",
            "address": "12 Prairie Lane, Meadowton",
            "result": "vacant",
        },
    )
    # then the request succeeds, the alert exists, and its email waits in the outbox
    assert response.status_code == 201, response.content
    alert = Alert.objects.get(rule=R.VERIFICATION_FAILED)
    pending = OutboxMessage.objects.get(kind="alert_email")
    assert pending.status == OutboxStatus.PENDING
    assert pending.payload["alert_ids"] == [alert.pk]
    assert mail.outbox == []
    assert "could not nudge delivery" in caplog.text
    # when Redis is back, nudges reach the broker again …
    celery_app.conf.broker_url = settings.CELERY_BROKER_URL
    queued_before = redis_client.llen("celery")
    with transaction.atomic():
        outbox.nudge_on_commit()
    assert redis_client.llen("celery") == queued_before + 1
    redis_client.rpop("celery")  # no worker runs in tests: the delivery runs here
    # … and the delivery job runs
    stats = deliver_outbox()
    # then the email is sent, once, to the registry officer, with what they may see
    assert stats == {"sent": 1, "failed": 0, "dead": 0}
    pending.refresh_from_db()
    assert pending.status == OutboxStatus.SENT and pending.sent_at is not None
    (email,) = mail.outbox
    assert email.to == [w.deputy.user.email]
    assert email.subject == "[SARTCM] New critical alert"
    assert "Address verification failed on 2026-03-16" in email.body
    assert "Vacant at 12 Prairie Lane" in email.body
    assert deliver_outbox() == {"sent": 0, "failed": 0, "dead": 0}


@pytest.mark.django_db
def test_failed_sends_are_retried_with_backoff_then_given_up(settings):
    settings.EMAIL_BACKEND = "tests.cases.test_alerts_notify.BrokenSMTP"
    message = outbox.enqueue_email(["officer@example.test"], "Subject", "Body")
    moment = timezone.now()
    waits = []
    for attempt in range(1, outbox.MAX_ATTEMPTS + 1):
        stats = outbox.deliver_pending(now=moment)
        message.refresh_from_db()
        assert message.attempts == attempt
        assert "SMTP server unavailable" in message.last_error
        if attempt < outbox.MAX_ATTEMPTS:
            assert stats == {"sent": 0, "failed": 1, "dead": 0}
            assert message.status == OutboxStatus.FAILED
            # not retried before its time
            assert outbox.deliver_pending(now=moment) == {"sent": 0, "failed": 0, "dead": 0}
            waits.append(message.next_attempt_at - moment)
            moment = message.next_attempt_at
        else:
            assert stats == {"sent": 0, "failed": 0, "dead": 1}
            assert message.status == OutboxStatus.DEAD
    assert waits[:3] == [dt.timedelta(minutes=1), dt.timedelta(minutes=2), dt.timedelta(minutes=4)]


@pytest.mark.django_db
def test_a_message_of_unknown_kind_is_retried_not_lost():
    message = outbox.enqueue("carrier_pigeon", {"to": "nobody"}, nudge=False)
    assert outbox.deliver_pending() == {"sent": 0, "failed": 1, "dead": 0}
    message.refresh_from_db()
    assert "no outbox handler" in message.last_error


@pytest.mark.django_db(transaction=True)
def test_a_message_claimed_by_another_worker_is_skipped():
    message = outbox.enqueue_email(["officer@example.test"], "Subject", "Body")
    claimed, release = threading.Event(), threading.Event()

    def other_worker() -> None:
        try:
            with transaction.atomic():
                list(OutboxMessage.objects.select_for_update().filter(pk=message.pk))
                claimed.set()
                release.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_worker)
    thread.start()
    assert claimed.wait(10)
    try:
        assert outbox.deliver_pending() == {"sent": 0, "failed": 0, "dead": 0}
    finally:
        release.set()
        thread.join()
    assert outbox.deliver_pending() == {"sent": 1, "failed": 0, "dead": 0}
    assert len(mail.outbox) == 1


@pytest.mark.django_db
class TestDigestsAndEscalationEmails:
    @pytest.fixture
    def w(self, frozen):
        world = registration_world()
        assessment(
            world.case,
            instrument=instrument("stable2007", "STABLE-2007"),
            assessed_on=dt.date(2025, 9, 20),
            next_due=ON + dt.timedelta(days=5),
            total_score=14,
            level="high",
            final_level="high",
        )
        run_sweep(ON)
        return world

    def test_one_digest_per_person_per_day(self, w):
        queued = queue_digests(ON)
        assert queued == 2  # the case manager (reassessment) and the deputy (registration)
        assert queue_digests(ON) == 0
        outbox.deliver_pending()
        by_recipient = {email.to[0]: email for email in mail.outbox}
        manager_mail = by_recipient[w.manager.user.email]
        assert manager_mail.subject == "[SARTCM] Your open alerts (1)"
        assert "STABLE-2007" in manager_mail.body
        assert "Registration verification due 2026-03-20" in by_recipient[w.deputy.user.email].body

    def test_an_advocates_email_carries_no_assessment_detail(self, w):
        # an alert routed to a victim advocate (e.g. reassigned by a supervisor)
        Alert.objects.filter(rule=R.REASSESSMENT_DUE).update(assignee=w.advocate)
        queue_digests(ON)
        outbox.deliver_pending()
        (email,) = [m for m in mail.outbox if m.to == [w.advocate.user.email]]
        assert f"Reassessment due 2026-03-21 — case {w.case.case_number}" in email.body
        for secret in ("STABLE", "high", "Score", "Level"):
            assert secret not in email.body

    def test_nothing_is_sent_about_alerts_the_recipient_can_no_longer_see(self, w):
        Alert.objects.filter(rule=R.REASSESSMENT_DUE).update(assignee=w.outsider)
        alert = Alert.objects.get(rule=R.REASSESSMENT_DUE)
        outbox.enqueue(
            "alert_email",
            {"staff_id": w.outsider.pk, "alert_ids": [alert.pk], "reason": "raised"},
            nudge=False,
        )
        Alert.objects.filter(pk=alert.pk).update(assignee=w.manager)  # re-routed meanwhile
        assert outbox.deliver_pending()["sent"] == 1
        assert mail.outbox == []

    def test_escalation_emails_the_supervisor(self, w):
        Alert.objects.filter(rule=R.REASSESSMENT_DUE).update(
            raised_at=timezone.now() - dt.timedelta(days=4)
        )
        assert escalate() == 1
        outbox.deliver_pending()
        (email,) = mail.outbox
        assert email.to == [w.supervisor.user.email]
        assert email.subject == "[SARTCM] Alerts escalated to you"
        assert "STABLE-2007" in email.body


@pytest.mark.django_db
def test_new_critical_alerts_make_one_email_per_recipient_not_a_flood():
    from tests.factories import AgencyFactory, CaseFactory
    from tests.factories_registration import RegistrationFactory, staff

    agency = AgencyFactory()
    registrar = staff(agency, "registry_officer")
    for _ in range(60):
        RegistrationFactory(case=CaseFactory(lead_agency=agency), next_verification_due=ON)
    run_sweep(ON + dt.timedelta(days=1), rule_codes=[R.REGISTRATION_OVERDUE])
    (message,) = OutboxMessage.objects.filter(kind="alert_email")
    assert len(message.payload["alert_ids"]) == 60
    outbox.deliver_pending()
    (email,) = mail.outbox
    assert email.to == [registrar.user.email]
    assert email.subject == "[SARTCM] 60 new critical alerts"
    assert "… and 10 more in your inbox." in email.body
