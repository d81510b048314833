"""Lockout (CJIS AC-7) and the system-use banner (AC-8)."""

from __future__ import annotations

import datetime as dt

import pytest
from axes.models import AccessFailureLog
from django.urls import reverse
from freezegun import freeze_time

from sartcm.models import AuditAction, AuditEvent, AuditOutcome
from sartcm.security import lockout
from tests.factories import AgencyFactory
from tests.factories_security import (
    agency_admin,
    code_step,
    full_login,
    password_step,
    staff_member,
    totp_code,
)
from tests.helpers import otp_device, otp_login

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC)
WRONG = "not the password at all"


def fail(client, username: str, times: int = 1) -> list:
    return [password_step(client, username, WRONG) for _ in range(times)]


def test_the_fifth_failure_locks_and_the_sixth_attempt_is_refused_even_with_the_password(
    client,
) -> None:
    # given an account
    staff = staff_member()
    otp_device(staff.user)
    # when the password is wrong four times, the account is still open
    responses = fail(client, staff.user.username, 4)
    assert [r.status_code for r in responses] == [200] * 4
    assert not lockout.is_locked(staff.user.username)
    # when the fifth is wrong, that response is the lockout page
    fifth = fail(client, staff.user.username)[0]
    assert fifth.status_code == 403
    assert "This account is locked" in fifth.content.decode()
    assert lockout.is_locked(staff.user.username)
    # then the sixth, with the right password, is refused and starts no logon
    sixth = password_step(client, staff.user.username)
    assert sixth.status_code == 403
    assert "security_pending_login" not in client.session
    assert client.get(reverse("security:login-verify"))["Location"] == reverse("login")


def test_four_failures_then_the_right_password_continues_to_the_second_factor(client) -> None:
    staff = staff_member()
    otp_device(staff.user)
    fail(client, staff.user.username, 4)
    response = password_step(client, staff.user.username)
    assert response["Location"] == reverse("security:login-verify")


def test_the_lock_holds_until_an_administrator_unlocks_not_until_time_passes(client) -> None:
    staff = staff_member()
    device = otp_device(staff.user)
    with freeze_time(T0) as clock:
        fail(client, staff.user.username, 5)
        clock.tick(dt.timedelta(days=3))
        assert password_step(client, staff.user.username).status_code == 403
        # the second factor step is refused too, whoever got that far
        assert code_step(client, totp_code(device)).status_code == 302


def test_failures_must_fall_within_fifteen_minutes(client) -> None:
    staff = staff_member()
    otp_device(staff.user)
    with freeze_time(T0) as clock:
        # four failures, then a fifth 16 minutes after the first: the first no longer counts
        fail(client, staff.user.username, 4)
        clock.tick(dt.timedelta(minutes=16))
        assert fail(client, staff.user.username)[0].status_code == 200
        assert not lockout.is_locked(staff.user.username)


def test_the_window_slides_five_failures_in_any_fifteen_minutes_lock(client) -> None:
    staff = staff_member()
    with freeze_time(T0) as clock:
        # failures at 0, 10, 11, 12, 16 and 17 minutes: only 10..17 holds five within 15
        # minutes (a "since the last failure" rule would already lock at 16)
        minutes = [0, 10, 11, 12, 16, 17]
        statuses = []
        for previous, now in zip([0, *minutes], minutes, strict=False):
            clock.tick(dt.timedelta(minutes=now - previous))
            statuses.append(fail(client, staff.user.username)[0].status_code)
    assert statuses == [200, 200, 200, 200, 200, 403]


def test_a_completed_logon_resets_the_count_so_only_consecutive_failures_lock(client) -> None:
    staff = staff_member()
    device = otp_device(staff.user)
    with freeze_time(T0) as clock:
        fail(client, staff.user.username, 4)
        full_login(client, staff.user, device)
        client.post(reverse("logout"))
        clock.tick(dt.timedelta(seconds=30))
        fail(client, staff.user.username, 4)
        assert not lockout.is_locked(staff.user.username)
        assert password_step(client, staff.user.username).status_code == 302


def test_wrong_second_factor_codes_count_towards_the_lockout(client) -> None:
    staff = staff_member()
    otp_device(staff.user)
    password_step(client, staff.user.username)
    statuses = [code_step(client, "000000").status_code for _ in range(5)]
    assert statuses == [200, 200, 200, 200, 403]
    assert lockout.is_locked(staff.user.username)
    assert password_step(client, staff.user.username).status_code == 403


def test_lockout_and_every_failure_are_audited(client) -> None:
    staff = staff_member()
    fail(client, staff.user.username, 6)
    failures = AuditEvent.objects.filter(
        action=AuditAction.LOGIN_FAILED, object_id=str(staff.user.pk)
    )
    locks = failures.filter(detail__contains="locked after 5 failed logons")
    assert locks.count() == 1
    assert locks.get().outcome == AuditOutcome.DENIED
    assert failures.exclude(pk=locks.get().pk).count() == 6
    assert failures.filter(detail__contains="refused because the account is locked").count() == 1
    assert not failures.filter(detail__contains=WRONG).exists()


def test_unknown_usernames_lock_the_same_way(client) -> None:
    fail(client, "nobody.here", 5)
    assert lockout.is_locked("nobody.here")


def test_an_agency_administrator_unlocks_their_agencys_account(client) -> None:
    # given a locked account and its agency's administrator
    agency = AgencyFactory()
    staff = staff_member(agency)
    device = otp_device(staff.user)
    admin = agency_admin(agency)
    fail(client, staff.user.username, 5)
    otp_login(client, admin.user)
    # when the administrator opens the locked list and unlocks it
    page = client.get(reverse("security:locked"))
    assert staff.user.username in page.content.decode()
    response = client.post(
        reverse("security:account-action", args=[staff.user.pk, "unlock"]),
        {"next": reverse("security:locked")},
    )
    assert response["Location"] == reverse("security:locked")
    # then the person can log in again, and the unlock is audited
    assert not lockout.is_locked(staff.user.username)
    assert not AccessFailureLog.objects.filter(username=staff.user.username).exists()
    other = client.__class__()
    full_login(other, staff.user, device)
    unlock = AuditEvent.objects.get(action=AuditAction.PERMISSION_CHANGE)
    assert unlock.user == admin.user and unlock.object_id == str(staff.user.pk)
    assert "Unlocked" in unlock.detail


def test_an_administrator_of_another_agency_cannot_unlock_or_see_the_lock(client) -> None:
    staff = staff_member()
    outsider = agency_admin(AgencyFactory())
    fail(client, staff.user.username, 5)
    otp_login(client, outsider.user)
    assert staff.user.username not in client.get(reverse("security:locked")).content.decode()
    response = client.post(reverse("security:account-action", args=[staff.user.pk, "unlock"]))
    assert response.status_code == 404
    assert lockout.is_locked(staff.user.username)


def test_a_colleague_who_is_not_an_administrator_cannot_unlock(client) -> None:
    agency = AgencyFactory()
    staff = staff_member(agency)
    colleague = staff_member(agency)
    fail(client, staff.user.username, 5)
    otp_login(client, colleague.user)
    assert client.get(reverse("security:locked")).status_code == 403
    response = client.post(reverse("security:account-action", args=[staff.user.pk, "unlock"]))
    assert response.status_code == 403
    assert lockout.is_locked(staff.user.username)


# --- The system-use banner -----------------------------------------------------------------


def test_the_logon_page_shows_the_system_use_notice(client) -> None:
    html = client.get(reverse("login")).content.decode()
    for words in ("restricted information system", "monitored", "penalties", "consent"):
        assert words in html
    assert 'name="consent"' in html and "I understand and consent" in html


def test_the_logon_is_refused_without_acknowledging_the_banner(client) -> None:
    # given a correct username and password
    staff = staff_member()
    otp_device(staff.user)
    # when the banner is not acknowledged
    response = password_step(client, staff.user.username, consent=False)
    # then the form comes back with the error by the checkbox, and no logon started
    assert response.status_code == 200
    assert "You must acknowledge the system-use notice" in response.content.decode()
    assert "security_pending_login" not in client.session
    # and the attempt neither counts towards a lockout nor checks the password
    fail_without_consent = password_step(client, staff.user.username, WRONG, consent=False)
    assert fail_without_consent.status_code == 200
    assert not AccessFailureLog.objects.exists()
    assert not AuditEvent.objects.filter(action=AuditAction.LOGIN_FAILED).exists()
