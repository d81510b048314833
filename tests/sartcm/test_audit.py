"""The audit trail is append-only at the database level."""

from __future__ import annotations

import pytest
from django.db import InternalError, transaction

from sartcm import audit
from sartcm.models import AuditAction, AuditEvent

pytestmark = pytest.mark.django_db


def test_audit_rows_cannot_be_updated_or_deleted() -> None:
    # given an audit row
    event = audit.record(None, AuditAction.LOGIN_FAILED, detail="bad password for someone")
    # when anyone tries to change or delete it, PostgreSQL refuses
    with pytest.raises(InternalError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(detail="tampered")
    with pytest.raises(InternalError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    # then it is unchanged
    event.refresh_from_db()
    assert event.detail == "bad password for someone"
