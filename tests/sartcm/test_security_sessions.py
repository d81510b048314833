"""Sessions (CJIS AC-11/AC-12): 30 minutes idle, 12 hours in all, ended when the account is
disabled or its roles change; people see and end their own, administrators their agency's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from freezegun import freeze_time

from agencies.choices import Role
from agencies.models import StaffMember
from sartcm.models import AuditAction, AuditEvent
from sartcm.security.models import UserSession
from tests.factories import AgencyFactory
from tests.factories_security import agency_admin, staff_member
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC)


@pytest.fixture
def long_cookie(settings):
    """A session cookie/store that would live for a day: the server-side limits still apply."""
    settings.SESSION_COOKIE_AGE = 24 * 3600


@pytest.mark.parametrize(("idle_minutes", "still_signed_in"), [(29, True), (31, False)])
def test_idle_limit_29_vs_31_minutes(client, idle_minutes: int, still_signed_in: bool) -> None:
    staff = staff_member()
    with freeze_time(T0) as clock:
        otp_login(client, staff.user)
        assert client.get("/").status_code == 200
        clock.tick(dt.timedelta(minutes=idle_minutes))
        response = client.get("/")
    assert (response.status_code == 200) is still_signed_in
    if not still_signed_in:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.usefixtures("long_cookie")
@pytest.mark.parametrize(("idle_minutes", "still_signed_in"), [(29, True), (31, False)])
def test_idle_limit_holds_whatever_the_cookie_says(
    client, idle_minutes: int, still_signed_in: bool
) -> None:
    # given a session store that would keep the session for a day
    staff = staff_member()
    with freeze_time(T0) as clock:
        otp_login(client, staff.user)
        client.get("/")
        clock.tick(dt.timedelta(minutes=idle_minutes))
        # when the next request comes after the idle limit
        response = client.get("/")
    # then the server ends it all the same, and says why in the audit trail
    assert (response.status_code == 200) is still_signed_in
    ended = AuditEvent.objects.filter(action=AuditAction.LOGOUT, detail__contains="no activity")
    assert ended.exists() is not still_signed_in


def test_activity_keeps_a_session_alive_until_twelve_hours_after_logon(client) -> None:
    staff = staff_member()
    with freeze_time(T0) as clock:
        otp_login(client, staff.user)
        # a request every 25 minutes for 11 h 40 min: still signed in
        for _ in range(28):
            clock.tick(dt.timedelta(minutes=25))
            assert client.get("/").status_code == 200
        clock.tick(dt.timedelta(minutes=25))  # now past 12 hours since logon
        response = client.get("/")
    assert response.status_code == 302
    assert AuditEvent.objects.filter(detail__contains="12 hours since logon").exists()


@pytest.mark.usefixtures("long_cookie")
def test_api_session_ends_on_idle_too(client) -> None:
    staff = staff_member()
    with freeze_time(T0) as clock:
        otp_login(client, staff.user)
        assert client.get("/api/v1/").status_code == 200
        clock.tick(dt.timedelta(minutes=31))
        response = client.get("/api/v1/")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_disabled_accounts_open_session_ends_on_its_next_request(client) -> None:
    # given a signed-in person
    staff = staff_member()
    otp_login(client, staff.user)
    key = client.session.session_key
    assert client.get("/").status_code == 200
    # when their account is disabled
    staff.user.is_active = False
    staff.user.save()
    # then the session is gone at once and the next request goes to the logon page
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=staff.user).exists()
    assert client.get("/").status_code == 302


def test_a_session_disabled_behind_the_signals_back_still_ends(client) -> None:
    # given a signed-in person whose account is disabled by a bulk UPDATE (no signals)
    staff = staff_member()
    otp_login(client, staff.user)
    key = client.session.session_key
    type(staff.user).objects.filter(pk=staff.user.pk).update(is_active=False)
    # when they make a request
    response = client.get("/")
    # then the session is flushed and audited
    assert response.status_code == 302
    assert not Session.objects.filter(session_key=key).exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.LOGOUT, detail__contains="account disabled"
    ).exists()


def test_deactivating_the_staff_record_ends_the_session(client) -> None:
    staff = staff_member()
    otp_login(client, staff.user)
    StaffMember.objects.filter(pk=staff.pk).update(active=False)  # even without signals
    assert client.get("/").status_code == 302
    assert "_auth_user_id" not in client.session


def test_a_role_change_ends_the_persons_sessions(client) -> None:
    staff = staff_member(roles=[Role.CASE_MANAGER])
    otp_login(client, staff.user)
    staff.roles = [Role.CASE_MANAGER, Role.SUPERVISOR]
    staff.save()
    assert client.get("/").status_code == 302
    event = AuditEvent.objects.get(action=AuditAction.LOGOUT)
    assert "roles changed" in event.detail and event.object_id == str(staff.user.pk)


def test_saving_a_staff_record_without_role_change_keeps_the_session(client) -> None:
    staff = staff_member()
    otp_login(client, staff.user)
    staff.title = "Senior case manager"
    staff.save()
    assert client.get("/").status_code == 200


def test_people_see_and_end_their_own_sessions() -> None:
    # given the same person signed in on two browsers
    staff = staff_member()
    laptop, phone = Client(HTTP_USER_AGENT="Laptop browser"), Client(HTTP_USER_AGENT="Phone")
    otp_login(laptop, staff.user)
    otp_login(phone, staff.user)
    # when they look at their sessions on the laptop
    page = laptop.get(reverse("security:sessions"))
    rows = list(UserSession.objects.filter(user=staff.user))
    assert len(rows) == 2
    assert page.content.decode().count("End session") + page.content.decode().count("Log out") >= 2
    # and end the phone's
    phone_row = UserSession.objects.get(session_key=phone.session.session_key)
    response = laptop.post(reverse("security:session-end", args=[phone_row.pk]))
    # then the phone is signed out and the laptop is not
    assert response["Location"] == reverse("security:sessions")
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 200


def test_nobody_ends_someone_elses_session_from_their_own_page(client) -> None:
    agency = AgencyFactory()
    victim, colleague = staff_member(agency), staff_member(agency)
    other = Client()
    otp_login(other, victim.user)
    row = UserSession.objects.get(user=victim.user)
    otp_login(client, colleague.user)
    assert client.post(reverse("security:session-end", args=[row.pk])).status_code == 404
    assert other.get("/").status_code == 200


def test_an_agency_administrator_ends_a_session_in_their_agency_only(client) -> None:
    agency = AgencyFactory()
    staff = staff_member(agency)
    outsider_staff = staff_member()
    browser, outsider_browser = Client(), Client()
    otp_login(browser, staff.user)
    otp_login(outsider_browser, outsider_staff.user)
    admin = agency_admin(agency)
    otp_login(client, admin.user)
    # the administrator sees and ends the session of their agency's user
    page = client.get(reverse("security:account", args=[staff.user.pk]))
    assert page.status_code == 200
    row = UserSession.objects.get(user=staff.user)
    client.post(reverse("security:account-session-end", args=[staff.user.pk, row.pk]))
    assert browser.get("/").status_code == 302
    # but another agency's user does not exist for them
    other_row = UserSession.objects.get(user=outsider_staff.user)
    assert client.get(reverse("security:account", args=[outsider_staff.user.pk])).status_code == 404
    response = client.post(
        reverse("security:account-session-end", args=[outsider_staff.user.pk, other_row.pk])
    )
    assert response.status_code == 404
    assert outsider_browser.get("/").status_code == 200


def test_logout_is_audited_and_forgets_the_session(client) -> None:
    staff = staff_member()
    otp_login(client, staff.user)
    client.get("/")
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(user=staff.user).exists()
    assert AuditEvent.objects.filter(action=AuditAction.LOGOUT, detail="Logged out.").exists()


def test_signed_in_pages_are_not_cached(client) -> None:
    staff = staff_member()
    otp_login(client, staff.user)
    assert "no-store" in client.get("/")["Cache-Control"]


def test_the_session_row_records_activity_at_most_once_a_minute(client) -> None:
    staff = staff_member()
    with freeze_time(T0) as clock:
        otp_login(client, staff.user)
        row = UserSession.objects.get(user=staff.user)
        clock.tick(dt.timedelta(seconds=30))
        client.get("/")
        row.refresh_from_db()
        assert row.last_seen_at == T0
        clock.tick(dt.timedelta(seconds=45))
        client.get("/")
        row.refresh_from_db()
        assert row.last_seen_at == T0 + dt.timedelta(seconds=75)


def test_a_session_without_a_row_gets_one_on_its_next_request(client) -> None:
    staff = staff_member()
    with freeze_time(T0) as clock:
        otp_login(client, staff.user)
        UserSession.objects.all().delete()  # e.g. signed in before rows were kept
        clock.tick(dt.timedelta(minutes=2))
        assert client.get("/").status_code == 200
    assert UserSession.objects.filter(
        user=staff.user, session_key=client.session.session_key
    ).exists()


def test_the_session_is_written_back_at_most_once_a_minute(client) -> None:
    # given a session signed in at T0
    staff = staff_member()
    with freeze_time(T0) as clock:
        otp_login(client, staff.user)
        key = client.session.session_key
        stored = Session.objects.get(session_key=key)
        # when requests come within the minute: the stored session is not rewritten
        clock.tick(dt.timedelta(seconds=50))
        assert client.get("/").status_code == 200
        assert Session.objects.get(session_key=key).session_data == stored.session_data
        assert Session.objects.get(session_key=key).expire_date == stored.expire_date
        # when one comes a minute or more after the recorded activity: it is, and the store's
        # expiry moves with the idle clock
        clock.tick(dt.timedelta(seconds=20))
        assert client.get("/").status_code == 200
        assert Session.objects.get(session_key=key).expire_date == T0 + dt.timedelta(
            seconds=70, minutes=30
        )


def test_idle_limit_counts_from_the_recorded_minute_never_later(client) -> None:
    # given activity at 0 s (recorded) and at 50 s (within the minute: not recorded)
    staff = staff_member()
    with freeze_time(T0) as clock:
        otp_login(client, staff.user)
        clock.tick(dt.timedelta(seconds=50))
        assert client.get("/").status_code == 200
        # then 30 minutes and 1 second after the recorded activity the session has ended,
        # although only 29 min 11 s passed since the last request: early by under a minute,
        # never late
        clock.tick(dt.timedelta(minutes=29, seconds=11))
        response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
