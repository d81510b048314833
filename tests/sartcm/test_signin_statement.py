"""The signed-in user, the session's second factor and the account state come from one
statement (sartcm.security.signin); who counts as signed in and verified is decided as by
Django's AuthenticationMiddleware and django-otp's OTPMiddleware."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.querysets import staff_of
from sartcm.security import signin
from tests.factories import UserFactory
from tests.factories_security import staff_member
from tests.helpers import otp_device, otp_login

pytestmark = pytest.mark.django_db


def signed_in(device_id: str | None = None, **staff: Any) -> tuple[Client, Any]:
    member = staff_member(**staff)
    client = Client()
    device = otp_login(client, member.user)
    if device_id is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device_id
        session.save()
    return client, member if device else None


def queries_of(client: Client, path: str, method: str = "get") -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        status = getattr(client, method)(path).status_code
    return status, [q["sql"] for q in ctx.captured_queries]


def test_a_signed_in_request_reads_user_device_and_account_state_in_one_statement() -> None:
    client, member = signed_in()
    status, sql = queries_of(client, "/api/v1/")
    assert status == 200
    # the session, then one statement for the rest (was: user, device, account state)
    assert len(sql) == 2, sql
    assert sql[0].startswith("SELECT session_data")
    statement = sql[1]
    for table in ("auth_user", "otp_totp_totpdevice", "agencies_staffmember", "agencies_agency"):
        assert f'"{table}"' in statement
    assert "_standing_wide" in statement  # a read-only request: the standing facts too


def test_a_write_request_loads_no_standing_facts_but_still_checks_the_account() -> None:
    client, member = signed_in()
    status, sql = queries_of(client, "/api/v1/", method="post")
    assert status == 405  # the API root takes no POST; the middleware ran
    loaded = next(s for s in sql if '"otp_totp_totpdevice"' in s)
    assert "_standing_wide" not in loaded
    assert not [s for s in sql if s.startswith('SELECT "agencies_staffmember"')]


def test_the_loaded_account_state_is_the_one_a_query_gives(rf) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    from sartcm.security.middleware import account_state

    member = staff_member()
    client = Client()
    otp_login(client, member.user)
    request = rf.get("/api/v1/")
    request.session = SessionStore(client.cookies[settings.SESSION_COOKIE_NAME].value)
    middleware = signin.SignedInUserMiddleware(lambda r: None)
    middleware.process_request(request)
    assert request.user.is_verified() and request.user.pk == member.user.pk
    loaded = account_state(request)
    assert request._security_loaded.staff.pk == member.pk
    # the same answers as the query account_state runs without the loaded row
    plain = rf.get("/api/v1/")
    plain.user = member.user
    expected = account_state(plain)
    assert loaded == expected
    assert staff_of(request.user).pk == member.pk
    assert staff_of(request.user).agency.pk == member.agency_id


def test_a_changed_password_ends_the_session() -> None:
    client, member = signed_in()
    member.user.set_password("a different long passphrase 42")
    member.user.save()
    assert client.get("/api/v1/").status_code == 401
    assert "_auth_user_id" not in client.session


def test_a_session_without_its_hash_is_anonymous() -> None:
    client, _ = signed_in()
    session = client.session
    del session[HASH_SESSION_KEY]
    session.save()
    assert client.get("/api/v1/").status_code == 401


def test_an_inactive_user_is_nobody() -> None:
    client, member = signed_in()
    type(member.user).objects.filter(pk=member.user.pk).update(is_active=False)
    assert client.get("/api/v1/").status_code == 401
    assert "_auth_user_id" not in client.session


def test_a_session_of_a_backend_no_longer_configured_is_anonymous() -> None:
    client, _ = signed_in()
    session = client.session
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session.save()
    assert client.get("/api/v1/").status_code == 401


@pytest.mark.parametrize(
    "case", ["someone_elses", "unconfirmed", "missing", "garbage", "huge_id", "not_a_device"]
)
def test_a_device_that_does_not_verify_this_user_is_refused(case: str) -> None:
    other = UserFactory()
    device_id = {
        "someone_elses": lambda: otp_device(other).persistent_id,
        "unconfirmed": lambda: None,
        "missing": lambda: "otp_totp.totpdevice/999999999",
        "garbage": lambda: "not a device id",
        "huge_id": lambda: f"otp_totp.totpdevice/{2**70}",
        "not_a_device": lambda: "auth.user/1",
    }[case]()
    client, member = signed_in(device_id)
    if case == "unconfirmed":
        TOTPDevice.objects.filter(user=member.user).update(confirmed=False)
    response = client.get("/api/v1/")
    assert response.status_code == 401
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_device_verifies_the_session() -> None:
    member = staff_member()
    static = StaticDevice.objects.create(user=member.user, name="Recovery codes", confirmed=True)
    client = Client()
    otp_login(client, member.user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = static.persistent_id
    session.save()
    status, sql = queries_of(client, "/api/v1/")
    assert status == 200
    assert len(sql) == 2 and '"otp_static_staticdevice"' in sql[1]


def test_a_user_without_a_staff_record_is_signed_in_with_no_agency() -> None:
    user = UserFactory(is_staff=True, is_superuser=True)
    client = Client()
    otp_login(client, user)
    status, sql = queries_of(client, "/api/v1/")
    assert status == 200 and len(sql) == 2
