"""MFA (CJIS IA-2): every account, every path; enrolment at first logon; a code works once."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time
from rest_framework.test import APIClient

from sartcm.models import AuditAction, AuditEvent, AuditOutcome
from sartcm.security import services
from tests.factories import UserFactory
from tests.factories_security import (
    PASSWORD,
    code_step,
    full_login,
    password_step,
    staff_member,
    totp_code,
)
from tests.helpers import otp_device, otp_login

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC)


def test_first_logon_enrols_an_authenticator_and_shows_recovery_codes_once(client) -> None:
    # given an account that has never set up a second factor
    staff = staff_member()
    with freeze_time(T0) as clock:
        # when they give their password (and acknowledge the banner)
        response = password_step(client, staff.user.username)
        # then they are sent to set-up, not logged in
        assert response["Location"] == reverse("security:enrol")
        assert "_auth_user_id" not in client.session
        page = client.get(reverse("security:enrol"))
        assert page.status_code == 200
        html = page.content.decode()
        assert "<svg" in html and "QR code" in html
        device = TOTPDevice.objects.get(user=staff.user, confirmed=False)
        secret = services.totp_secret(device)
        assert secret in html
        # and a wrong code does not confirm it
        response = client.post(reverse("security:enrol"), {"code": "000000"})
        assert response.status_code == 200
        device.refresh_from_db()
        assert not device.confirmed
        clock.tick(dt.timedelta(seconds=31))  # past django-otp's throttle delay
        # when they enter the app's code
        response = client.post(reverse("security:enrol"), {"code": totp_code(device)})
        # then the device is confirmed, they are logged in and shown 10 recovery codes once
        assert response["Location"] == reverse("security:recovery-codes")
        device.refresh_from_db()
        assert device.confirmed
        codes_page = client.get(reverse("security:recovery-codes"))
        codes = set(
            StaticToken.objects.filter(device__user=staff.user).values_list("token", flat=True)
        )
        assert len(codes) == 10
        assert all(code in codes_page.content.decode() for code in codes)
        again = client.get(reverse("security:recovery-codes"))
        assert again.status_code == 302
        assert client.get(reverse("dashboard")).status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.LOGIN, user=staff.user).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.CHANGE, object_id=str(staff.user.pk), detail__contains="authenticator"
    ).exists()


def test_logon_with_an_authenticator_code(client) -> None:
    # given an enrolled account
    staff = staff_member()
    device = otp_device(staff.user)
    # when they give password and code
    response = password_step(client, staff.user.username, next_url="/security/mfa/")
    assert response["Location"] == reverse("security:login-verify")
    assert client.get(reverse("dashboard")).status_code == 302  # half-way is not logged in
    response = code_step(client, totp_code(device))
    # then they land where they were going, logged in with the device in the session
    assert response["Location"] == "/security/mfa/"
    assert client.get(reverse("dashboard")).status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.LOGIN)
    assert event.user == staff.user and event.source_address == "127.0.0.1"


def test_a_totp_code_works_once(client) -> None:
    # given someone who just logged in with a code
    staff = staff_member()
    device = otp_device(staff.user)
    with freeze_time(T0):
        code = totp_code(device)
        password_step(client, staff.user.username)
        assert code_step(client, code).status_code == 302
        client.post(reverse("logout"))
        # when the same code is replayed within its 30 seconds
        password_step(client, staff.user.username)
        response = code_step(client, code)
    # then it is refused and nobody is logged in
    assert response.status_code == 200
    assert "already used" in response.content.decode()
    assert client.get(reverse("dashboard")).status_code == 302
    failed = AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).get()
    assert "second factor" in failed.detail and failed.outcome == AuditOutcome.FAILURE


def test_the_next_code_works_after_one_was_used(client) -> None:
    staff = staff_member()
    device = otp_device(staff.user)
    with freeze_time(T0) as clock:
        full_login(client, staff.user, device)
        client.post(reverse("logout"))
        clock.tick(dt.timedelta(seconds=30))
        full_login(client, staff.user, device)
        assert client.get(reverse("dashboard")).status_code == 200


def test_a_recovery_code_works_once(client) -> None:
    # given an enrolled account with recovery codes
    staff = staff_member()
    otp_device(staff.user)
    codes = services.regenerate_recovery_codes(staff.user)
    # when a recovery code is used instead of the app
    password_step(client, staff.user.username)
    response = code_step(client, codes[0].upper())
    # then it logs them in and is used up
    assert response.status_code == 302
    assert services.recovery_codes_left(staff.user) == 9
    assert "You used a recovery code; 9 left" in client.get("/").content.decode()
    client.post(reverse("logout"))
    password_step(client, staff.user.username)
    assert code_step(client, codes[0]).status_code == 200
    assert client.get(reverse("dashboard")).status_code == 302


def test_force_login_without_a_second_factor_is_refused_on_pages_api_and_admin(client) -> None:
    # given a session made without the second factor (as client.force_login does)
    user = UserFactory(is_staff=True, is_superuser=True)
    for path, expected in [("/", 302), ("/api/v1/", 401), ("/admin/", 302)]:
        client.force_login(user)
        # when it is used on any channel
        response = client.get(path)
        # then it is ended: pages and admin go to the logon page, the API says 401
        assert response.status_code == expected, path
        if expected == 302:
            assert response["Location"].startswith(reverse("login"))
        assert "_auth_user_id" not in client.session
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.LOGOUT, detail__contains="no verified second factor"
        ).count()
        == 3
    )


def test_a_verified_session_reaches_pages_api_and_admin(client) -> None:
    superuser = UserFactory(is_staff=True, is_superuser=True)
    otp_login(client, superuser)
    assert client.get("/").status_code == 200
    assert client.get("/api/v1/").status_code == 200
    assert client.get("/admin/").status_code == 200
    api = APIClient()
    otp_login(api, superuser)
    assert api.get("/api/v1/").status_code == 200


def test_the_admin_logon_is_the_two_step_logon() -> None:
    from django.test import Client

    response = Client().get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


def test_removing_the_device_ends_the_session(client) -> None:
    staff = staff_member()
    device = otp_login(client, staff.user)
    device.delete()
    assert client.get("/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_the_half_finished_logon_expires_after_five_minutes(client) -> None:
    staff = staff_member()
    device = otp_device(staff.user)
    with freeze_time(T0) as clock:
        password_step(client, staff.user.username)
        clock.tick(dt.timedelta(minutes=5, seconds=1))
        response = code_step(client, totp_code(device))
    assert response["Location"] == reverse("login")
    assert client.get("/").status_code == 302


def test_enrolment_during_logon_is_only_for_accounts_without_an_authenticator(client) -> None:
    # given an enrolled account half-way through logon
    staff = staff_member()
    otp_device(staff.user)
    password_step(client, staff.user.username)
    # when it tries the set-up page (to swap in an attacker's authenticator)
    response = client.get(reverse("security:enrol"))
    # then it is sent to enter its existing code
    assert response["Location"] == reverse("security:login-verify")
    assert not TOTPDevice.objects.filter(user=staff.user, confirmed=False).exists()


def test_replacing_the_authenticator_keeps_the_session_verified(client) -> None:
    staff = staff_member()
    old = otp_login(client, staff.user)
    client.get(reverse("security:enrol"))
    new = TOTPDevice.objects.get(user=staff.user, confirmed=False)
    response = client.post(reverse("security:enrol"), {"code": totp_code(new)})
    assert response["Location"] == reverse("security:recovery-codes")
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()
    assert client.get("/").status_code == 200


def test_the_enrolment_qr_code_has_no_inline_style_or_script() -> None:
    device = TOTPDevice.objects.create(user=UserFactory(), confirmed=False)
    svg = services.qr_code_svg(device)
    assert svg.startswith("<svg ")
    assert not re.search(r"<script|style=|\son\w+=", svg)


def test_password_alone_never_logs_in_even_with_next(client) -> None:
    staff = staff_member()
    otp_device(staff.user)
    response = password_step(client, staff.user.username, PASSWORD, next_url="/admin/")
    assert response["Location"] == reverse("security:login-verify")
    assert client.get("/admin/").status_code == 302


def test_the_security_page_shows_codes_left_and_makes_new_ones_shown_once(client) -> None:
    staff = staff_member()
    otp_login(client, staff.user)
    services.regenerate_recovery_codes(staff.user)
    page = client.get(reverse("security:mfa"))
    assert "<strong>10</strong> unused recovery codes" in page.content.decode()
    old = set(StaticToken.objects.values_list("token", flat=True))
    response = client.post(reverse("security:mfa"))
    assert response["Location"] == reverse("security:recovery-codes")
    new = set(StaticToken.objects.values_list("token", flat=True))
    assert len(new) == 10 and not old & new
    html = client.get(reverse("security:recovery-codes")).content.decode()
    assert all(code in html for code in new)
