"""Security records: open sessions, password history and state, account reviews."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class UserSessionQuerySet(models.QuerySet):
    def open(self, now=None) -> UserSessionQuerySet:  # noqa: ANN001 - datetime
        """Sessions not yet past the idle or absolute limit (their rows may outlive them)."""
        from sartcm.security import policy

        now = now or timezone.now()
        return self.filter(
            last_seen_at__gt=now - policy.session_idle(),
            created_at__gt=now - policy.session_absolute(),
        )


class UserSession(models.Model):
    """One signed-in browser session, so a person (or their administrator) can see and end it.

    The session itself lives in Django's session store; this row points at it by key. Ending a
    session deletes both.
    """

    session_key = models.CharField(max_length=40, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_sessions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)

    objects = UserSessionQuerySet.as_manager()

    class Meta:
        ordering = ["-last_seen_at"]
        indexes = [
            # "My sessions" / end a user's sessions: WHERE user_id = %s ORDER BY last_seen_at DESC
            models.Index(fields=["user", "-last_seen_at"], name="security_session_user_idx"),
            # The stale-row sweep: WHERE last_seen_at < %s
            models.Index(fields=["last_seen_at"], name="security_session_seen_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} since {self.created_at:%Y-%m-%d %H:%M}"


class PasswordHistory(models.Model):
    """A password hash a user has had (newest first), so the last N cannot be reused."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="password_history"
    )
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "password history"
        indexes = [
            # The reuse check: WHERE user_id = %s ORDER BY created_at DESC LIMIT 10
            models.Index(fields=["user", "-created_at"], name="security_pwhist_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.created_at:%Y-%m-%d}"


class AccountSecurity(models.Model):
    """Per-account security state that the user model does not carry."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="account_security"
    )
    password_changed_at = models.DateTimeField(null=True, blank=True)
    password_compromised = models.BooleanField(
        default=False, help_text="An administrator marked the password compromised."
    )
    compromised_marked_at = models.DateTimeField(null=True, blank=True)
    compromised_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=200, blank=True)
    reenabled_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Re-enabled by an administrator; inactivity counts from here.",
    )

    class Meta:
        verbose_name = "account security"
        verbose_name_plural = "account security"

    def __str__(self) -> str:
        return f"Security state of {self.user}"


class AccountReview(models.Model):
    """An agency administrator's recorded sign-off of who holds which account and roles."""

    agency = models.ForeignKey(
        "agencies.Agency", on_delete=models.PROTECT, related_name="account_reviews"
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reviewed_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    accounts = models.JSONField(
        default=list, help_text="What was reviewed: one entry per account, as shown."
    )

    class Meta:
        ordering = ["-reviewed_at"]
        indexes = [
            # The latest review of an agency: WHERE agency_id = %s ORDER BY reviewed_at DESC
            models.Index(fields=["agency", "-reviewed_at"], name="security_review_agency_idx"),
        ]

    def __str__(self) -> str:
        return f"Account review of {self.agency} on {self.reviewed_at:%Y-%m-%d}"
