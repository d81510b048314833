"""Request-time enforcement: security headers, MFA on every session, session limits, passwords.

Order in settings.MIDDLEWARE: headers right after Django's SecurityMiddleware; the signed-in
user with its second factor (sartcm.security.signin, in the place of Django's
AuthenticationMiddleware and django-otp's OTPMiddleware); then, after the audit context
opens, MFARequired → SessionPolicy → PasswordPolicy; axes last.

API requests authenticated by a token (service accounts) never carry a session, so these see
them as anonymous and DRF authenticates them in the view: that path is governed by the API-key
lifecycle (see docs/security.md), not by these.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, get_user_model, logout
from django.db.models import F
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import reverse
from django.utils import timezone

from sartcm import audit
from sartcm.models import AuditAction
from sartcm.security import policy, services

Handler = Callable[[HttpRequest], HttpResponse]


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _refuse(request: HttpRequest, message: str, *, status: int = 401) -> HttpResponse:
    """API: a problem+json refusal. Pages: back to the logon page, with the reason shown."""
    if _is_api(request):
        response = JsonResponse(
            {
                "type": "about:blank",
                "title": "Not authenticated.",
                "status": status,
                "detail": message,
            },
            status=status,
        )
        response["Content-Type"] = "application/problem+json"
        return response
    messages.warning(request, message)
    query = urlencode({"next": request.get_full_path()}) if request.method == "GET" else ""
    return HttpResponseRedirect(reverse("login") + (f"?{query}" if query else ""))


def _end_current_session(request: HttpRequest, reason: str) -> None:
    request.security_logout_reason = reason  # type: ignore[attr-defined]
    logout(request)  # fires user_logged_out: audited with the reason, session row removed


class SecurityHeadersMiddleware:
    """Content-Security-Policy, Permissions-Policy, CORP, and no caching of signed-in pages.

    Django's SecurityMiddleware already sends HSTS, nosniff, Referrer-Policy and COOP.
    """

    # Swagger UI and Redoc inject <style> elements: these pages allow inline *styles* only.
    INLINE_STYLE_PATHS = ("/api/v1/docs/", "/api/v1/redoc/")

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        policy_text = settings.SECURITY_CONTENT_SECURITY_POLICY
        if request.path.startswith(self.INLINE_STYLE_PATHS):
            policy_text = policy_text.replace(
                "style-src 'self'", "style-src 'self' 'unsafe-inline'"
            )
        response.headers.setdefault("Content-Security-Policy", policy_text)
        response.headers.setdefault("Permissions-Policy", settings.SECURITY_PERMISSIONS_POLICY)
        response.headers.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            # Criminal justice information must not linger in browser or proxy caches.
            response.headers["Cache-Control"] = "no-store"
        return response


class MFARequiredMiddleware:
    """Every signed-in session must have been verified with a second factor (CJIS IA-2).

    The only way to sign in is the two-step logon, which records the device in the session.
    A session without one (force-logged-in, or whose device was removed) is ended — for pages,
    the admin and the API's session authentication alike.
    """

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not user.is_verified():
            _end_current_session(request, "no verified second factor")
            return _refuse(request, "Log in with your password and authentication code.")
        return self.get_response(request)


class SessionPolicyMiddleware:
    """Idle (30 min) and absolute (12 h) limits kept in the session itself, so they hold
    whatever the cookie says; and a disabled account's session ends on its next request.

    The last-seen clock moves in steps of ACTIVITY_STEP seconds: a request less than that
    after the recorded one leaves the session unmodified, so it is not written back (the
    session is saved only when modified; SESSION_SAVE_EVERY_REQUEST is off). The store's
    expiry is set at each save, so it stays equal to the recorded clock + the idle limit.
    The idle limit therefore counts from at most ACTIVITY_STEP seconds before the last
    request: a session can end up to a minute early, never late.
    """

    ACTIVITY_STEP = 60

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        session = request.session
        if not user.is_authenticated:
            if SESSION_KEY in session:
                # The session names a user that can no longer authenticate (is_active=False).
                self._end_orphan(request)
                return _refuse(
                    request, "Your account is disabled. Contact your agency administrator."
                )
            return self.get_response(request)

        now = time.time()
        auth_at = session.get(services.AUTH_AT_KEY)
        seen_at = session.get(services.SEEN_AT_KEY)
        if auth_at is None or seen_at is None:  # signed in before these were kept
            auth_at = auth_at or now
            seen_at = seen_at or now
            session[services.AUTH_AT_KEY] = auth_at
        reason = None
        if now - seen_at > policy.session_idle().total_seconds():
            reason = f"no activity for {int(policy.session_idle().total_seconds() // 60)} minutes"
        elif now - auth_at > policy.session_absolute().total_seconds():
            reason = f"{int(policy.session_absolute().total_seconds() // 3600)} hours since logon"
        elif account_state(request).get("staff_active") is False:
            reason = "account disabled"
        if reason:
            _end_current_session(request, reason)
            return _refuse(request, f"Your session ended ({reason}). Please log in again.")
        if now - seen_at >= self.ACTIVITY_STEP or services.SEEN_AT_KEY not in session:
            session[services.SEEN_AT_KEY] = now
        services.touch_session(request, user)
        return self.get_response(request)

    @staticmethod
    def _end_orphan(request: HttpRequest) -> None:
        user_id = request.session.get(SESSION_KEY)
        user = get_user_model().objects.filter(pk=user_id).first()
        audit.record(
            None,
            AuditAction.LOGOUT,
            user,
            object_type="auth.user",
            object_id=str(user_id),
            detail="Session ended: account disabled.",
        )
        services.forget_session(request.session.session_key)
        request.session.flush()


def account_state(request: HttpRequest) -> dict[str, Any]:
    """Staff and password state of the signed-in user: one query, cached on the request.

    The same query loads the user's staff record with its agency, and primes
    `agencies.querysets.staff_of(user)` with it (the active record of an active agency, else
    None), and in a read-only request the agency's standing facts (cases.querysets), so the
    permission checks of the request ask no more."""
    cached = getattr(request, "_security_account_state", None)
    if cached is None:
        from agencies.models import StaffMember
        from agencies.querysets import prime_staff_of
        from cases.querysets import standing_facts_select
        from sartcm.context import current

        user = request.user
        # loaded with the user by sartcm.security.signin (set only for the request's user)
        loaded = getattr(request, "_security_loaded", None)
        if loaded is not None:
            cached = _state_from(user, loaded.staff, loaded)
            request._security_account_state = cached  # type: ignore[attr-defined]
            return cached
        # One row per user (user_id is unique), so no ORDER BY (the model's ordering joined the
        # user for its name); the password state as two columns, not two more model objects.
        staff_rows = (
            StaffMember.objects.select_related("agency")
            .annotate(
                _password_changed_at=F("user__account_security__password_changed_at"),
                _password_compromised=F("user__account_security__password_compromised"),
            )
            .order_by()
        )
        if current().standing is not None:  # a read-only request: its standing facts too
            select, params = standing_facts_select()
            staff_rows = staff_rows.extra(select=select, select_params=params)  # noqa: S610
        staff = next(iter(staff_rows.filter(user_id=user.pk)[:1]), None)
        if staff is None:
            cached = (
                get_user_model()
                .objects.filter(pk=user.pk)
                .values(
                    "date_joined",
                    password_changed_at=F("account_security__password_changed_at"),
                    password_compromised=F("account_security__password_compromised"),
                )
                .first()
                or {}
            )
            cached["staff_active"] = None
            prime_staff_of(user, None)
        else:
            cached = _state_from(user, staff, None)
        request._security_account_state = cached  # type: ignore[attr-defined]
    return cached


def _state_from(user: Any, staff: Any, loaded: Any) -> dict[str, Any]:
    """The account state from a staff row (and the password state from `loaded`, the
    sign-in statement's row, or the staff row's annotations); primes staff_of(user) and, in
    a read-only request, keeps the agency's standing facts loaded with it."""
    from agencies.querysets import prime_staff_of
    from cases.querysets import keep_standing_facts

    if loaded is not None:
        changed_at, compromised = loaded.password_changed_at, loaded.password_compromised
    else:
        changed_at, compromised = staff._password_changed_at, staff._password_compromised
    if staff is None:
        prime_staff_of(user, None)
        return {
            "date_joined": user.date_joined,
            "staff_active": None,
            "password_changed_at": changed_at,
            "password_compromised": compromised,
        }
    staff.user = user  # the request's user object, not a second copy of the row
    prime_staff_of(user, staff if staff.active and staff.agency.active else None)
    keep_standing_facts(staff)
    return {
        "date_joined": user.date_joined,  # the user row this request loaded
        "staff_active": staff.active,
        "password_changed_at": changed_at,
        "password_compromised": compromised,
    }


class PasswordPolicyMiddleware:
    """A password older than 365 days, or marked compromised, must be changed before anything
    else (CJIS IA-5)."""

    ALLOWED = ("security:password-change", "logout", "security:recovery-codes")

    def __init__(self, get_response: Handler) -> None:
        self.get_response = get_response
        self._allowed_paths: tuple[str, ...] | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if not user.is_authenticated:
            return self.get_response(request)
        if self._allowed_paths is None:
            self._allowed_paths = tuple(reverse(name) for name in self.ALLOWED)
        if request.path in self._allowed_paths or request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        state = account_state(request)
        reason = services.password_reason_from_state(
            {
                "password_changed_at": state.get("password_changed_at"),
                "password_compromised": state.get("password_compromised"),
            },
            state.get("date_joined"),
            timezone.now(),
        )
        if reason is None:
            return self.get_response(request)
        if _is_api(request):
            return _refuse(request, reason, status=403)
        messages.warning(request, reason)
        return HttpResponseRedirect(reverse("security:password-change"))
