"""Agency administrators manage service accounts, keys and webhooks on pages; nobody else can."""

from __future__ import annotations

import re

import pytest

from agencies.choices import Role
from sartcm.apikeys import create_service_account, issue_key
from sartcm.models import APIKey, WebhookSubscription
from tests.factories import StaffFactory
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return StaffFactory(roles=[Role.AGENCY_ADMIN])


def test_admin_creates_account_and_key_shown_once(client, admin) -> None:
    otp_login(client, admin.user)
    response = client.post(
        "/integrations/accounts/new", {"name": "Registry feed", "roles": ["registry_officer"]}
    )
    assert response.status_code == 302
    account = admin.agency.staff.get(title="Service account")
    response = client.post(
        "/integrations/keys/new",
        {"service_account": account.pk, "name": "feed", "scopes": ["view:registration"]},
    )
    assert response.status_code == 200
    shown = re.search(r'value="([0-9a-f]{8}\.[^"]+)"', response.content.decode()).group(1)
    key = APIKey.objects.get()
    assert (
        shown.startswith(key.prefix)
        and shown.split(".", 1)[1] not in client.get("/integrations/").content.decode()
    )


def test_key_with_scope_beyond_roles_is_refused_naming_the_field(client, admin) -> None:
    otp_login(client, admin.user)
    account = create_service_account(admin.user, "Registry feed", [Role.REGISTRY_OFFICER])
    response = client.post(
        "/integrations/keys/new",
        {"service_account": account.staff.pk, "name": "x", "scopes": ["view:polygraph"]},
    )
    assert response.status_code == 400
    assert "view:polygraph" in response.content.decode()
    assert not APIKey.objects.exists()


def test_non_admins_and_other_agencies_get_404(client, admin) -> None:
    account = create_service_account(admin.user, "OMS", [Role.CASE_MANAGER])
    key, _ = issue_key(admin.user, account, "OMS", ["view:status"])
    plain = StaffFactory(agency=admin.agency, roles=[Role.CASE_MANAGER])
    other_admin = StaffFactory(roles=[Role.AGENCY_ADMIN])
    otp_login(client, plain.user)
    assert client.get("/integrations/").status_code == 404
    otp_login(client, other_admin.user)
    assert client.get("/integrations/").status_code == 200
    assert key.prefix not in client.get("/integrations/").content.decode()
    assert client.post(f"/integrations/keys/{key.pk}/revoke", {"reason": "x"}).status_code == 404
    assert client.post(f"/integrations/keys/{key.pk}/rotate").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None
    # the other agency's service account is not even a choice
    response = client.post(
        "/integrations/keys/new",
        {"service_account": account.staff.pk, "name": "x", "scopes": ["view:status"]},
    )
    assert response.status_code == 400 and APIKey.objects.count() == 1


def test_webhook_subscription_shows_secret_once(client, admin) -> None:
    otp_login(client, admin.user)
    response = client.post(
        "/integrations/webhooks/new",
        {"name": "OMS", "url": "https://oms.example.test/hook", "events": ["alert.raised"]},
    )
    sub = WebhookSubscription.objects.get()
    assert sub.secret in response.content.decode()
    assert sub.secret not in client.get("/integrations/").content.decode()
    assert (
        client.post(
            "/integrations/webhooks/new",
            {"name": "x", "url": "not a url", "events": ["alert.raised"]},
        ).status_code
        == 400
    )
