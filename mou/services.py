"""MOU lifecycle: draft, data-sharing terms, signatures, activation, amendment, termination,
expiry, and the preview of what an MOU would share.

draft → awaiting_signatures → active → expired | terminated.

- Terms are edited while the MOU is a draft (version = `terms_version`), or, for an active MOU,
  through an amendment: `start_amendment` copies the terms in force to version
  `terms_version + 1`, which is edited and then signed by every party. The version in force
  keeps granting access until the last party signs the amendment; then the old rows get
  `superseded_at` (history) and `terms_version` moves on, in one transaction.
- An MOU becomes active when every party's signatory has signed the current version and the
  effective date has come: at once when the last signature arrives on or after that date,
  else by the daily task (`run_daily`), which also expires MOUs past their expiration date.

Every function validates (ValidationError naming the field and what would be valid), writes
in one transaction, audits, and after commit sends `mou.signals.mou_access_changed` so the
cases app re-derives the grants. The mou app knows nothing of cases: the preview's case counts
come from a counter the cases app registers (`register_coverage_counter`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agencies.choices import Action, RecordType, Role
from agencies.models import Agency, StaffMember
from agencies.querysets import staff_of
from agencies.vocabulary import SHAREABLE_FIELDS
from mou.choices import MOUStatus, TermScope
from mou.models import MOU, DataSharingTerm, MOUParty, Signature
from mou.signals import mou_access_changed
from sartcm import audit
from sartcm.models import AuditAction, AuditOutcome

log = logging.getLogger(__name__)

PartySpec = tuple[Agency, StaffMember | None]

# Statuses from which an MOU may still be terminated (expired/terminated are final).
TERMINABLE = (MOUStatus.DRAFT, MOUStatus.AWAITING_SIGNATURES, MOUStatus.ACTIVE)


# --- helpers -----------------------------------------------------------------------------


def _today() -> date:
    return timezone.localdate()


def _party_ids(mou: MOU) -> set[int]:
    return set(MOUParty.objects.filter(mou=mou).values_list("agency_id", flat=True))


def _announce(mou_id: int, reason: str) -> None:
    """After commit: tell listeners (the cases app) that what this MOU shares may have changed."""

    def send() -> None:
        for receiver, result in mou_access_changed.send_robust(
            sender=MOU, mou_id=mou_id, reason=reason
        ):
            if isinstance(result, Exception):
                # The nightly reconcile repairs any grant a failed receiver left behind.
                log.error("mou_access_changed receiver %r failed: %r", receiver, result)

    transaction.on_commit(send)


def require_admin(user: Any, mou: MOU | None = None) -> StaffMember | None:
    """The acting agency administrator (of a party, when `mou` is given); superusers pass
    (returns None). Raises PermissionDenied otherwise."""
    if user is not None and getattr(user, "is_superuser", False) and user.is_active:
        return None
    staff = staff_of(user)
    if staff is None or not staff.has_role(Role.AGENCY_ADMIN):
        raise PermissionDenied("Only agency administrators manage MOUs.")
    if mou is not None and staff.agency_id not in _party_ids(mou):
        raise PermissionDenied("Only administrators of a party agency manage this MOU.")
    return staff


def _locked(mou: MOU) -> MOU:
    """Re-read the MOU row under a lock: transitions are decided on the database row."""
    return MOU.objects.select_for_update().get(pk=mou.pk)


def _status_error(mou: MOU, doing: str, allowed: Iterable[str]) -> ValidationError:
    labels = ", ".join(str(MOUStatus(s).label).lower() for s in allowed)
    return ValidationError(
        {
            "status": f"Cannot {doing}: the MOU is {MOUStatus(mou.status).label.lower()} "
            f"(allowed only when {labels})."
        }
    )


def has_pending_amendment(mou: MOU) -> bool:
    return DataSharingTerm.objects.filter(
        mou=mou, version=mou.terms_version + 1, superseded_at__isnull=True
    ).exists()


def editable_version(mou: MOU) -> int | None:
    """The terms version that may be edited now, or None (see the module docstring)."""
    if mou.status == MOUStatus.DRAFT:
        return mou.terms_version
    if mou.status == MOUStatus.ACTIVE and has_pending_amendment(mou):
        return mou.terms_version + 1
    return None


def signing_version(mou: MOU) -> int | None:
    """The terms version awaiting signatures, or None."""
    if mou.status == MOUStatus.AWAITING_SIGNATURES:
        return mou.terms_version
    if mou.status == MOUStatus.ACTIVE and has_pending_amendment(mou):
        return mou.terms_version + 1
    return None


def unsigned_parties(mou: MOU, version: int) -> list[Agency]:
    signed = Signature.objects.filter(mou=mou, terms_version=version).values("agency_id")
    return list(Agency.objects.filter(pk__in=_party_ids(mou)).exclude(pk__in=signed))


# --- drafting -----------------------------------------------------------------------------


def _validate_parties(parties: Sequence[PartySpec], drafter: Agency | None) -> list[PartySpec]:
    errors: list[str] = []
    seen: set[int] = set()
    result: list[PartySpec] = []
    for agency, signatory in parties:
        if agency.pk in seen:
            errors.append(f"{agency.short_name} is listed twice.")
            continue
        seen.add(agency.pk)
        if signatory is not None:
            if signatory.agency_id != agency.pk:
                errors.append(
                    f"{signatory} does not work for {agency.short_name}; a party's signatory "
                    "must be a staff member of that agency."
                )
            elif not (signatory.is_signatory and signatory.active):
                errors.append(f"{signatory} is not an authorized signatory of {agency.short_name}.")
        result.append((agency, signatory))
    if drafter is not None and drafter.pk not in seen:
        result.insert(0, (drafter, None))
    if len(result) < 2:
        errors.append("An MOU needs at least two party agencies.")
    if errors:
        raise ValidationError({"parties": errors})
    return result


def _validate_dates(effective_date: date, expiration_date: date | None) -> None:
    if expiration_date is not None and expiration_date <= effective_date:
        raise ValidationError(
            {"expiration_date": "The expiration date must be after the effective date."}
        )


def _snapshot(mou: MOU) -> dict[str, Any]:
    return {
        "title": mou.title,
        "status": mou.status,
        "effective_date": mou.effective_date.isoformat() if mou.effective_date else None,
        "expiration_date": mou.expiration_date.isoformat() if mou.expiration_date else None,
        "terms_version": mou.terms_version,
    }


def create_mou(
    user: Any,
    *,
    title: str,
    purpose: str,
    effective_date: date,
    expiration_date: date | None = None,
    parties: Sequence[PartySpec],
    document: Any = None,
) -> MOU:
    """Draft an MOU for the administrator's agency (which is always a party)."""
    staff = require_admin(user)
    drafter = staff.agency if staff is not None else None
    if drafter is None:
        raise PermissionDenied("An MOU is drafted by an agency administrator for their agency.")
    if not title.strip():
        raise ValidationError({"title": "Give the MOU a title."})
    if not purpose.strip():
        raise ValidationError({"purpose": "State the purpose of the MOU."})
    _validate_dates(effective_date, expiration_date)
    party_specs = _validate_parties(parties, drafter)
    with transaction.atomic():
        mou = MOU.objects.create(
            title=title.strip(),
            purpose=purpose.strip(),
            effective_date=effective_date,
            expiration_date=expiration_date,
            drafted_by=drafter,
            created_by=user,
            **({"document": document} if document else {}),
        )
        MOUParty.objects.bulk_create(
            MOUParty(mou=mou, agency=agency, signatory=signatory)
            for agency, signatory in party_specs
        )
        audit.record(user, AuditAction.CREATE, mou, changes={"after": _snapshot(mou)})
        _announce(mou.pk, "created")
    return mou


def update_mou(
    user: Any,
    mou: MOU,
    *,
    title: str | None = None,
    purpose: str | None = None,
    effective_date: date | None = None,
    expiration_date: date | None = None,
    clear_expiration: bool = False,
    parties: Sequence[PartySpec] | None = None,
    document: Any = None,
) -> MOU:
    """Change a draft's text, dates, document or parties (only drafts can be edited)."""
    require_admin(user, mou)
    with transaction.atomic():
        mou = _locked(mou)
        if mou.status != MOUStatus.DRAFT:
            raise _status_error(mou, "edit the MOU", [MOUStatus.DRAFT])
        before = _snapshot(mou)
        if title is not None:
            if not title.strip():
                raise ValidationError({"title": "Give the MOU a title."})
            mou.title = title.strip()
        if purpose is not None:
            if not purpose.strip():
                raise ValidationError({"purpose": "State the purpose of the MOU."})
            mou.purpose = purpose.strip()
        if effective_date is not None:
            mou.effective_date = effective_date
        if expiration_date is not None or clear_expiration:
            mou.expiration_date = expiration_date
        _validate_dates(mou.effective_date, mou.expiration_date)
        if document:
            mou.document = document
        mou.save()
        if parties is not None:
            specs = _validate_parties(parties, mou.drafted_by)
            keep = {agency.pk for agency, _ in specs}
            orphan_terms = (
                DataSharingTerm.objects.filter(mou=mou, superseded_at__isnull=True)
                .exclude(provider_id__in=keep, recipient_id__in=keep)
                .exists()
            )
            if orphan_terms:
                raise ValidationError(
                    {
                        "parties": "Remove the terms of an agency before removing it as a party "
                        "(a term's provider and recipient must be parties)."
                    }
                )
            MOUParty.objects.filter(mou=mou).exclude(agency_id__in=keep).delete()
            for agency, signatory in specs:
                MOUParty.objects.update_or_create(
                    mou=mou, agency=agency, defaults={"signatory": signatory}
                )
        audit.record(
            user, AuditAction.CHANGE, mou, changes={"before": before, "after": _snapshot(mou)}
        )
        _announce(mou.pk, "edited")
    return mou


# --- terms --------------------------------------------------------------------------------


def validate_term(
    mou: MOU,
    *,
    provider_id: int,
    recipient_id: int,
    record_type: str,
    fields: Sequence[str],
    actions: Sequence[str],
    scope: str,
) -> None:
    """Raise a ValidationError naming each bad field and what would be valid."""
    errors: dict[str, list[str]] = {}
    parties = _party_ids(mou)
    if provider_id not in parties:
        errors.setdefault("provider", []).append("The provider must be a party to the MOU.")
    if recipient_id not in parties:
        errors.setdefault("recipient", []).append("The recipient must be a party to the MOU.")
    if provider_id == recipient_id:
        errors.setdefault("recipient", []).append(
            "Provider and recipient must be different agencies."
        )
    if record_type not in RecordType.values:
        errors.setdefault("record_type", []).append(
            f"Unknown record type {record_type!r}; valid: {', '.join(RecordType.values)}."
        )
    else:
        valid = SHAREABLE_FIELDS[record_type]
        if not fields:
            errors.setdefault("fields", []).append(
                f"Share at least one field; valid for {record_type}: {', '.join(valid)}."
            )
        bad = [name for name in fields if name not in valid]
        if bad:
            errors.setdefault("fields", []).append(
                f"{', '.join(bad)} {'is not a field' if len(bad) == 1 else 'are not fields'} "
                f"of {record_type}; valid: {', '.join(valid)}."
            )
        if len(set(fields)) != len(fields):
            errors.setdefault("fields", []).append("List each field once.")
    bad_actions = [a for a in actions if a not in Action.values]
    if bad_actions:
        errors.setdefault("actions", []).append(
            f"Unknown action {', '.join(bad_actions)}; valid: {', '.join(Action.values)}."
        )
    if Action.VIEW not in actions:
        errors.setdefault("actions", []).append("Every term must allow view.")
    if scope not in TermScope.values:
        errors.setdefault("scope", []).append(
            f"Unknown scope {scope!r}; valid: {', '.join(TermScope.values)}."
        )
    if errors:
        raise ValidationError(errors)


def _require_editable(mou: MOU) -> int:
    version = editable_version(mou)
    if version is None:
        raise ValidationError(
            {
                "status": "Terms can be changed only while the MOU is a draft, or through an "
                "amendment of an active MOU (start an amendment first)."
            }
        )
    if Signature.objects.filter(mou=mou, terms_version=version).exists():
        raise ValidationError(
            {
                "status": "A party has already signed this version of the terms; discard the "
                "amendment to change it."
            }
        )
    return version


def _term_snapshot(term: DataSharingTerm) -> dict[str, Any]:
    return {
        "version": term.version,
        "provider": term.provider_id,
        "recipient": term.recipient_id,
        "record_type": term.record_type,
        "fields": list(term.fields),
        "actions": list(term.actions),
        "scope": term.scope,
    }


def _unique_current(mou: MOU, version: int, exclude_pk: int | None, **key: Any) -> None:
    clash = DataSharingTerm.objects.filter(
        mou=mou, version=version, superseded_at__isnull=True, **key
    )
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(
            {
                "record_type": "This MOU already has a term for this provider, recipient and "
                "record type; edit that term instead."
            }
        )


def add_term(
    user: Any,
    mou: MOU,
    *,
    provider: Agency,
    recipient: Agency,
    record_type: str,
    fields: Sequence[str],
    actions: Sequence[str] = (Action.VIEW,),
    scope: str = TermScope.ASSIGNED,
) -> DataSharingTerm:
    """Add a data-sharing term to the editable version (draft, or pending amendment)."""
    require_admin(user, mou)
    fields, actions = list(fields), list(dict.fromkeys(actions))
    with transaction.atomic():
        mou = _locked(mou)
        version = _require_editable(mou)
        validate_term(
            mou,
            provider_id=provider.pk,
            recipient_id=recipient.pk,
            record_type=record_type,
            fields=fields,
            actions=actions,
            scope=scope,
        )
        _unique_current(
            mou, version, None, provider=provider, recipient=recipient, record_type=record_type
        )
        term = DataSharingTerm.objects.create(
            mou=mou,
            version=version,
            provider=provider,
            recipient=recipient,
            record_type=record_type,
            fields=fields,
            actions=actions,
            scope=scope,
        )
        audit.record(
            user,
            AuditAction.CREATE,
            term,
            changes={"after": _term_snapshot(term)},
            detail=f"term added to MOU {mou.pk} version {version}",
        )
        _announce(mou.pk, "term added")
    return term


def update_term(
    user: Any,
    term: DataSharingTerm,
    *,
    provider: Agency | None = None,
    recipient: Agency | None = None,
    record_type: str | None = None,
    fields: Sequence[str] | None = None,
    actions: Sequence[str] | None = None,
    scope: str | None = None,
) -> DataSharingTerm:
    """Change a term of the editable version (terms in force change only by amendment)."""
    mou = term.mou
    require_admin(user, mou)
    with transaction.atomic():
        mou = _locked(mou)
        version = _require_editable(mou)
        term = DataSharingTerm.objects.select_for_update().get(pk=term.pk)
        if term.version != version or term.superseded_at is not None:
            raise ValidationError(
                {
                    "version": f"Term {term.pk} belongs to version {term.version}; only version "
                    f"{version} can be edited now."
                }
            )
        before = _term_snapshot(term)
        if provider is not None:
            term.provider = provider
        if recipient is not None:
            term.recipient = recipient
        if record_type is not None:
            term.record_type = record_type
        if fields is not None:
            term.fields = list(fields)
        if actions is not None:
            term.actions = list(dict.fromkeys(actions))
        if scope is not None:
            term.scope = scope
        validate_term(
            mou,
            provider_id=term.provider_id,
            recipient_id=term.recipient_id,
            record_type=term.record_type,
            fields=term.fields,
            actions=term.actions,
            scope=term.scope,
        )
        _unique_current(
            mou,
            version,
            term.pk,
            provider_id=term.provider_id,
            recipient_id=term.recipient_id,
            record_type=term.record_type,
        )
        term.save()
        audit.record(
            user,
            AuditAction.CHANGE,
            term,
            changes={"before": before, "after": _term_snapshot(term)},
            detail=f"term of MOU {mou.pk} version {version} changed",
        )
        _announce(mou.pk, "term changed")
    return term


def remove_term(user: Any, term: DataSharingTerm) -> None:
    """Remove a term from the editable version (never from the version in force)."""
    mou = term.mou
    require_admin(user, mou)
    with transaction.atomic():
        mou = _locked(mou)
        version = _require_editable(mou)
        if term.version != version or term.superseded_at is not None:
            raise ValidationError(
                {"version": f"Only terms of version {version} can be removed now."}
            )
        audit.record(
            user,
            AuditAction.DELETE,
            term,
            changes={"before": _term_snapshot(term)},
            detail=f"term removed from MOU {mou.pk} version {version}",
        )
        term.delete()
        _announce(mou.pk, "term removed")


# --- signatures and activation ------------------------------------------------------------


def send_for_signature(user: Any, mou: MOU) -> MOU:
    """draft → awaiting_signatures: the parties and terms are final for signing."""
    require_admin(user, mou)
    with transaction.atomic():
        mou = _locked(mou)
        if mou.status != MOUStatus.DRAFT:
            raise _status_error(mou, "send for signature", [MOUStatus.DRAFT])
        if len(_party_ids(mou)) < 2:
            raise ValidationError({"parties": "An MOU needs at least two party agencies."})
        if not DataSharingTerm.objects.filter(mou=mou, version=mou.terms_version).exists():
            raise ValidationError({"terms": "Add at least one data-sharing term first."})
        if mou.expiration_date is not None and mou.expiration_date < _today():
            raise ValidationError({"expiration_date": "The expiration date has already passed."})
        MOU.objects.filter(pk=mou.pk).update(
            status=MOUStatus.AWAITING_SIGNATURES, updated_at=timezone.now()
        )
        audit.record(
            user,
            AuditAction.CHANGE,
            mou,
            changes={"before": {"status": mou.status}, "after": {"status": "awaiting_signatures"}},
            detail="sent for signature",
        )
        mou.status = MOUStatus.AWAITING_SIGNATURES
        _announce(mou.pk, "sent for signature")
    return mou


def sign(user: Any, mou: MOU) -> Signature:
    """The signer's agency signs the version awaiting signatures (the initial terms, or a
    pending amendment). The last signature activates the MOU (if its effective date has
    come) or puts the amendment in force."""
    staff = staff_of(user)
    if staff is None:
        raise PermissionDenied("Only a party's authorized signatory can sign.")
    with transaction.atomic():
        mou = _locked(mou)
        party = MOUParty.objects.filter(mou=mou, agency_id=staff.agency_id).first()
        if party is None:
            raise PermissionDenied("Your agency is not a party to this MOU.")
        if not staff.is_signatory:
            raise PermissionDenied(
                f"You are not an authorized signatory of {staff.agency.short_name}."
            )
        if party.signatory_id is not None and party.signatory_id != staff.pk:
            raise PermissionDenied(
                f"{party.signatory} is the designated signatory for {staff.agency.short_name}."
            )
        version = signing_version(mou)
        if version is None:
            raise ValidationError(
                {
                    "status": "Nothing awaits signature: the MOU is "
                    f"{MOUStatus(mou.status).label.lower()} with no pending amendment."
                }
            )
        try:
            with transaction.atomic():
                signature = Signature.objects.create(
                    mou=mou, agency_id=staff.agency_id, signed_by=staff, terms_version=version
                )
        except IntegrityError:
            raise ValidationError(
                {"status": f"{staff.agency.short_name} has already signed version {version}."}
            )
        audit.record(
            user,
            AuditAction.CHANGE,
            mou,
            detail=f"signed for {staff.agency.short_name} (terms version {version})",
        )
        if version == mou.terms_version:
            _activate_if_ready(mou, _today(), user)
        else:
            _apply_amendment_if_ready(mou, version, user)
    return signature


def _all_signed(mou: MOU, version: int) -> bool:
    return not unsigned_parties(mou, version)


def _activate_if_ready(mou: MOU, on: date, user: Any = None) -> bool:
    """awaiting_signatures → active when every party signed and the effective date has come.
    Compare-and-swap on status so two signers (or signer and the daily task) activate once."""
    if mou.status != MOUStatus.AWAITING_SIGNATURES or mou.effective_date > on:
        return False
    if mou.expiration_date is not None and mou.expiration_date < on:
        return False
    if not _all_signed(mou, mou.terms_version):
        return False
    now = timezone.now()
    changed = MOU.objects.filter(pk=mou.pk, status=MOUStatus.AWAITING_SIGNATURES).update(
        status=MOUStatus.ACTIVE, activated_at=now, updated_at=now
    )
    if changed != 1:
        return False
    mou.status, mou.activated_at = MOUStatus.ACTIVE, now
    audit.record(
        user,
        AuditAction.PERMISSION_CHANGE,
        mou,
        changes={"before": {"status": "awaiting_signatures"}, "after": {"status": "active"}},
        detail=f"MOU {mou.title!r} activated: all parties signed, effective {mou.effective_date}",
    )
    _announce(mou.pk, "activated")
    return True


def _apply_amendment_if_ready(mou: MOU, version: int, user: Any = None) -> bool:
    if not _all_signed(mou, version):
        return False
    now = timezone.now()
    DataSharingTerm.objects.filter(mou=mou, version__lt=version, superseded_at__isnull=True).update(
        superseded_at=now
    )
    MOU.objects.filter(pk=mou.pk).update(terms_version=version, updated_at=now)
    audit.record(
        user,
        AuditAction.PERMISSION_CHANGE,
        mou,
        changes={"before": {"terms_version": version - 1}, "after": {"terms_version": version}},
        detail=f"amendment of MOU {mou.title!r} in force: terms version {version} signed by all "
        "parties",
    )
    mou.terms_version = version
    _announce(mou.pk, "amendment in force")
    return True


def start_amendment(user: Any, mou: MOU) -> int:
    """Copy the terms in force to a new, pending version for editing and signature."""
    require_admin(user, mou)
    with transaction.atomic():
        mou = _locked(mou)
        if mou.status != MOUStatus.ACTIVE:
            raise _status_error(mou, "amend", [MOUStatus.ACTIVE])
        if has_pending_amendment(mou):
            raise ValidationError({"status": "An amendment is already pending."})
        version = mou.terms_version + 1
        current = DataSharingTerm.objects.filter(
            mou=mou, version=mou.terms_version, superseded_at__isnull=True
        )
        DataSharingTerm.objects.bulk_create(
            DataSharingTerm(
                mou=mou,
                version=version,
                provider_id=t.provider_id,
                recipient_id=t.recipient_id,
                record_type=t.record_type,
                fields=t.fields,
                actions=t.actions,
                scope=t.scope,
            )
            for t in current
        )
        if not has_pending_amendment(mou):
            raise ValidationError({"terms": "The MOU has no terms to amend."})
        audit.record(user, AuditAction.CHANGE, mou, detail=f"amendment version {version} started")
        _announce(mou.pk, "amendment started")
    return version


def discard_amendment(user: Any, mou: MOU) -> None:
    """Drop a pending amendment (it never took effect) and any signatures it had."""
    require_admin(user, mou)
    with transaction.atomic():
        mou = _locked(mou)
        version = mou.terms_version + 1
        if mou.status != MOUStatus.ACTIVE or not has_pending_amendment(mou):
            raise ValidationError({"status": "There is no pending amendment to discard."})
        DataSharingTerm.objects.filter(mou=mou, version=version).delete()
        Signature.objects.filter(mou=mou, terms_version=version).delete()
        audit.record(user, AuditAction.CHANGE, mou, detail=f"amendment version {version} discarded")
        _announce(mou.pk, "amendment discarded")


def terminate(user: Any, mou: MOU, reason: str) -> MOU:
    """End the MOU now, with a reason; what it granted is revoked right after commit."""
    require_admin(user, mou)
    if not reason or not reason.strip():
        raise ValidationError({"termination_reason": "Give the reason for terminating the MOU."})
    with transaction.atomic():
        mou = _locked(mou)
        if mou.status not in TERMINABLE:
            raise _status_error(mou, "terminate", TERMINABLE)
        before = mou.status
        now = timezone.now()
        MOU.objects.filter(pk=mou.pk).update(
            status=MOUStatus.TERMINATED,
            termination_reason=reason.strip(),
            ended_at=now,
            updated_at=now,
        )
        mou.status, mou.ended_at, mou.termination_reason = MOUStatus.TERMINATED, now, reason
        audit.record(
            user,
            AuditAction.PERMISSION_CHANGE,
            mou,
            changes={"before": {"status": before}, "after": {"status": "terminated"}},
            detail=f"MOU {mou.title!r} terminated: {reason.strip()}",
        )
        _announce(mou.pk, "terminated")
    return mou


# --- the daily task -----------------------------------------------------------------------


@dataclass
class DailyResult:
    expired: list[int] = field(default_factory=list)
    activated: list[int] = field(default_factory=list)


def expire_one(mou_id: int, on: date) -> bool:
    """active → expired when the expiration date is before `on` (compare-and-swap)."""
    with transaction.atomic():
        now = timezone.now()
        changed = MOU.objects.filter(
            pk=mou_id, status=MOUStatus.ACTIVE, expiration_date__lt=on
        ).update(status=MOUStatus.EXPIRED, ended_at=now, updated_at=now)
        if changed != 1:
            return False
        mou = MOU.objects.get(pk=mou_id)
        audit.record(
            None,
            AuditAction.PERMISSION_CHANGE,
            mou,
            changes={"before": {"status": "active"}, "after": {"status": "expired"}},
            detail=f"MOU {mou.title!r} expired on {mou.expiration_date}",
        )
        _announce(mou_id, "expired")
    return True


def run_daily(on: date | None = None) -> DailyResult:
    """Expire MOUs past their expiration date and activate fully signed MOUs whose effective
    date has come. Each MOU in its own transaction: one bad row does not stop the sweep."""
    on = on or _today()
    result = DailyResult()
    # served by mou_active_expiry_idx: WHERE status = 'active' AND expiration_date < on
    # a sweep over every agency's MOUs, deliberately unrestricted
    due = MOU.objects.unrestricted().filter(status=MOUStatus.ACTIVE, expiration_date__lt=on)
    for mou_id in due.values_list("pk", flat=True):
        try:
            if expire_one(mou_id, on):
                result.expired.append(mou_id)
        except Exception:  # noqa: BLE001 - keep sweeping; the error is logged
            log.exception("expiring MOU %s failed", mou_id)
    for mou in (
        MOU.objects.unrestricted()
        .filter(status=MOUStatus.AWAITING_SIGNATURES, effective_date__lte=on)
        .iterator()
    ):
        try:
            with transaction.atomic():
                if _activate_if_ready(_locked(mou), on):
                    result.activated.append(mou.pk)
        except Exception:  # noqa: BLE001 - keep sweeping; the error is logged
            log.exception("activating MOU %s failed", mou.pk)
    return result


# --- preview ------------------------------------------------------------------------------

# (provider_id, recipient_id, scope) per term -> (cases per term, distinct cases per recipient)
CoverageCounter = Callable[[Sequence[tuple[int, int, str]]], tuple[list[int], dict[int, int]]]
_coverage_counter: CoverageCounter | None = None


def register_coverage_counter(counter: CoverageCounter) -> None:
    """Called by the cases app (which knows what a case is) at start-up."""
    global _coverage_counter
    _coverage_counter = counter


@dataclass
class TermPreview:
    term: DataSharingTerm
    cases: int | None


@dataclass
class RecipientPreview:
    recipient: Agency
    terms: list[TermPreview]
    cases: int | None

    @property
    def record_types(self) -> list[str]:
        return [t.term.get_record_type_display() for t in self.terms]


def preview(mou: MOU, version: int | None = None) -> list[RecipientPreview]:
    """What each recipient would gain from `version` of the terms (default: the version
    awaiting signature, else the version in force): record types, fields and cases covered
    today (scope `assigned` counts only cases with the recipient on the case team)."""
    if version is None:
        version = signing_version(mou) or editable_version(mou) or mou.terms_version
    terms = list(
        DataSharingTerm.objects.filter(mou=mou, version=version, superseded_at__isnull=True)
        .select_related("provider", "recipient")
        .order_by("recipient__name", "record_type")
    )
    specs = [(t.provider_id, t.recipient_id, t.scope) for t in terms]
    per_term: list[int | None] = [None] * len(terms)
    per_recipient: dict[int, int] = {}
    if _coverage_counter is not None and terms:
        counts, per_recipient = _coverage_counter(specs)
        per_term = list(counts)
    result: dict[int, RecipientPreview] = {}
    for term, count in zip(terms, per_term, strict=True):
        entry = result.setdefault(
            term.recipient_id,
            RecipientPreview(
                recipient=term.recipient, terms=[], cases=per_recipient.get(term.recipient_id)
            ),
        )
        entry.terms.append(TermPreview(term=term, cases=count))
    return list(result.values())


def denied(user: Any, mou: MOU, what: str) -> None:
    """Audit a refused MOU action (called by views before answering 403)."""
    audit.record(user, AuditAction.DENIED, mou, outcome=AuditOutcome.DENIED, detail=what)
