"""Account lifecycle (CJIS AC-2): unused 90 days → disabled nightly, sessions ended; the yearly
review by agency administrators with a recorded sign-off."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from freezegun import freeze_time

from agencies.choices import Role
from sartcm.models import AuditAction, AuditEvent
from sartcm.security import services, tasks
from sartcm.security.models import AccountReview, UserSession
from tests.factories import AgencyFactory, UserFactory
from tests.factories_security import agency_admin, staff_member
from tests.helpers import otp_device, otp_login

pytestmark = pytest.mark.django_db
User = get_user_model()

T0 = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC)


def user_last_seen(days_ago: int, now: dt.datetime = T0, **kwargs) -> User:  # noqa: ANN003
    return UserFactory(
        last_login=now - dt.timedelta(days=days_ago),
        date_joined=now - dt.timedelta(days=400),
        **kwargs,
    )


def test_accounts_unused_for_90_days_are_disabled_and_89_are_not() -> None:
    # given accounts last used 89 and 91 days ago, and one never used, created 91 days ago
    recent, stale = user_last_seen(89), user_last_seen(91)
    never = UserFactory(last_login=None, date_joined=T0 - dt.timedelta(days=91))
    new = UserFactory(last_login=None, date_joined=T0 - dt.timedelta(days=10))
    # when the nightly sweep runs
    counts = services.disable_inactive_accounts(T0)
    # then the stale and never-used accounts are disabled, with the reason kept and audited
    assert counts["accounts"] == 2
    for user, active in [(recent, True), (stale, False), (never, False), (new, True)]:
        user.refresh_from_db()
        assert user.is_active is active, user.username
    assert stale.account_security.disabled_reason == "no logon for 90 days"
    events = AuditEvent.objects.filter(action=AuditAction.PERMISSION_CHANGE)
    assert {e.object_id for e in events} == {str(stale.pk), str(never.pk)}
    assert all(e.channel == "system" or e.channel == "job" for e in events)


def test_running_the_sweep_twice_disables_once() -> None:
    user_last_seen(120)
    assert services.disable_inactive_accounts(T0)["accounts"] == 1
    assert services.disable_inactive_accounts(T0)["accounts"] == 0
    assert AuditEvent.objects.filter(action=AuditAction.PERMISSION_CHANGE).count() == 1


def test_disabling_an_inactive_account_ends_its_sessions() -> None:
    # given a session that is still listed for an account now 91 days unused
    staff = staff_member()
    browser = Client()
    otp_login(browser, staff.user)
    ago = timezone.now() - dt.timedelta(days=91)
    User.objects.filter(pk=staff.user.pk).update(last_login=ago, date_joined=ago)
    # when the sweep runs
    services.disable_inactive_accounts()
    # then the session is gone
    assert not UserSession.objects.filter(user=staff.user).exists()
    assert browser.get("/").status_code == 302


def test_a_re_enabled_account_counts_inactivity_from_re_enabling(client) -> None:
    agency = AgencyFactory()
    admin = agency_admin(agency)
    with freeze_time(T0 - dt.timedelta(days=200)):
        staff = staff_member(agency)
    services.disable_inactive_accounts()
    staff.user.refresh_from_db()
    assert not staff.user.is_active
    otp_login(client, admin.user)
    client.post(reverse("security:account-action", args=[staff.user.pk, "enable"]))
    staff.user.refresh_from_db()
    assert staff.user.is_active
    assert services.disable_inactive_accounts()["accounts"] == 0


def test_other_kinds_join_the_lifecycle_through_a_registered_sweep(monkeypatch) -> None:
    # given a later kind of credential (API keys) registered for the nightly sweep
    seen: list[dt.datetime] = []
    monkeypatch.setattr(services, "_INACTIVITY_SWEEPS", {})
    services.register_inactivity_sweep("api_keys", lambda now: seen.append(now) or 3)
    # when the sweep runs
    counts = services.disable_inactive_accounts(dt.date(2026, 3, 2))
    # then it ran with the same "now" and its count is reported
    assert counts == {"accounts": 0, "api_keys": 3}
    assert seen == [timezone.make_aware(dt.datetime(2026, 3, 2))]


def test_the_management_command_and_the_task_run_the_sweep() -> None:
    user_last_seen(100, now=timezone.now())
    out = StringIO()
    call_command("disable_inactive_accounts", stdout=out)
    assert "accounts: 1 disabled" in out.getvalue()
    user_last_seen(100, now=timezone.now())
    assert tasks.disable_inactive_accounts()["accounts"] == 1
    event = AuditEvent.objects.filter(action=AuditAction.PERMISSION_CHANGE).last()
    assert event.channel == "job"


def test_the_beat_schedule_runs_the_sweep_nightly() -> None:
    from sartcm.celery import app

    entries = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "sartcm.security.tasks.disable_inactive_accounts" in entries


# --- The yearly review ---------------------------------------------------------------------


def test_the_review_lists_every_account_of_the_agency_with_roles_last_logon_and_mfa(
    client, django_assert_max_num_queries
) -> None:
    # given an agency with accounts in different states, and another agency
    agency = AgencyFactory()
    admin = agency_admin(agency)
    enrolled = staff_member(agency, [Role.SUPERVISION_OFFICER])
    otp_device(enrolled.user)
    services.regenerate_recovery_codes(enrolled.user)
    not_enrolled = staff_member(agency, [Role.ANALYST])
    disabled = staff_member(agency)
    User.objects.filter(pk=disabled.user.pk).update(is_active=False)
    outsider = staff_member(AgencyFactory())
    otp_login(client, admin.user)
    # when the administrator opens the review
    with django_assert_max_num_queries(14):
        page = client.get(reverse("security:accounts"))
    html = page.content.decode()
    # then every account of the agency is listed with what it holds, and no one else's
    for staff in (admin, enrolled, not_enrolled, disabled):
        assert staff.user.username in html
    assert outsider.user.username not in html
    assert "Supervision officer" in html and "Analyst" in html
    assert "10 recovery codes" in html and "Not set up" in html and "Disabled" in html
    assert "never been reviewed" in html


def test_the_sign_off_is_recorded_with_what_was_reviewed(client) -> None:
    agency = AgencyFactory()
    admin = agency_admin(agency)
    staff = staff_member(agency, [Role.CASE_MANAGER, Role.SUPERVISOR])
    otp_login(client, admin.user)
    # without the attestation nothing is recorded
    response = client.post(reverse("security:accounts"), {"note": "all fine"})
    assert response.status_code == 400
    assert not AccountReview.objects.exists()
    # with it, the review is recorded with a snapshot of every account, and audited
    response = client.post(reverse("security:accounts"), {"attest": "on", "note": "Removed one."})
    assert response.status_code == 302
    review = AccountReview.objects.get()
    assert review.agency == agency and review.reviewed_by == admin.user
    entry = next(row for row in review.accounts if row["username"] == staff.user.username)
    assert entry["roles"] == ["case_manager", "supervisor"] and entry["mfa"] is False
    assert AuditEvent.objects.filter(
        action=AuditAction.CREATE, object_type="security.accountreview"
    ).exists()
    page = client.get(reverse("security:accounts")).content.decode()
    assert "Next review due by" in page
    assert "overdue" not in page


def test_a_review_older_than_a_year_is_due() -> None:
    agency = AgencyFactory()
    admin = agency_admin(agency)
    with freeze_time(T0):
        AccountReview.objects.create(agency=agency, reviewed_by=admin.user, reviewed_at=T0)
        assert not services.review_due(agency)
    assert services.review_due(agency, now=T0 + dt.timedelta(days=366))


def test_only_agency_administrators_see_the_account_pages(client) -> None:
    staff = staff_member()
    otp_login(client, staff.user)
    assert client.get(reverse("security:accounts")).status_code == 403
    assert client.get(reverse("security:account", args=[staff.user.pk])).status_code == 403
    anonymous = Client().get(reverse("security:accounts"))
    assert anonymous.status_code == 302


def test_an_administrator_disables_and_re_enables_an_account(client) -> None:
    agency = AgencyFactory()
    staff = staff_member(agency)
    browser = Client()
    otp_login(browser, staff.user)
    otp_login(client, agency_admin(agency).user)
    client.post(reverse("security:account-action", args=[staff.user.pk, "disable"]))
    assert browser.get("/").status_code == 302
    staff.user.refresh_from_db()
    assert not staff.user.is_active
    client.post(reverse("security:account-action", args=[staff.user.pk, "enable"]))
    staff.user.refresh_from_db()
    assert staff.user.is_active


def test_an_administrator_resets_a_lost_second_factor(client) -> None:
    agency = AgencyFactory()
    staff = staff_member(agency)
    browser = Client()
    otp_login(browser, staff.user)
    otp_login(client, agency_admin(agency).user)
    client.post(reverse("security:account-action", args=[staff.user.pk, "reset-mfa"]))
    assert services.needs_enrolment(staff.user)
    assert browser.get("/").status_code == 302
    assert AuditEvent.objects.filter(
        action=AuditAction.PERMISSION_CHANGE, detail__contains="authenticator"
    ).exists()
