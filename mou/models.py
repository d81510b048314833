"""Memoranda of understanding: parties, signatures and versioned data-sharing terms."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q

from agencies.choices import Action, RecordType
from agencies.models import Agency, StaffMember
from mou.choices import MOUStatus, TermScope
from mou.querysets import MOUQuerySet, TermQuerySet


class MOU(models.Model):
    """An agreement between agencies. Active only when every party has signed and the
    effective date has come; expiry and termination revoke what it granted at once."""

    API_SCOPE = "{action}:mous"  # scope an API key needs (sartcm.querysets)

    title = models.CharField(max_length=200)
    purpose = models.TextField()
    parties = models.ManyToManyField(Agency, through="MOUParty", related_name="mous")
    effective_date = models.DateField()
    expiration_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=24, choices=MOUStatus.choices, default=MOUStatus.DRAFT)
    document = models.FileField(upload_to="mou/", blank=True)
    drafted_by = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="drafted_mous")
    terms_version = models.PositiveIntegerField(default=1)
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    termination_reason = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = MOUQuerySet.as_manager()

    class Meta:
        verbose_name = "MOU"
        ordering = ["-effective_date", "title"]
        indexes = [
            # Daily expiry sweep: WHERE status = 'active' AND expiration_date < today
            models.Index(
                fields=["expiration_date"],
                name="mou_active_expiry_idx",
                condition=Q(status="active"),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expiration_date__isnull=True)
                | Q(expiration_date__gt=F("effective_date")),
                name="%(app_label)s_%(class)s_expiration_after_effective",
                violation_error_message="The expiration date must be after the effective date.",
            ),
            models.CheckConstraint(
                condition=~Q(status="terminated") | ~Q(termination_reason=""),
                name="%(app_label)s_%(class)s_termination_has_reason",
                violation_error_message="A terminated MOU needs a termination reason.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def is_active_on(self, on: date) -> bool:
        return (
            self.status == MOUStatus.ACTIVE
            and self.effective_date <= on
            and (self.expiration_date is None or self.expiration_date >= on)
        )


class MOUParty(models.Model):
    """An agency party to an MOU and the staff member authorized to sign for it."""

    mou = models.ForeignKey(MOU, on_delete=models.CASCADE, related_name="party_rows")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    signatory = models.ForeignKey(
        StaffMember, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mou", "agency"],
                name="%(app_label)s_%(class)s_unique_party",
                violation_error_message="This agency is already a party.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agency} on {self.mou}"


class Signature(models.Model):
    """A party's authorized signatory signed the MOU (for a given terms version)."""

    mou = models.ForeignKey(MOU, on_delete=models.CASCADE, related_name="signatures")
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="+")
    signed_by = models.ForeignKey(StaffMember, on_delete=models.PROTECT, related_name="+")
    terms_version = models.PositiveIntegerField()
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["mou", "agency", "terms_version"],
                name="%(app_label)s_%(class)s_unique_signature",
                violation_error_message="This agency has already signed this version.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.signed_by} for {self.agency}"


class DataSharingTerm(models.Model):
    """Provider → recipient: a record type, the fields shared, the actions allowed, the scope.

    Amending terms creates new rows with the next version (pending while `version` is
    `mou.terms_version + 1`); when every party has signed that version, the old rows get
    `superseded_at` and stay as history and `mou.terms_version` moves on. In force: rows of an
    active MOU with `superseded_at IS NULL` and `version = mou.terms_version`.
    """

    API_SCOPE = "{action}:mous"  # scope an API key needs (sartcm.querysets)

    mou = models.ForeignKey(MOU, on_delete=models.CASCADE, related_name="terms")
    # `version` is the MOU's terms version, not a row-change counter: ETags hash the row.
    ETAG_COUNTER = None
    version = models.PositiveIntegerField(default=1)
    provider = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="terms_provided")
    recipient = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="terms_received")
    record_type = models.CharField(max_length=20, choices=RecordType.choices)
    fields = ArrayField(
        models.CharField(max_length=40), help_text="Field names shared (see the vocabulary)."
    )
    actions = ArrayField(models.CharField(max_length=10, choices=Action.choices), default=list)
    scope = models.CharField(max_length=10, choices=TermScope.choices, default=TermScope.ASSIGNED)
    superseded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TermQuerySet.as_manager()

    class Meta:
        ordering = ["mou", "provider", "recipient", "record_type"]
        indexes = [
            # Grant derivation / field allow-lists: WHERE recipient_id = %s AND superseded_at IS NULL
            models.Index(
                fields=["recipient", "record_type"],
                name="term_current_recipient_idx",
                condition=Q(superseded_at__isnull=True),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(provider=F("recipient")),
                name="%(app_label)s_%(class)s_provider_not_recipient",
                violation_error_message="Provider and recipient must be different agencies.",
            ),
            models.CheckConstraint(
                condition=Q(actions__contains=["view"]),
                name="%(app_label)s_%(class)s_includes_view",
                violation_error_message="Every term must allow at least 'view'.",
            ),
            models.CheckConstraint(
                condition=~Q(fields=[]),
                name="%(app_label)s_%(class)s_has_fields",
                violation_error_message="A term must share at least one field.",
            ),
            # Includes `version` so a pending amendment (version = terms_version + 1) can hold
            # a new row for the same provider/recipient/record type while the old one is in force.
            models.UniqueConstraint(
                fields=["mou", "version", "provider", "recipient", "record_type"],
                condition=Q(superseded_at__isnull=True),
                name="%(app_label)s_%(class)s_unique_current",
                violation_error_message="This MOU already has a current term for this provider, recipient and record type.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider.short_name} → {self.recipient.short_name}: {self.get_record_type_display()} ({self.scope})"
