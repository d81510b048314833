"""Logons, failed logons and logoffs are audited with the account and source address."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from agencies.choices import Role
from sartcm.models import AuditAction, AuditEvent, AuditOutcome
from tests.factories_access import agency, staff

pytestmark = pytest.mark.django_db


def test_logon_success_failure_and_logoff_are_audited() -> None:
    member = staff(agency("PDOC"), Role.CASE_MANAGER, username="cm.doc")
    client = Client(REMOTE_ADDR="203.0.113.7")
    # a failed logon names the account tried, with no user and the source address
    client.post(reverse("login"), {"username": "cm.doc", "password": "wrong"})
    failed = AuditEvent.objects.get(action=AuditAction.LOGIN_FAILED)
    assert failed.user is None and failed.username == "cm.doc"
    assert failed.outcome == AuditOutcome.FAILURE and failed.source_address == "203.0.113.7"
    assert "wrong" not in failed.detail
    # a successful logon
    client.post(
        reverse("login"), {"username": "cm.doc", "password": "correct horse battery staple"}
    )
    login = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert login.user == member.user and login.agency_id == member.agency_id
    assert login.source_address == "203.0.113.7"
    # and the logoff
    client.post(reverse("logout"))
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, user=member.user).exists()
