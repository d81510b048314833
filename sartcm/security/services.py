"""Security state changes: the two-step logon, MFA devices, sessions, passwords, accounts.

Each function validates, writes in one transaction and audits (conventions 2 and 9).
"""

from __future__ import annotations

import logging
import time
from base64 import b32encode
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from importlib import import_module
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth.signals import user_login_failed
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce, Greatest
from django.http import HttpRequest
from django.utils import timezone
from django_otp import devices_for_user
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.models import Agency, StaffMember
from agencies.querysets import staff_of
from sartcm import audit
from sartcm.context import current
from sartcm.middleware import client_address
from sartcm.models import AuditAction, AuditOutcome
from sartcm.security import lockout, policy
from sartcm.security.models import AccountReview, AccountSecurity, PasswordHistory, UserSession

log = logging.getLogger(__name__)
User = get_user_model()

# Session keys.
PENDING_KEY = "security_pending_login"  # password accepted, second factor awaited
AUTH_AT_KEY = "security_auth_at"  # epoch seconds of the completed logon (12-hour limit)
SEEN_AT_KEY = "security_seen_at"  # epoch seconds of the last request (30-minute limit)
NEW_CODES_KEY = "security_new_recovery_codes"  # shown once, then removed
ROW_TOUCHED_KEY = "security_row_touched"  # epoch seconds the UserSession row was last updated

TOTP_DEVICE_NAME = "Authenticator app"
RECOVERY_DEVICE_NAME = "Recovery codes"


def _context_actor() -> Any:
    """The signed-in user of the current request, if any (for hooks that are not given one)."""
    user_id = current().user_id
    return User.objects.filter(pk=user_id).first() if user_id else None


# --- The two-step logon -------------------------------------------------------------------


@dataclass
class PendingLogin:
    """A logon whose password (and banner) were accepted, awaiting the second factor."""

    user: Any
    backend: str
    next_url: str


def begin_login(request: HttpRequest, user: Any, next_url: str) -> str:
    """Password (and banner) accepted: remember who is logging in until the second factor.

    Returns "enrol" when the account has no authenticator yet, else "verify". The person is
    *not* logged in until `complete_login`.
    """
    request.session.cycle_key()  # a fresh session id for the half-authenticated state
    request.session[PENDING_KEY] = {
        "user_id": user.pk,
        "backend": user.backend,
        "since": time.time(),
        "next": next_url,
    }
    return "enrol" if needs_enrolment(user) else "verify"


def pending_login(request: HttpRequest) -> PendingLogin | None:
    """The half-finished logon of this session, or None (absent, expired or account disabled)."""
    data = request.session.get(PENDING_KEY)
    if not data:
        return None
    if time.time() - data.get("since", 0) > policy.pending_login().total_seconds():
        clear_pending(request)
        return None
    user = User.objects.filter(pk=data.get("user_id"), is_active=True).first()
    if user is None:
        clear_pending(request)
        return None
    return PendingLogin(user=user, backend=data["backend"], next_url=data.get("next") or "")


def clear_pending(request: HttpRequest) -> None:
    """Forget a half-finished logon (started again from the password)."""
    request.session.pop(PENDING_KEY, None)


def needs_enrolment(user: Any) -> bool:
    """True when the account has no confirmed authenticator yet (set-up at next logon)."""
    return not TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def verify_second_factor(user: Any, code: str) -> Device | None:
    """The device that accepts `code` (a TOTP code or a recovery code), or None.

    Six digits go to the authenticator; anything else to the recovery codes, so a recovery
    code never counts as a failed TOTP attempt (and throttles it). django-otp locks the device
    row while verifying and refuses a TOTP time step at or before the last one used: a code
    works once.
    """
    code = "".join((code or "").split()).lower()
    if not code:
        return None
    model = TOTPDevice if code.isdigit() and len(code) == 6 else StaticDevice
    with transaction.atomic():
        for device in model.objects.devices_for_user(user, confirmed=True).select_for_update():
            if device.verify_token(code):
                return device
    return None


def record_second_factor_failure(request: HttpRequest, user: Any) -> None:
    """A wrong code counts as a failed logon: audited, and towards the lockout (CJIS AC-7)."""
    request.security_failure_stage = "second factor"  # type: ignore[attr-defined]
    user_login_failed.send(
        sender=__name__, credentials={"username": user.get_username()}, request=request
    )


def is_locked(request: HttpRequest, user: Any) -> bool:
    """Whether the account is locked out now (asked through axes, as its backend does)."""
    from axes.handlers.proxy import AxesProxyHandler

    return AxesProxyHandler.is_locked(request, {"username": user.get_username()})


def complete_login(request: HttpRequest, pending: PendingLogin, device: Device) -> None:
    """Both factors verified: log the person in with the device recorded in the session."""
    user = pending.user
    user.otp_device = device  # django_otp's user_logged_in receiver stores it in the session
    with transaction.atomic():
        auth_login(request, user, backend=pending.backend)
        clear_pending(request)
        audit.record(
            user,
            AuditAction.LOGIN,
            user,
            detail=f"Logged in with password and {'authenticator' if isinstance(device, TOTPDevice) else 'recovery code'}.",
        )


# --- MFA devices --------------------------------------------------------------------------


def enrolment_device(user: Any) -> TOTPDevice:
    """The unconfirmed authenticator being set up (the same one until it is confirmed)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-id").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=TOTP_DEVICE_NAME, confirmed=False)
    return device


def confirm_enrolment(user: Any, device_id: int, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm a new authenticator with its first code; it replaces any earlier one.

    Returns the device and 10 fresh recovery codes (to show once). Raises ValidationError
    naming `code` when the code is wrong.
    """
    code = "".join((code or "").split())
    with transaction.atomic():
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(pk=device_id, user=user, confirmed=False)
            .first()
        )
        if device is None or not device.verify_token(code):
            raise ValidationError(
                {"code": "That code is not right. Enter the 6-digit code your app shows now."}
            )
        TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = _replace_recovery_codes(user)
        audit.record(
            user,
            AuditAction.CHANGE,
            user,
            detail="Set up an authenticator app (TOTP) and received 10 new recovery codes.",
        )
    return device, codes


def _replace_recovery_codes(user: Any) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_DEVICE_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(policy.RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


def regenerate_recovery_codes(user: Any) -> list[str]:
    """Ten new recovery codes; the old ones stop working."""
    with transaction.atomic():
        codes = _replace_recovery_codes(user)
        audit.record(user, AuditAction.CHANGE, user, detail="Generated new recovery codes.")
    return codes


def recovery_codes_left(user: Any) -> int:
    """How many unused recovery codes the user has."""
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def totp_secret(device: TOTPDevice) -> str:
    """The base32 secret, in groups of four for typing into an app."""
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_code_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code (no external service, no inline style)."""
    import qrcode
    from qrcode.image.svg import SvgPathImage

    image = qrcode.make(device.config_url, image_factory=SvgPathImage, box_size=8, border=2)
    svg = image.to_string(encoding="unicode")
    return svg.replace(
        "<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1
    )


def reset_mfa(actor: Any, user: Any) -> None:
    """An administrator removes a user's authenticator and recovery codes (lost phone):
    their sessions end and the next logon asks them to set up a new one."""
    _require_admin_of(actor, user)
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=None):
            device.delete()
        end_user_sessions(user.pk, "second factor reset by an administrator", actor=actor)
        audit.record(
            actor,
            AuditAction.PERMISSION_CHANGE,
            user,
            detail="Removed the account's authenticator and recovery codes; set-up required at next logon.",
        )


# --- Sessions -----------------------------------------------------------------------------


def _session_store() -> Any:
    return import_module(settings.SESSION_ENGINE).SessionStore


def track_login(request: HttpRequest, user: Any) -> None:
    """A logon happened: stamp the session (idle and absolute limits) and list it."""
    now = time.time()
    request.session[AUTH_AT_KEY] = now
    request.session[SEEN_AT_KEY] = now
    request.session[ROW_TOUCHED_KEY] = now
    if not request.session.session_key:
        request.session.save()
    UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "created_at": timezone.now(),
            "last_seen_at": timezone.now(),
            "ip_address": client_address(request) or None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        },
    )


def touch_session(request: HttpRequest, user: Any) -> None:
    """Record activity on the session row at most once a minute (no query in between)."""
    key = request.session.session_key
    now = time.time()
    if not key or now - request.session.get(ROW_TOUCHED_KEY, 0) < 60:
        return
    request.session[ROW_TOUCHED_KEY] = now
    moment = timezone.now()
    if not UserSession.objects.filter(session_key=key).update(last_seen_at=moment):
        _ensure_session_row(request, user, moment)


def _ensure_session_row(request: HttpRequest, user: Any, now: datetime) -> None:
    """A session signed in before tracking began (or whose key was cycled) gets its row."""
    created = datetime.fromtimestamp(
        request.session.get(AUTH_AT_KEY, now.timestamp()), tz=now.tzinfo
    )
    UserSession.objects.get_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "created_at": created,
            "last_seen_at": now,
            "ip_address": client_address(request) or None,
            "user_agent": request.META.get("HTTP_USER_AGENT", "")[:300],
        },
    )


def forget_session(session_key: str | None) -> None:
    """Drop the row of a session that has ended (logout)."""
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


def end_session(actor: Any, user_session: UserSession, reason: str) -> None:
    """End one session (the owner's choice or an administrator's): it is logged out at once."""
    if actor.pk != user_session.user_id:
        _require_admin_of(actor, user_session.user)
    with transaction.atomic():
        _session_store()(session_key=user_session.session_key).delete()
        user_session.delete()
        audit.record(
            actor,
            AuditAction.LOGOUT,
            user_session.user,
            detail=f"Session from {user_session.ip_address or 'unknown address'} ended: {reason}.",
        )


def end_user_sessions(
    user_id: int, reason: str, *, actor: Any = None, keep_session_key: str | None = None
) -> int:
    """End every session of a user (disabled, roles changed, MFA reset). Returns how many."""
    with transaction.atomic():
        rows = list(UserSession.objects.select_for_update().filter(user_id=user_id))
        rows = [row for row in rows if row.session_key != keep_session_key]
        store = _session_store()
        for row in rows:
            store(session_key=row.session_key).delete()
        UserSession.objects.filter(pk__in=[row.pk for row in rows]).delete()
        if rows:
            user = User.objects.filter(pk=user_id).first()
            audit.record(
                actor if actor is not None else _context_actor(),
                AuditAction.LOGOUT,
                user,
                object_type="auth.user",
                object_id=str(user_id),
                detail=f"{len(rows)} session(s) ended: {reason}.",
            )
    return len(rows)


def open_sessions(user: Any) -> QuerySet[UserSession]:
    """The user's sessions still within the idle and absolute limits, newest first."""
    return UserSession.objects.filter(user=user).open()


def prune_sessions(now: datetime | None = None) -> int:
    """Drop rows of sessions that have expired on their own (idle or absolute limit)."""
    now = now or timezone.now()
    stale = UserSession.objects.filter(
        Q(last_seen_at__lt=now - policy.session_idle())
        | Q(created_at__lt=now - policy.session_absolute())
    )
    count, _ = stale.delete()
    return count


# --- Passwords ----------------------------------------------------------------------------


def record_password_change(user: Any, at: datetime) -> None:
    """Called by Django after any password is set: history, the change date, and the audit.

    The first password an account gets is its creation, not a change: not audited here.
    """
    keep = policy.password_history()
    with transaction.atomic():
        first = not PasswordHistory.objects.filter(user_id=user.pk).exists()
        PasswordHistory.objects.create(user_id=user.pk, password=user.password, created_at=at)
        newest = PasswordHistory.objects.filter(user_id=user.pk).values("pk")[:keep]
        PasswordHistory.objects.filter(user_id=user.pk).exclude(pk__in=Subquery(newest)).delete()
        AccountSecurity.objects.update_or_create(
            user_id=user.pk,
            defaults={
                "password_changed_at": at,
                "password_compromised": False,
                "compromised_marked_at": None,
                "compromised_marked_by": None,
            },
        )
        if not first:
            actor = _context_actor()
            audit.record(
                actor,
                AuditAction.PASSWORD_CHANGE,
                user,
                detail="Changed own password."
                if actor is not None and actor.pk == user.pk
                else "Password set for the account.",
            )


def password_change_reason(user: Any, now: datetime | None = None) -> str | None:
    """Why this user must change their password before doing anything else, or None."""
    now = now or timezone.now()
    state = AccountSecurity.objects.filter(user_id=user.pk).values(
        "password_changed_at", "password_compromised"
    ).first() or {"password_changed_at": None, "password_compromised": False}
    return password_reason_from_state(state, user.date_joined, now)


def password_reason_from_state(
    state: dict[str, Any], date_joined: datetime, now: datetime
) -> str | None:
    if state.get("password_compromised"):
        return "An administrator marked your password as compromised. Choose a new one."
    changed = state.get("password_changed_at") or date_joined
    if changed is not None and now - changed > policy.password_max_age():
        return f"Your password is more than {policy.password_max_age().days} days old. Choose a new one."
    return None


def mark_password_compromised(actor: Any, user: Any) -> None:
    """The user must choose a new password at their next request; their sessions end now."""
    _require_admin_of(actor, user)
    with transaction.atomic():
        AccountSecurity.objects.update_or_create(
            user=user,
            defaults={
                "password_compromised": True,
                "compromised_marked_at": timezone.now(),
                "compromised_marked_by": actor,
            },
        )
        end_user_sessions(user.pk, "password marked compromised", actor=actor)
        audit.record(
            actor,
            AuditAction.PERMISSION_CHANGE,
            user,
            detail="Marked the password compromised: a new one is required at the next logon.",
        )


# --- Accounts: who may administer whom ----------------------------------------------------


def administrable_staff(user: Any) -> QuerySet[StaffMember]:
    """Staff whose accounts this user administers: their own agency's, for agency
    administrators; everyone's for superusers; nobody's otherwise."""
    if user.is_superuser:
        return StaffMember.objects.unrestricted()
    staff = staff_of(user)
    if staff is None or not staff.is_admin:
        return StaffMember.objects.none()
    return StaffMember.objects.restrict(user, "change")


def is_account_admin(user: Any) -> bool:
    """May this user use the account pages (agency administrator or superuser)?"""
    if user.is_superuser:
        return True
    staff = staff_of(user)
    return staff is not None and staff.is_admin


def _require_admin_of(actor: Any, user: Any) -> None:
    if not administrable_staff(actor).filter(user_id=user.pk).exists():
        raise PermissionDenied("You do not administer this account.")


def unlock_account(actor: Any, user: Any) -> None:
    """An administrator lifts a logon lockout (CJIS AC-7: the lock holds until they do)."""
    _require_admin_of(actor, user)
    from axes.handlers.proxy import AxesProxyHandler

    with transaction.atomic():
        if not lockout.is_locked(user.get_username()):
            raise ValidationError({"user": "This account is not locked."})
        AxesProxyHandler.reset_attempts(username=user.get_username())
        audit.record(
            actor,
            AuditAction.PERMISSION_CHANGE,
            user,
            detail="Unlocked the account after a logon lockout.",
        )


def disable_account(actor: Any, user: Any, reason: str) -> None:
    """Disable an account now; its sessions end (the save signal and explicitly)."""
    _require_admin_of(actor, user)
    if actor.pk == user.pk:
        raise ValidationError({"user": "You cannot disable your own account."})
    _disable(user.pk, reason, actor)


def _disable(user_id: int, reason: str, actor: Any) -> bool:
    with transaction.atomic():
        # Compare-and-swap: act only if this call is the one that disabled it.
        if not User.objects.filter(pk=user_id, is_active=True).update(is_active=False):
            return False
        AccountSecurity.objects.update_or_create(
            user_id=user_id, defaults={"disabled_at": timezone.now(), "disabled_reason": reason}
        )
        user = User.objects.get(pk=user_id)
        end_user_sessions(user_id, f"account disabled ({reason})", actor=actor)
        audit.record(
            actor, AuditAction.PERMISSION_CHANGE, user, detail=f"Disabled the account: {reason}."
        )
    return True


def enable_account(actor: Any, user: Any) -> None:
    """Re-enable a disabled account; inactivity counts afresh from now."""
    _require_admin_of(actor, user)
    with transaction.atomic():
        if not User.objects.filter(pk=user.pk, is_active=False).update(is_active=True):
            raise ValidationError({"user": "This account is already enabled."})
        AccountSecurity.objects.update_or_create(
            user=user,
            defaults={"reenabled_at": timezone.now(), "disabled_at": None, "disabled_reason": ""},
        )
        audit.record(actor, AuditAction.PERMISSION_CHANGE, user, detail="Re-enabled the account.")


# --- Accounts unused for 90 days ----------------------------------------------------------

InactivitySweep = Callable[[datetime], int]
_INACTIVITY_SWEEPS: dict[str, InactivitySweep] = {}


def register_inactivity_sweep(name: str, sweep: InactivitySweep) -> None:
    """Join the nightly lifecycle: `sweep(now)` disables what has been unused for 90 days and
    returns how many it disabled. API keys register here ("the same lifecycle")."""
    _INACTIVITY_SWEEPS[name] = sweep


def _as_datetime(on: date | datetime | None) -> datetime:
    if on is None:
        return timezone.now()
    if isinstance(on, datetime):
        return on if timezone.is_aware(on) else timezone.make_aware(on)
    return timezone.make_aware(datetime(on.year, on.month, on.day))


def inactive_accounts(on: date | datetime | None = None) -> QuerySet:
    """Enabled accounts with no logon (or creation, or re-enabling) in the last 90 days.

    A service account never logs on: its activity is its API keys' use, so an account with a
    key used in the last 90 days is active (its unused keys are revoked by their own sweep).
    """
    from sartcm.models import APIKey

    now = _as_datetime(on)
    recently_used_keys = APIKey.objects.filter(last_used_at__gte=now - policy.account_inactive())
    return (
        User.objects.filter(is_active=True)
        .exclude(pk__in=recently_used_keys.values("user_id"))
        .annotate(
            # PostgreSQL's GREATEST ignores NULLs: never logged in counts from date_joined.
            last_activity=Greatest(
                Coalesce("last_login", "date_joined"),
                Coalesce("account_security__reenabled_at", "date_joined"),
            )
        )
        .filter(last_activity__lt=now - policy.account_inactive())
    )


def disable_inactive_accounts(on: date | datetime | None = None) -> dict[str, int]:
    """The nightly sweep (CJIS AC-2): disable accounts unused for 90 days, ending their
    sessions, then run every registered sweep (API keys). Returns counts by kind."""
    now = _as_datetime(on)
    reason = f"no logon for {policy.account_inactive().days} days"
    disabled = 0
    for user_id in inactive_accounts(now).values_list("pk", flat=True):
        try:
            disabled += _disable(user_id, reason, None)
        except Exception:  # one bad row must not stop the sweep
            log.exception("Could not disable inactive account %s", user_id)
    counts = {"accounts": disabled}
    for name, sweep in _INACTIVITY_SWEEPS.items():
        counts[name] = sweep(now)
    return counts


# --- The yearly account review ------------------------------------------------------------


@dataclass
class AccountRow:
    """One account as the review and account pages show it."""

    staff: StaffMember
    has_authenticator: bool
    recovery_codes_left: int
    locked: bool
    open_sessions: int

    @property
    def user(self) -> Any:
        return self.staff.user

    def as_snapshot(self) -> dict[str, Any]:
        user = self.staff.user
        return {
            "user_id": user.pk,
            "username": user.username,
            "name": self.staff.full_name,
            "roles": list(self.staff.roles),
            "staff_active": self.staff.active,
            "account_active": user.is_active,
            "last_login": user.last_login.isoformat() if user.last_login else None,
            "mfa": self.has_authenticator,
            "locked": self.locked,
        }


def account_rows(staff: QuerySet[StaffMember]) -> list[AccountRow]:
    """Every account in `staff` with roles, last logon and MFA status, in 2 queries."""
    now = timezone.now()
    rows = list(
        staff.select_related("user", "agency")
        .annotate(
            has_authenticator=Exists(
                TOTPDevice.objects.filter(user_id=OuterRef("user_id"), confirmed=True)
            ),
            codes_left=Coalesce(
                Subquery(
                    StaticToken.objects.filter(device__user_id=OuterRef("user_id"))
                    .values("device__user_id")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            ),
            sessions=Coalesce(
                Subquery(
                    UserSession.objects.filter(user_id=OuterRef("user_id"))
                    .open(now)
                    .values("user_id")
                    .annotate(n=Count("pk"))
                    .values("n")[:1]
                ),
                0,
            ),
        )
        .order_by("user__last_name", "user__first_name", "user__username")
    )
    locked = lockout.locked_usernames([row.user.username for row in rows])
    return [
        AccountRow(
            staff=row,
            has_authenticator=row.has_authenticator,
            recovery_codes_left=row.codes_left,
            locked=row.user.username in locked,
            open_sessions=row.sessions,
        )
        for row in rows
    ]


def latest_review(agency: Agency) -> AccountReview | None:
    """The agency's most recent account review sign-off."""
    return AccountReview.objects.filter(agency=agency).select_related("reviewed_by").first()


def review_due(agency: Agency, now: datetime | None = None) -> bool:
    """True when the agency has never reviewed its accounts or did so over a year ago."""
    review = latest_review(agency)
    now = now or timezone.now()
    return review is None or now - review.reviewed_at > policy.account_review_interval()


def record_account_review(actor: Any, note: str = "") -> AccountReview:
    """An agency administrator signs off that every account of their agency was reviewed."""
    staff = staff_of(actor)
    if staff is None or not staff.is_admin:
        raise PermissionDenied("Only an agency administrator can sign off their agency's review.")
    with transaction.atomic():
        rows = account_rows(StaffMember.objects.restrict(actor, "change"))
        review = AccountReview.objects.create(
            agency=staff.agency,
            reviewed_by=actor,
            note=note.strip(),
            accounts=[row.as_snapshot() for row in rows],
        )
        audit.record(
            actor,
            AuditAction.CREATE,
            review,
            detail=f"Signed off the yearly account review of {staff.agency.short_name} ({len(rows)} accounts).",
        )
    return review


def audit_failed_logon(request: HttpRequest | None, username: str, stage: str) -> None:
    """One audit row per failed logon (CJIS AU-2), naming the account tried and why."""
    user = User.objects.filter(username=username).first() if username else None
    locked = bool(getattr(request, "axes_locked_out", False))
    detail = f"Failed logon for “{username[:150]}” at the {stage} step"
    if locked and not getattr(request, "security_newly_locked", False):
        detail += "; refused because the account is locked"
    audit.record(
        None,
        AuditAction.LOGIN_FAILED,
        user,
        outcome=AuditOutcome.DENIED if locked else AuditOutcome.FAILURE,
        object_type="auth.user",
        object_id=str(user.pk) if user else "",
        detail=detail + ".",
    )
    if getattr(request, "security_newly_locked", False):
        audit.record(
            None,
            AuditAction.LOGIN_FAILED,
            user,
            outcome=AuditOutcome.DENIED,
            object_type="auth.user",
            object_id=str(user.pk) if user else "",
            detail=(
                f"Account “{username[:150]}” locked after {policy.lockout_limit()} failed logons "
                f"within {int(policy.lockout_window().total_seconds() // 60)} minutes; an agency "
                "administrator must unlock it."
            ),
        )


def staff_changed(old_roles: Iterable[str] | None, staff: StaffMember) -> str | None:
    """Why a staff save should end the person's sessions, or None."""
    if not staff.active:
        return "staff record deactivated"
    if old_roles is not None and sorted(old_roles) != sorted(staff.roles):
        return "roles changed"
    return None
