"""API keys (hashed, scoped, expiring, rotated, revoked), ETag/If-Match, Idempotency-Key, throttling."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from agencies.choices import Role
from sartcm.apikeys import (
    create_service_account,
    disable_inactive_keys,
    issue_key,
    revoke_key,
    rotate_key,
)
from sartcm.models import APIKey, AuditEvent, IdempotencyRecord
from tests.factories import CaseFactory, StaffFactory
from tests.helpers import otp_login

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.sartcm.api_test_urls")]


@pytest.fixture
def admin():
    return StaffFactory(roles=[Role.AGENCY_ADMIN])


@pytest.fixture
def service(admin):
    return create_service_account(admin.user, "Offender management system", [Role.CASE_MANAGER])


def key_client(full_key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {full_key}")
    return client


def test_key_is_stored_hashed_and_shown_once(admin, service) -> None:
    key, full = issue_key(admin.user, service, "OMS sync", ["view:status"])
    assert full.startswith(key.prefix + ".")
    secret = full.split(".", 1)[1]
    # the secret itself is nowhere in the row
    assert secret not in key.key_hash and secret not in str(
        APIKey.objects.filter(pk=key.pk).values().get()
    )
    assert AuditEvent.objects.filter(object_type="sartcm.apikey", object_id=str(key.pk)).exists()


def test_key_acts_with_its_agency_standing_and_scopes_only(admin, service) -> None:
    own = CaseFactory(lead_agency=admin.agency)
    other = CaseFactory()
    _, full = issue_key(admin.user, service, "OMS sync", ["view:status"])
    client = key_client(full)
    # its agency's case: visible; another agency's: 404
    assert client.get(f"/cases/{own.pk}/").status_code == 200
    assert client.get(f"/cases/{other.pk}/").status_code == 404
    listed = client.get("/cases/").json()["results"]
    assert [row["id"] for row in listed] == [own.pk]
    # scope lacks change:status -> the write answers 404 and changes nothing
    response = client.patch(f"/cases/{own.pk}/", {"status": "absconded"}, format="json")
    assert response.status_code == 404
    own.refresh_from_db()
    assert own.status == "supervised"


def test_scopes_cannot_exceed_the_service_accounts_roles(admin) -> None:
    from django.core.exceptions import ValidationError

    registry = create_service_account(admin.user, "Registry feed", [Role.REGISTRY_OFFICER])
    with pytest.raises(ValidationError) as error:
        issue_key(admin.user, registry, "feed", ["view:polygraph"])
    assert "view:polygraph" in str(error.value)
    with pytest.raises(ValidationError) as error:
        issue_key(admin.user, registry, "feed", ["view:nonsense"])
    assert "scopes" in error.value.message_dict


def test_only_agency_admins_of_the_same_agency_manage_keys(admin, service) -> None:
    from django.core.exceptions import PermissionDenied

    plain = StaffFactory(agency=admin.agency, roles=[Role.CASE_MANAGER])
    outsider_admin = StaffFactory(roles=[Role.AGENCY_ADMIN])
    with pytest.raises(PermissionDenied):
        issue_key(plain.user, service, "x", ["view:status"])
    with pytest.raises(PermissionDenied):
        issue_key(outsider_admin.user, service, "x", ["view:status"])


@pytest.mark.parametrize("state", ["revoked", "expired", "wrong-secret", "inactive-user"])
def test_unusable_keys_are_refused_with_one_message(admin, service, state) -> None:
    case = CaseFactory(lead_agency=admin.agency)
    key, full = issue_key(admin.user, service, "OMS", ["view:status"])
    if state == "revoked":
        revoke_key(admin.user, key, "system retired")
    elif state == "expired":
        APIKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    elif state == "wrong-secret":
        full = key.prefix + ".not-the-secret"
    else:
        service.is_active = False
        service.save()
    response = key_client(full).get(f"/cases/{case.pk}/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid, expired or revoked API key."


def test_rotation_keeps_old_key_for_a_grace_period_then_refuses_it(admin, service) -> None:
    case = CaseFactory(lead_agency=admin.agency)
    old, old_full = issue_key(admin.user, service, "OMS", ["view:status"])
    new, new_full = rotate_key(admin.user, old)
    assert new.scopes == old.scopes and new.rotated_from_id == old.pk
    assert key_client(new_full).get(f"/cases/{case.pk}/").status_code == 200
    assert key_client(old_full).get(f"/cases/{case.pk}/").status_code == 200  # grace
    APIKey.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert key_client(old_full).get(f"/cases/{case.pk}/").status_code == 401


def test_last_use_recorded_and_unused_keys_disabled_after_90_days(admin, service) -> None:
    case = CaseFactory(lead_agency=admin.agency)
    used, full = issue_key(admin.user, service, "used", ["view:status"])
    stale, _ = issue_key(admin.user, service, "stale", ["view:status"])
    key_client(full).get(f"/cases/{case.pk}/")
    used.refresh_from_db()
    assert used.last_used_at is not None and used.last_used_ip == "127.0.0.1"
    APIKey.objects.filter(pk=stale.pk).update(created_at=timezone.now() - timedelta(days=91))
    assert disable_inactive_keys() == 1
    stale.refresh_from_db()
    used.refresh_from_db()
    assert stale.revoked_at is not None and used.revoked_at is None


def test_stale_if_match_gets_412_and_changes_nothing() -> None:
    staff = StaffFactory(roles=[Role.CASE_MANAGER])
    case = CaseFactory(lead_agency=staff.agency)
    client = APIClient()
    otp_login(client, staff.user)
    first = client.get(f"/cases/{case.pk}/")
    etag = first["ETag"]
    # someone else changes it
    ok = client.patch(
        f"/cases/{case.pk}/", {"status": "absconded"}, format="json", HTTP_IF_MATCH=etag
    )
    assert ok.status_code == 200 and ok["ETag"] != etag
    stale = client.patch(
        f"/cases/{case.pk}/", {"status": "discharged"}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    assert stale["Content-Type"] == "application/problem+json"
    case.refresh_from_db()
    assert case.status == "absconded" and case.version == 2


def test_writing_a_field_not_shared_is_refused_naming_it(admin) -> None:
    from agencies.models import Agency  # noqa: F401

    staff = StaffFactory(roles=[Role.CASE_MANAGER])
    case = CaseFactory(lead_agency=staff.agency)
    client = APIClient()
    otp_login(client, staff.user)
    response = client.patch(f"/cases/{case.pk}/", {"jurisdiction": "Elsewhere"}, format="json")
    # read-only for everyone: DRF ignores read-only fields; the value must not change
    case.refresh_from_db()
    assert case.jurisdiction == "Prairie State"
    assert response.status_code in (200, 400)


@pytest.mark.urls("tests.sartcm.api_idem_urls")
def test_idempotency_key_replays_and_refuses_a_different_body() -> None:
    staff = StaffFactory(roles=[Role.CASE_MANAGER])
    client = APIClient()
    otp_login(client, staff.user)
    body = {"text": "hello"}
    first = client.post("/echo/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    again = client.post("/echo/", body, format="json", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again["Idempotent-Replayed"] == "true"
    assert IdempotencyRecord.objects.count() == 1
    from tests.sartcm.api_idem_urls import CREATED

    assert len(CREATED) == 1
    different = client.post(
        "/echo/", {"text": "other"}, format="json", HTTP_IDEMPOTENCY_KEY="abc-1"
    )
    assert different.status_code == 422


@pytest.mark.django_db(transaction=True)
@pytest.mark.urls("tests.sartcm.api_idem_urls")
def test_concurrent_retries_with_one_key_create_one_record() -> None:
    from tests.sartcm.api_idem_urls import CREATED

    CREATED.clear()
    staff = StaffFactory(roles=[Role.CASE_MANAGER])
    results: list[int] = []
    barrier = threading.Barrier(2)

    def post() -> None:
        client = APIClient()
        otp_login(client, staff.user)
        barrier.wait()
        results.append(
            client.post(
                "/echo/", {"text": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="race"
            ).status_code
        )
        connection.close()

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [201, 201]
    assert len(CREATED) == 1
    assert IdempotencyRecord.objects.filter(key="race").count() == 1


def test_throttle_answers_429_with_retry_after(settings) -> None:
    from django.core.cache import cache

    cache.clear()
    original = settings.REST_FRAMEWORK
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"client": "3/minute"},
    }
    from rest_framework.settings import api_settings

    api_settings.reload()
    from sartcm.api.throttling import PerClientThrottle

    PerClientThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        staff = StaffFactory(roles=[Role.CASE_MANAGER])
        client = APIClient()
        otp_login(client, staff.user)
        codes = [client.get("/cases/").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        limited = client.get("/cases/")
        assert int(limited["Retry-After"]) > 0
    finally:
        settings.REST_FRAMEWORK = original  # restore the real rate for later tests
        api_settings.reload()
        PerClientThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
        cache.clear()


def test_nightly_lifecycle_revokes_unused_keys_and_keeps_busy_service_accounts(
    admin, service
) -> None:
    # given a service account 100 days old whose key was used yesterday, and an unused key
    from django.contrib.auth import get_user_model

    from sartcm.security.services import disable_inactive_accounts

    get_user_model().objects.filter(pk=service.pk).update(
        date_joined=timezone.now() - timedelta(days=100)
    )
    busy, _ = issue_key(admin.user, service, "busy", ["view:status"])
    idle, _ = issue_key(admin.user, service, "idle", ["view:status"])
    APIKey.objects.filter(pk=busy.pk).update(last_used_at=timezone.now() - timedelta(days=1))
    APIKey.objects.filter(pk=idle.pk).update(created_at=timezone.now() - timedelta(days=95))
    # when the nightly account sweep runs
    counts = disable_inactive_accounts()
    # then the idle key is revoked, the busy key and its service account stay enabled
    assert counts["api_keys"] == 1
    service.refresh_from_db()
    assert service.is_active
    assert APIKey.objects.get(pk=idle.pk).revoked_at is not None
    assert APIKey.objects.get(pk=busy.pk).revoked_at is None
