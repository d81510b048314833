"""Cross-cutting records: the append-only audit trail and the delivery outbox."""

from __future__ import annotations

import uuid
from typing import Any

import pgtrigger
from django.conf import settings
from django.db import models
from django.utils import timezone

from sartcm.querysets import RestrictedQuerySet


class AuditAction(models.TextChoices):
    VIEW = "view", "Viewed"
    LIST = "list", "Listed"
    SEARCH = "search", "Searched"
    EXPORT = "export", "Exported"
    CREATE = "create", "Created"
    CHANGE = "change", "Changed"
    DELETE = "delete", "Deleted"
    DENIED = "denied", "Denied"
    GRANT = "grant", "Granted access"
    REVOKE = "revoke", "Revoked access"
    LOGIN = "login", "Logged in"
    LOGIN_FAILED = "login_failed", "Failed logon"
    LOGOUT = "logout", "Logged out"
    DISSEMINATE = "disseminate", "Disseminated to another agency"
    PERMISSION_CHANGE = "permission_change", "Changed permissions"
    PASSWORD_CHANGE = "password_change", "Changed password"
    AUDIT_READ = "audit_read", "Read the audit trail"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    DENIED = "denied", "Denied"


@pgtrigger.register(
    pgtrigger.Protect(name="audit_append_only_update", operation=pgtrigger.Update),
    pgtrigger.Protect(name="audit_append_only_delete", operation=pgtrigger.Delete),
)
class AuditEvent(models.Model):
    """One audited action. Append-only: PostgreSQL refuses UPDATE and DELETE (CJIS 5.4).

    `case_id` is a plain integer (not a foreign key) so the record outlives the case and the
    framework does not depend on the cases app.
    """

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    request_id = models.UUIDField(null=True, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=150, blank=True)
    agency_id = models.BigIntegerField(null=True, blank=True)
    action = models.CharField(max_length=24, choices=AuditAction.choices)
    outcome = models.CharField(
        max_length=10, choices=AuditOutcome.choices, default=AuditOutcome.SUCCESS
    )
    channel = models.CharField(max_length=10, default="system")
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    case_id = models.BigIntegerField(null=True, blank=True)
    recipient_agency_id = models.BigIntegerField(null=True, blank=True)
    fields = models.JSONField(default=list, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    detail = models.TextField(blank=True)
    source_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [
            # "Who saw this case": WHERE case_id = %s ORDER BY at DESC
            models.Index(fields=["case_id", "-at"], name="audit_case_at_idx"),
            # an agency's own trail: WHERE agency_id = %s ORDER BY at DESC
            models.Index(fields=["agency_id", "-at"], name="audit_agency_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.username} {self.action} {self.object_type} {self.object_id}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (will retry)"
    DEAD = "dead", "Gave up"


class OutboxMessage(models.Model):
    """Something that must be delivered (email, webhook, task) even if Redis is down.

    Written in the same transaction as the change that causes it; a periodic job claims pending
    rows with SELECT ... FOR UPDATE SKIP LOCKED and delivers them.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=32)
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes = [
            # The delivery sweep: WHERE status IN ('pending','failed') AND next_attempt_at <= now()
            models.Index(
                fields=["next_attempt_at"],
                name="outbox_due_idx",
                condition=models.Q(status__in=["pending", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.status}"


class APIKey(models.Model):
    """A secret that lets an agency system call the API as a service account.

    Only a SHA-256 hash of the secret is stored (the secret is 256 random bits, so a salted
    slow hash buys nothing); the full key is shown once, at creation or rotation. A key acts as
    its service-account user — so with that agency's standing — narrowed to its `scopes`
    ("<action>:<record_type>", e.g. "view:contacts"), never more.
    """

    name = models.CharField(max_length=100)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    prefix = models.CharField(max_length=12, unique=True, editable=False)
    key_hash = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(default=list, help_text='e.g. ["view:contacts", "add:contacts"]')
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=200, blank=True)
    rotated_from = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="rotated_to"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "API key"
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """The stored response to a POST carrying an Idempotency-Key, replayed on retry."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=300)
    request_hash = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key"],
                name="%(app_label)s_%(class)s_unique_user_key",
                violation_error_message="This Idempotency-Key was already used.",
            ),
        ]
        indexes = [
            # Cleanup of old records: WHERE created_at < %s
            models.Index(fields=["created_at"], name="idempotency_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"


class WebhookEvent(models.TextChoices):
    ALERT_RAISED = "alert.raised", "Alert raised"
    ALERT_RESOLVED = "alert.resolved", "Alert resolved"
    RELEASE_DECISION = "release.decision", "Release decision recorded"
    REGISTRATION_STATUS = "registration.status_changed", "Registration status changed"
    CONTACT_LOGGED = "contact.logged", "Supervision contact logged"


class WebhookSubscription(models.Model):
    """An agency system's endpoint for events; deliveries are HMAC-signed with `secret`."""

    agency = models.ForeignKey("agencies.Agency", on_delete=models.CASCADE, related_name="webhooks")
    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(
        max_length=80, editable=False, help_text="Shared signing secret, shown once."
    )
    events = models.JSONField(default=list)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    API_SCOPE = "{action}:webhooks"

    class Meta:
        ordering = ["agency", "name"]

    def __str__(self) -> str:
        return f"{self.name} → {self.url}"


class WebhookDelivery(models.Model):
    """One attempt to deliver an event to a subscription (the delivery log)."""

    subscription = models.ForeignKey(
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries"
    )
    message = models.ForeignKey(
        OutboxMessage, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.CharField(max_length=40, choices=WebhookEvent.choices)
    attempted_at = models.DateTimeField(auto_now_add=True)
    status_code = models.PositiveSmallIntegerField(null=True)
    ok = models.BooleanField(default=False)
    error = models.CharField(max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-attempted_at"]

    def __str__(self) -> str:
        return f"{self.event} → {self.subscription_id}: {'ok' if self.ok else self.error or self.status_code}"


class TombstoneReason(models.TextChoices):
    DELETED = "deleted", "Deleted"
    REVOKED = "revoked", "Access revoked"


class SyncTombstone(models.Model):
    """Something an agency system must drop from its copy (incremental sync, /sync/removed/).

    `deleted`: the object `object_type`/`object_id` was deleted; one row per agency that had
    standing on its case for `record_type` at that moment (so nobody learns of deletions on
    cases it could not see). `revoked`: the agency lost standing on `case_id` for
    `record_type`; its system drops every record of that type on that case (`object_type`
    is then "cases.case"). `agency_id` null means "every agency".
    `case_id`/`agency_id` are plain integers so the row outlives the case and the agency.
    """

    object_type = models.CharField(max_length=64)
    object_id = models.BigIntegerField()
    case_id = models.BigIntegerField(null=True, blank=True)
    agency_id = models.BigIntegerField(null=True, blank=True)
    record_type = models.CharField(max_length=20)
    reason = models.CharField(max_length=8, choices=TombstoneReason.choices)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            # /sync/removed/: WHERE (agency_id = %s OR agency_id IS NULL) AND at >= %s ORDER BY at, id
            models.Index(fields=["agency_id", "at", "id"], name="tombstone_agency_at_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reason} {self.object_type} {self.object_id} (agency {self.agency_id})"


class ReportExportStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Ready to download"
    FAILED = "failed", "Failed"


class ReportExportQuerySet(RestrictedQuerySet):
    def _restrict(self, user: Any, action: str) -> Any:
        # An export belongs to the person who asked for it: nobody else may see or download it.
        return self.filter(requested_by_id=user.pk)


class ReportExport(models.Model):
    """A report file built in the background (Celery) for the person who asked for it.

    The file lands under MEDIA_ROOT/exports/; only `requested_by` may download it, and each
    build and download is audited as an export.
    """

    API_SCOPE = "{action}:exports"  # scope an API key needs (sartcm.querysets)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=200)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=8, choices=ReportExportStatus.choices, default=ReportExportStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(default=0, help_text="Percent done.")
    row_count = models.PositiveIntegerField(default=0)
    file = models.FileField(upload_to="exports/", blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ReportExportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # "My exports": WHERE requested_by_id = %s ORDER BY created_at DESC
            models.Index(fields=["requested_by", "-created_at"], name="export_requester_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=100),
                name="%(app_label)s_%(class)s_progress_percent",
                violation_error_message="Progress is a percentage (0 to 100).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} ({self.get_status_display()})"

    @property
    def is_finished(self) -> bool:
        return self.status in (ReportExportStatus.DONE, ReportExportStatus.FAILED)
