"""Passwords (CJIS IA-5): 12–128 characters, banned and breached words refused, the last 10
not reused, changed yearly or when an administrator marks it compromised; changes audited."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.urls import reverse
from freezegun import freeze_time

from sartcm.models import AuditAction, AuditEvent
from sartcm.security import services
from sartcm.security.models import AccountSecurity, PasswordHistory
from sartcm.security.views import LogonView, PasswordChangeView
from tests.factories import AgencyFactory, UserFactory
from tests.factories_security import PASSWORD, agency_admin, staff_member
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC)


def refused(password: str, user=None) -> list[str]:  # noqa: ANN001
    try:
        validate_password(password, user)
    except ValidationError as error:
        return [e.code for e in error.error_list]
    return []


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("Short-pass1", "password_too_short"),  # 11 characters
        ("x7" * 64 + "q", "password_too_long"),  # 129 characters
        ("1qaz2wsx3edc", "password_too_common"),
        ("P@ssw0rd-lighthouse", "password_banned_word"),  # leetspeak undone
        ("sheriffs-lighthouse-9", "password_banned_word"),
        ("Sartcm-lighthouse-9", "password_banned_word"),
    ],
)
def test_weak_passwords_are_refused(password: str, code: str) -> None:
    assert code in refused(password)


@pytest.mark.parametrize(
    "password",
    [
        "violet lantern orbit",  # 20 characters: a passphrase
        "Mq7!vR2#kx9Z",  # exactly 12
        "a" * 3 + " copper kettle drums " * 5 + "zz",  # long passphrases up to 128
    ],
)
def test_good_passwords_pass(password: str) -> None:
    assert refused(password[:128]) == []


def test_agency_short_names_are_banned() -> None:
    AgencyFactory(short_name="CCSO")
    assert "password_banned_word" in refused("ccso-violet-lantern")
    AgencyFactory(short_name="NTA")  # too short to ban: "mountain" stays allowed
    assert refused("mountain violet lantern") == []


def test_the_last_ten_passwords_cannot_be_reused() -> None:
    # given a user who has had 11 passwords
    user = UserFactory()
    passwords = [f"violet lantern orbit {n:02d}" for n in range(11)]
    for password in passwords:
        user.set_password(password)
        user.save()
    # then the current one and the nine before it are refused, the eleventh-last is allowed
    for password in passwords[1:]:
        assert "password_reused" in refused(password, user), password
    assert refused(passwords[0], user) == []
    assert PasswordHistory.objects.filter(user=user).count() == 10


def test_changing_the_password_audits_it_and_ends_other_sessions(client) -> None:
    # given someone signed in on two browsers
    staff = staff_member()
    other = Client()
    otp_login(other, staff.user)
    otp_login(client, staff.user)
    # when they change their password
    response = client.post(
        reverse("security:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "violet lantern orbit 7",
            "new_password2": "violet lantern orbit 7",
        },
    )
    # then it is changed and audited, this session continues and the other ends
    assert response.status_code == 302
    staff.user.refresh_from_db()
    assert staff.user.check_password("violet lantern orbit 7")
    event = AuditEvent.objects.get(action=AuditAction.PASSWORD_CHANGE)
    assert event.user == staff.user and event.object_id == str(staff.user.pk)
    assert "violet" not in event.detail
    assert client.get("/").status_code == 200
    assert other.get("/").status_code == 302


def test_a_password_change_must_pass_the_rules(client) -> None:
    staff = staff_member()
    otp_login(client, staff.user)
    response = client.post(
        reverse("security:password-change"),
        {"old_password": PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert response.status_code == 200
    assert "used this password recently" in response.content.decode()
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGE).exists()


def test_the_first_password_of_an_account_is_not_a_change() -> None:
    UserFactory()
    assert not AuditEvent.objects.filter(action=AuditAction.PASSWORD_CHANGE).exists()


@pytest.mark.parametrize(("age_days", "forced"), [(364, False), (366, True)])
def test_a_year_old_password_must_be_changed_first(client, age_days: int, forced: bool) -> None:
    with freeze_time(T0) as clock:
        staff = staff_member()
        clock.tick(dt.timedelta(days=age_days))
        otp_login(client, staff.user)
        page = client.get("/")
        api = client.get("/api/v1/")
        change_page = client.get(reverse("security:password-change"))
    if forced:
        assert page["Location"] == reverse("security:password-change")
        assert api.status_code == 403
        assert "more than 365 days old" in change_page.content.decode()
    else:
        assert page.status_code == 200 and api.status_code == 200


def test_changing_the_expired_password_restores_access(client) -> None:
    with freeze_time(T0) as clock:
        staff = staff_member()
        clock.tick(dt.timedelta(days=400))
        otp_login(client, staff.user)
        client.post(
            reverse("security:password-change"),
            {
                "old_password": PASSWORD,
                "new_password1": "violet lantern orbit 8",
                "new_password2": "violet lantern orbit 8",
            },
        )
        assert client.get("/").status_code == 200


def test_an_administrator_marks_a_password_compromised(client) -> None:
    # given a signed-in person and their agency administrator
    agency = AgencyFactory()
    staff = staff_member(agency)
    browser = Client()
    otp_login(browser, staff.user)
    admin = agency_admin(agency)
    otp_login(client, admin.user)
    # when the administrator marks the password compromised
    response = client.post(reverse("security:account-action", args=[staff.user.pk, "compromised"]))
    assert response.status_code == 302
    # then the person's sessions end, and after logging in again they must change it first
    assert browser.get("/").status_code == 302
    assert AccountSecurity.objects.get(user=staff.user).password_compromised
    otp_login(browser, staff.user)
    assert browser.get("/")["Location"] == reverse("security:password-change")
    assert AuditEvent.objects.filter(
        action=AuditAction.PERMISSION_CHANGE, detail__contains="compromised"
    ).exists()
    # and a new password clears the mark
    browser.post(
        reverse("security:password-change"),
        {
            "old_password": PASSWORD,
            "new_password1": "violet lantern orbit 9",
            "new_password2": "violet lantern orbit 9",
        },
    )
    assert browser.get("/").status_code == 200
    assert services.password_change_reason(staff.user) is None


def test_only_the_agencys_administrator_marks_a_password_compromised(client) -> None:
    staff = staff_member()
    otp_login(client, agency_admin(AgencyFactory()).user)
    response = client.post(reverse("security:account-action", args=[staff.user.pk, "compromised"]))
    assert response.status_code == 404
    assert not AccountSecurity.objects.filter(user=staff.user, password_compromised=True).exists()


def test_logon_and_password_views_hide_their_secrets_from_error_reports() -> None:
    factory = RequestFactory()
    request = factory.post(reverse("login"), {"username": "x", "password": "y"})
    request.session = {}  # type: ignore[assignment]
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    LogonView.as_view()(request)
    assert request.sensitive_post_parameters == ("password",)
    assert PasswordChangeView.dispatch.__wrapped__  # decorated
    request = factory.post(reverse("security:password-change"), {})
    request.user = AnonymousUser()
    request.session = {}  # type: ignore[assignment]
    PasswordChangeView.as_view()(request)
    assert set(request.sensitive_post_parameters) == {
        "old_password",
        "new_password1",
        "new_password2",
    }
