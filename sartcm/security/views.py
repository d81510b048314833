"""Pages: the two-step logon, MFA set-up, password change, sessions, and account administration."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout, update_session_auth_hash
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django_otp import login as otp_login
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.querysets import staff_of
from sartcm.security import lockout, policy, services
from sartcm.security.forms import (
    SYSTEM_USE_NOTICE,
    ChangePasswordForm,
    CodeForm,
    EnrolForm,
    LogonForm,
    ReviewSignOffForm,
)
from sartcm.security.models import UserSession


def _safe_next(request: HttpRequest, candidate: str | None) -> str:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return reverse(settings.LOGIN_REDIRECT_URL)


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials: Any = None
) -> HttpResponse:
    """What a locked account sees (AXES_LOCKOUT_CALLABLE): no password is checked any more."""
    services.clear_pending(request)
    return render(
        request,
        "security/locked.html",
        {
            "limit": policy.lockout_limit(),
            "window": int(policy.lockout_window().total_seconds() // 60),
        },
        status=403,
    )


@method_decorator(
    [sensitive_post_parameters("password"), csrf_protect, never_cache], name="dispatch"
)
class LogonView(View):
    """Step 1: the system-use banner, username and password. Nobody is logged in yet."""

    template_name = "registration/login.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            return redirect(_safe_next(request, request.GET.get("next")))
        return self.render(request, LogonForm(request))

    @method_decorator(sensitive_variables("form"))
    def post(self, request: HttpRequest) -> HttpResponse:
        form = LogonForm(request, data=request.POST)
        if not form.is_valid():
            return self.render(request, form)
        next_url = _safe_next(request, request.POST.get("next") or request.GET.get("next"))
        step = services.begin_login(request, form.get_user(), next_url)
        return redirect("security:enrol" if step == "enrol" else "security:login-verify")

    def render(self, request: HttpRequest, form: LogonForm) -> HttpResponse:
        return render(
            request,
            self.template_name,
            {"form": form, "notice": SYSTEM_USE_NOTICE, "next": request.GET.get("next", "")},
        )


@method_decorator([sensitive_post_parameters("code"), csrf_protect, never_cache], name="dispatch")
class VerifyView(View):
    """Step 2: the authenticator code (or a recovery code). A wrong code is a failed logon."""

    template_name = "security/verify.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        pending = services.pending_login(request)
        if pending is None:
            return redirect("login")
        if services.needs_enrolment(pending.user):
            return redirect("security:enrol")
        return self.render(request, CodeForm(), pending)

    @method_decorator(sensitive_variables("form", "code"))
    def post(self, request: HttpRequest) -> HttpResponse:
        pending = services.pending_login(request)
        if pending is None:
            messages.warning(request, "Your logon took too long. Please start again.")
            return redirect("login")
        if services.is_locked(request, pending.user):
            return lockout_response(request)
        form = CodeForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["code"]
            device = services.verify_second_factor(pending.user, code)
            if device is not None:
                services.complete_login(request, pending, device)
                if isinstance(device, StaticDevice):
                    left = services.recovery_codes_left(pending.user)
                    messages.warning(
                        request,
                        f"You used a recovery code; {left} left. Set up your authenticator again "
                        "or generate new codes on the Security page.",
                    )
                return redirect(pending.next_url or settings.LOGIN_REDIRECT_URL)
            services.record_second_factor_failure(request, pending.user)
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request)
            form.add_error(
                "code", "That code is not right, or it was already used. Try the next one."
            )
        return self.render(request, form, pending)

    def render(
        self, request: HttpRequest, form: CodeForm, pending: services.PendingLogin
    ) -> HttpResponse:
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "username": pending.user.get_username(),
                "demo_mode": settings.DEMO_MODE,
            },
        )


@method_decorator([sensitive_post_parameters("code"), csrf_protect, never_cache], name="dispatch")
class EnrolView(View):
    """Set up an authenticator app: at the first logon (before anything else), or later to
    replace a lost one. Shows the QR code and the secret as text; the first code confirms it."""

    template_name = "security/enrol.html"

    def _subject(self, request: HttpRequest) -> tuple[Any, services.PendingLogin | None]:
        if request.user.is_authenticated:
            return request.user, None
        pending = services.pending_login(request)
        if pending is None:
            return None, None
        if not services.needs_enrolment(pending.user):
            # Set-up during logon is only for accounts without one: otherwise verify first.
            return None, pending
        return pending.user, pending

    def get(self, request: HttpRequest) -> HttpResponse:
        user, pending = self._subject(request)
        if user is None:
            return redirect("security:login-verify" if pending else "login")
        return self.render(request, user, EnrolForm(), pending)

    @method_decorator(sensitive_variables("form"))
    def post(self, request: HttpRequest) -> HttpResponse:
        user, pending = self._subject(request)
        if user is None:
            return redirect("security:login-verify" if pending else "login")
        if pending is not None and services.is_locked(request, user):
            return lockout_response(request)
        form = EnrolForm(request.POST)
        if form.is_valid():
            device = services.enrolment_device(user)
            try:
                device, codes = services.confirm_enrolment(
                    user, device.pk, form.cleaned_data["code"]
                )
            except ValidationError as error:
                form.add_error(None, error)
                if pending is not None:
                    services.record_second_factor_failure(request, user)
                    if getattr(request, "axes_locked_out", False):
                        return lockout_response(request)
            else:
                if pending is not None:
                    services.complete_login(request, pending, device)
                    next_url = pending.next_url
                else:
                    otp_login(request, device)  # the session's device was replaced
                    next_url = reverse("security:mfa")
                request.session[services.NEW_CODES_KEY] = {"codes": codes, "next": next_url}
                return redirect("security:recovery-codes")
        return self.render(request, user, form, pending)

    def render(
        self,
        request: HttpRequest,
        user: Any,
        form: EnrolForm,
        pending: services.PendingLogin | None,
    ) -> HttpResponse:
        device = services.enrolment_device(user)
        return render(
            request,
            self.template_name,
            {
                "form": form,
                "during_logon": pending is not None,
                "qr_svg": mark_safe(services.qr_code_svg(device)),  # noqa: S308 - our own SVG
                "secret": services.totp_secret(device),
                "issuer": getattr(settings, "OTP_TOTP_ISSUER", "SARTCM"),
                "username": user.get_username(),
            },
        )


@method_decorator(never_cache, name="dispatch")
class RecoveryCodesView(LoginRequiredMixin, View):
    """The 10 new recovery codes, shown once: reloading the page does not show them again."""

    def get(self, request: HttpRequest) -> HttpResponse:
        data = request.session.pop(services.NEW_CODES_KEY, None)
        if not data:
            messages.info(
                request, "Recovery codes are shown only once. Generate new ones if you need them."
            )
            return redirect("security:mfa")
        return render(
            request,
            "security/recovery_codes.html",
            {
                "codes": data["codes"],
                "next": data.get("next") or reverse(settings.LOGIN_REDIRECT_URL),
            },
        )


@method_decorator([csrf_protect, never_cache], name="dispatch")
class MFAView(LoginRequiredMixin, View):
    """Your second factor: the authenticator, recovery codes left, and new codes."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "security/mfa.html",
            {
                "authenticators": TOTPDevice.objects.filter(user=request.user, confirmed=True),
                "codes_left": services.recovery_codes_left(request.user),
            },
        )

    def post(self, request: HttpRequest) -> HttpResponse:
        codes = services.regenerate_recovery_codes(request.user)
        request.session[services.NEW_CODES_KEY] = {"codes": codes, "next": reverse("security:mfa")}
        return redirect("security:recovery-codes")


@method_decorator(
    [
        sensitive_post_parameters("old_password", "new_password1", "new_password2"),
        csrf_protect,
        never_cache,
    ],
    name="dispatch",
)
class PasswordChangeView(LoginRequiredMixin, View):
    """Change your password; required when it is a year old or marked compromised. Your other
    sessions end."""

    template_name = "security/password_change.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, ChangePasswordForm(request.user))

    @method_decorator(sensitive_variables("form"))
    def post(self, request: HttpRequest) -> HttpResponse:
        form = ChangePasswordForm(request.user, request.POST)
        if not form.is_valid():
            return self.render(request, form)
        old_key = request.session.session_key
        user = form.save()  # the password_changed hook keeps the history and audits the change
        update_session_auth_hash(request, user)  # new session key; this session stays signed in
        UserSession.objects.filter(session_key=old_key).update(
            session_key=request.session.session_key
        )
        services.end_user_sessions(
            user.pk, "password changed", actor=user, keep_session_key=request.session.session_key
        )
        messages.success(request, "Your password was changed. Your other sessions were ended.")
        return redirect(settings.LOGIN_REDIRECT_URL)

    def render(self, request: HttpRequest, form: ChangePasswordForm) -> HttpResponse:
        return render(
            request,
            self.template_name,
            {"form": form, "reason": services.password_change_reason(request.user)},
        )


@method_decorator([csrf_protect, never_cache], name="dispatch")
class MySessionsView(LoginRequiredMixin, View):
    """Your open sessions (where and when), each of which you can end."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(
            request,
            "security/sessions.html",
            {
                "sessions": services.open_sessions(request.user),
                "current_key": request.session.session_key,
            },
        )


@method_decorator([csrf_protect, never_cache], name="dispatch")
class EndMySessionView(LoginRequiredMixin, View):
    """End one of your own sessions (404 for anyone else's)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        row = get_object_or_404(UserSession, pk=pk, user=request.user)
        current = row.session_key == request.session.session_key
        if current:
            request.security_logout_reason = "ended by its owner"  # type: ignore[attr-defined]
            logout(request)
            return redirect("login")
        services.end_session(request.user, row, "ended by its owner")
        messages.success(request, "The session was ended.")
        return redirect("security:sessions")


class AccountAdminMixin(LoginRequiredMixin):
    """Agency administrators (their agency's accounts) and superusers only."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated and not services.is_account_admin(request.user):
            raise PermissionDenied("Only agency administrators manage accounts.")
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def get_staff(self, user_id: int) -> Any:
        """The administered staff record of `user_id`, or 404 (other agencies' do not exist)."""
        return get_object_or_404(
            services.administrable_staff(self.request.user).select_related("user", "agency"),  # type: ignore[attr-defined]
            user_id=user_id,
        )


@method_decorator([csrf_protect, never_cache], name="dispatch")
class AccountReviewView(AccountAdminMixin, View):
    """Every account of your agency with roles, last logon and MFA status, and the yearly
    sign-off (CJIS AC-2)."""

    def context(self, request: HttpRequest, form: ReviewSignOffForm) -> dict[str, Any]:
        staff = staff_of(request.user)
        agency = staff.agency if staff is not None and staff.is_admin else None
        latest = services.latest_review(agency) if agency else None
        return {
            "rows": services.account_rows(services.administrable_staff(request.user)),
            "agency": agency,
            "latest": latest,
            "due": services.review_due(agency) if agency else False,
            "next_due": latest.reviewed_at + policy.account_review_interval() if latest else None,
            "form": form,
            "inactive_days": policy.account_inactive().days,
            "now": timezone.now(),
        }

    def get(self, request: HttpRequest) -> HttpResponse:
        return render(request, "security/accounts.html", self.context(request, ReviewSignOffForm()))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = ReviewSignOffForm(request.POST)
        if form.is_valid():
            review = services.record_account_review(request.user, form.cleaned_data["note"])
            messages.success(
                request, f"Account review signed off ({len(review.accounts)} accounts)."
            )
            return redirect("security:accounts")
        return render(request, "security/accounts.html", self.context(request, form), status=400)


@method_decorator([csrf_protect, never_cache], name="dispatch")
class AccountDetailView(AccountAdminMixin, View):
    """One account: status, open sessions, and the administrator's actions."""

    def get(self, request: HttpRequest, user_id: int) -> HttpResponse:
        staff = self.get_staff(user_id)
        row = services.account_rows(services.administrable_staff(request.user).filter(pk=staff.pk))[
            0
        ]
        return render(
            request,
            "security/account_detail.html",
            {
                "row": row,
                "account": staff.user,
                "staff": staff,
                "sessions": services.open_sessions(staff.user),
                "password_reason": services.password_change_reason(staff.user),
                "is_self": staff.user_id == request.user.pk,
            },
        )


@method_decorator([csrf_protect, never_cache], name="dispatch")
class AccountActionView(AccountAdminMixin, View):
    """POST-only administrator actions on one account of their agency."""

    ACTIONS = {
        "unlock": (
            lambda actor, user: services.unlock_account(actor, user),
            "The account was unlocked.",
        ),
        "compromised": (
            lambda actor, user: services.mark_password_compromised(actor, user),
            "The password is marked compromised; a new one is required at the next logon.",
        ),
        "reset-mfa": (
            lambda actor, user: services.reset_mfa(actor, user),
            "The second factor was removed; the person sets up a new one at the next logon.",
        ),
        "disable": (
            lambda actor, user: services.disable_account(
                actor, user, "disabled by an administrator"
            ),
            "The account was disabled and its sessions ended.",
        ),
        "enable": (
            lambda actor, user: services.enable_account(actor, user),
            "The account was re-enabled.",
        ),
    }

    def post(self, request: HttpRequest, user_id: int, action: str) -> HttpResponse:
        if action not in self.ACTIONS:
            raise Http404
        staff = self.get_staff(user_id)
        run, done = self.ACTIONS[action]
        try:
            run(request.user, staff.user)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, done)
        back = request.POST.get("next")
        if back and url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
            return HttpResponseRedirect(back)
        return redirect("security:account", user_id=user_id)


@method_decorator([csrf_protect, never_cache], name="dispatch")
class AccountSessionEndView(AccountAdminMixin, View):
    """An administrator ends one session of an account in their agency."""

    def post(self, request: HttpRequest, user_id: int, pk: int) -> HttpResponse:
        staff = self.get_staff(user_id)
        row = get_object_or_404(UserSession, pk=pk, user_id=staff.user_id)
        services.end_session(request.user, row, "ended by an administrator")
        messages.success(request, "The session was ended.")
        return redirect("security:account", user_id=user_id)


@method_decorator([csrf_protect, never_cache], name="dispatch")
class LockedAccountsView(AccountAdminMixin, View):
    """Accounts of your agency locked after failed logons, each with an Unlock button."""

    def get(self, request: HttpRequest) -> HttpResponse:
        staff = services.administrable_staff(request.user).select_related("user")
        by_username = {member.user.username: member for member in staff}
        locked = lockout.locked_usernames(list(by_username))
        return render(
            request,
            "security/locked_accounts.html",
            {"locked": [by_username[name] for name in sorted(locked)]},
        )
