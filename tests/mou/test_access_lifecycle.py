"""MOU lifecycle: draft → awaiting signatures → active → expired | terminated, amendments,
and the grants each transition gives or takes away (right after commit)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agencies.choices import RecordType
from cases.access import diff_grants
from cases.models import Case, CaseGroupObjectPermission
from mou import services
from mou.choices import MOUStatus, TermScope
from mou.models import MOU, DataSharingTerm
from mou.signals import mou_access_changed
from sartcm.models import AuditAction, AuditEvent
from tests.factories_access import committed

pytestmark = pytest.mark.django_db

STATUS_FIELDS = ["status", "release_date", "officer_name"]


def case_visible(user: Any, case: Case) -> bool:
    return Case.objects.restrict(user, "view").filter(pk=case.pk).exists()


def draft(p: Any, **kwargs: Any) -> MOU:
    defaults = {
        "title": "Prairie supervision data sharing",
        "purpose": "Share supervision status with community supervision.",
        "effective_date": p.today - dt.timedelta(days=1),
        "expiration_date": p.today + dt.timedelta(days=365),
        "parties": [(p.csa, None)],
    }
    defaults.update(kwargs)
    return services.create_mou(p.doc_admin.user, **defaults)


def with_term(p: Any, mou: MOU, scope: str = TermScope.ASSIGNED, **kwargs: Any) -> Any:
    spec = {
        "provider": p.doc,
        "recipient": p.csa,
        "record_type": RecordType.STATUS,
        "fields": STATUS_FIELDS,
        "actions": ["view"],
        "scope": scope,
    }
    spec.update(kwargs)
    return services.add_term(p.doc_admin.user, mou, **spec)


def signed_by_all(p: Any, mou: MOU, capture: Any) -> MOU:
    with committed(capture):
        services.send_for_signature(p.doc_admin.user, mou)
        services.sign(p.doc_signer.user, mou)
        services.sign(p.csa_signer.user, mou)
    mou.refresh_from_db()
    return mou


def fresh(user: Any) -> Any:
    """The same account as a new request would load it (no per-request caches)."""
    return type(user).objects.get(pk=user.pk)


# --- drafting -------------------------------------------------------------------------------


def test_an_administrator_drafts_an_mou_and_their_agency_is_always_a_party(parties) -> None:
    # when an agency administrator drafts an MOU naming only the other party
    mou = draft(parties)
    # then it is a draft, drafted by their agency, with both agencies as parties
    assert mou.status == MOUStatus.DRAFT
    assert mou.drafted_by == parties.doc
    assert set(mou.parties.all()) == {parties.doc, parties.csa}
    assert AuditEvent.objects.filter(action=AuditAction.CREATE, object_id=str(mou.pk)).exists()


def test_only_agency_administrators_draft_mous(parties) -> None:
    with pytest.raises(PermissionDenied):
        services.create_mou(
            parties.csa_officer.user,
            title="x",
            purpose="y",
            effective_date=parties.today,
            parties=[(parties.doc, None)],
        )


def test_a_party_signatory_must_work_for_that_party(parties) -> None:
    # given CSA's signatory named as DOC's signatory
    with pytest.raises(ValidationError) as error:
        draft(parties, parties=[(parties.csa, None), (parties.doc, parties.csa_signer)])
    assert "must be a staff member of that agency" in str(error.value.message_dict["parties"])


def test_expiration_must_follow_the_effective_date(parties) -> None:
    with pytest.raises(ValidationError) as error:
        draft(parties, expiration_date=parties.today - dt.timedelta(days=5))
    assert "expiration_date" in error.value.message_dict


# --- sending and signing --------------------------------------------------------------------


def test_an_mou_without_terms_cannot_be_sent_for_signature(parties) -> None:
    mou = draft(parties)
    with pytest.raises(ValidationError) as error:
        services.send_for_signature(parties.doc_admin.user, mou)
    assert "terms" in error.value.message_dict


def test_only_drafts_are_sent_for_signature(parties) -> None:
    mou = draft(parties)
    with_term(parties, mou)
    services.send_for_signature(parties.doc_admin.user, mou)
    with pytest.raises(ValidationError) as error:
        services.send_for_signature(parties.doc_admin.user, mou)
    assert "awaiting signatures" in error.value.message_dict["status"][0]


def test_a_draft_cannot_be_signed(parties) -> None:
    mou = draft(parties)
    with_term(parties, mou)
    with pytest.raises(ValidationError):
        services.sign(parties.doc_signer.user, mou)


def test_staff_without_signing_authority_cannot_sign(parties) -> None:
    mou = draft(parties)
    with_term(parties, mou)
    services.send_for_signature(parties.doc_admin.user, mou)
    # a party administrator who is not a signatory
    with pytest.raises(PermissionDenied):
        services.sign(parties.doc_admin.user, mou)
    # a signatory of an agency that is not a party
    with pytest.raises(PermissionDenied):
        services.sign(parties.outsider_admin.user, mou)


def test_only_the_designated_signatory_signs_for_a_party(parties) -> None:
    from tests.factories_access import staff

    other_signer = staff(parties.csa, "supervisor", signatory=True)
    mou = draft(parties, parties=[(parties.csa, parties.csa_signer)])
    with_term(parties, mou)
    services.send_for_signature(parties.doc_admin.user, mou)
    with pytest.raises(PermissionDenied) as error:
        services.sign(other_signer.user, mou)
    assert "designated signatory" in str(error.value)


def test_a_party_signs_once(parties) -> None:
    mou = draft(parties)
    with_term(parties, mou)
    services.send_for_signature(parties.doc_admin.user, mou)
    services.sign(parties.doc_signer.user, mou)
    with pytest.raises(ValidationError) as error:
        services.sign(parties.doc_signer.user, mou)
    assert "already signed" in error.value.message_dict["status"][0]


def test_the_last_signature_activates_the_mou_and_grants_access_at_once(
    parties, django_capture_on_commit_callbacks
) -> None:
    # given a drafted MOU sharing status of assigned cases with CSA
    mou = draft(parties)
    with_term(parties, mou)
    with committed(django_capture_on_commit_callbacks):
        services.send_for_signature(parties.doc_admin.user, mou)
        services.sign(parties.doc_signer.user, mou)
    # then one signature is not enough
    mou.refresh_from_db()
    assert mou.status == MOUStatus.AWAITING_SIGNATURES
    assert not case_visible(parties.csa_officer.user, parties.assigned_case)
    # when the last party signs
    with committed(django_capture_on_commit_callbacks):
        services.sign(parties.csa_signer.user, mou)
    # then the MOU is active and CSA sees the assigned case, not the other one
    mou.refresh_from_db()
    assert mou.status == MOUStatus.ACTIVE and mou.activated_at is not None
    officer = fresh(parties.csa_officer.user)
    assert case_visible(officer, parties.assigned_case)
    assert not case_visible(officer, parties.other_case)
    grant = AuditEvent.objects.get(action=AuditAction.GRANT)
    assert f"#{mou.pk}" in grant.detail and grant.recipient_agency_id == parties.csa.pk
    assert diff_grants() == ([], [])


def test_a_fully_signed_mou_waits_for_its_effective_date(
    parties, django_capture_on_commit_callbacks
) -> None:
    # given an MOU effective in ten days, signed by everyone
    start = parties.today + dt.timedelta(days=10)
    mou = draft(parties, effective_date=start)
    with_term(parties, mou)
    mou = signed_by_all(parties, mou, django_capture_on_commit_callbacks)
    # then it is still awaiting (nothing shared)
    assert mou.status == MOUStatus.AWAITING_SIGNATURES
    assert not CaseGroupObjectPermission.objects.exists()
    # when the daily task runs the day before, nothing happens; on the date, it activates
    assert services.run_daily(start - dt.timedelta(days=1)).activated == []
    with committed(django_capture_on_commit_callbacks):
        result = services.run_daily(start)
    assert result.activated == [mou.pk]
    mou.refresh_from_db()
    assert mou.status == MOUStatus.ACTIVE


def test_status_and_term_changes_are_announced_after_commit(
    parties, django_capture_on_commit_callbacks
) -> None:
    heard: list[tuple[int, str]] = []

    def listener(sender: Any, mou_id: int, reason: str, **kwargs: Any) -> None:
        heard.append((mou_id, reason))

    mou_access_changed.connect(listener, dispatch_uid="test_listener")
    try:
        # when a term is added inside a transaction, nothing is heard until commit
        with committed(django_capture_on_commit_callbacks):
            mou = draft(parties)
            with_term(parties, mou)
            assert heard == []
        # then both changes are announced with the MOU id
        assert heard == [(mou.pk, "created"), (mou.pk, "term added")]
    finally:
        mou_access_changed.disconnect(dispatch_uid="test_listener")


# --- termination and expiry -----------------------------------------------------------------


def test_termination_needs_a_reason_and_revokes_access_at_once(
    parties, django_capture_on_commit_callbacks
) -> None:
    mou = draft(parties)
    with_term(parties, mou)
    signed_by_all(parties, mou, django_capture_on_commit_callbacks)
    assert case_visible(fresh(parties.csa_officer.user), parties.assigned_case)
    with pytest.raises(ValidationError) as error:
        services.terminate(parties.csa_admin.user, mou, "  ")
    assert "termination_reason" in error.value.message_dict
    # when a party's administrator terminates it
    with committed(django_capture_on_commit_callbacks):
        services.terminate(parties.csa_admin.user, mou, "Program ended.")
    # then the access is gone at once, the revoke names the MOU, and there is no drift
    assert not case_visible(fresh(parties.csa_officer.user), parties.assigned_case)
    revoke = AuditEvent.objects.get(action=AuditAction.REVOKE)
    assert "terminated" in revoke.detail and f"#{mou.pk}" in revoke.detail
    assert diff_grants() == ([], [])
    # and a terminated MOU cannot be terminated again
    with pytest.raises(ValidationError):
        services.terminate(parties.csa_admin.user, mou, "again")


def test_only_a_party_administrator_terminates(parties, django_capture_on_commit_callbacks) -> None:
    mou = draft(parties)
    with_term(parties, mou)
    signed_by_all(parties, mou, django_capture_on_commit_callbacks)
    with pytest.raises(PermissionDenied):
        services.terminate(parties.csa_officer.user, mou, "not mine to end")
    with pytest.raises(PermissionDenied):
        services.terminate(parties.outsider_admin.user, mou, "not a party")


def test_the_daily_task_expires_mous_past_their_date_and_revokes_their_grants(
    parties, django_capture_on_commit_callbacks
) -> None:
    mou = draft(parties, expiration_date=parties.today + dt.timedelta(days=30))
    with_term(parties, mou)
    signed_by_all(parties, mou, django_capture_on_commit_callbacks)
    # on the expiration date itself the MOU is still in force
    assert services.run_daily(mou.expiration_date).expired == []
    # the day after, it expires and CSA loses the case
    with committed(django_capture_on_commit_callbacks):
        result = services.run_daily(mou.expiration_date + dt.timedelta(days=1))
    assert result.expired == [mou.pk]
    mou.refresh_from_db()
    assert mou.status == MOUStatus.EXPIRED
    assert not CaseGroupObjectPermission.objects.exists()
    assert AuditEvent.objects.filter(
        action=AuditAction.PERMISSION_CHANGE, detail__contains="expired"
    )
    # an expired MOU cannot be signed, amended or terminated
    with pytest.raises(ValidationError):
        services.start_amendment(parties.doc_admin.user, mou)
    with pytest.raises(ValidationError):
        services.terminate(parties.doc_admin.user, mou, "too late")


# --- amendments -----------------------------------------------------------------------------


def test_terms_in_force_change_only_through_an_amendment(
    parties, django_capture_on_commit_callbacks
) -> None:
    mou = draft(parties)
    term = with_term(parties, mou)
    signed_by_all(parties, mou, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as error:
        services.update_term(parties.doc_admin.user, term, fields=["status"])
    assert "amendment" in error.value.message_dict["status"][0]


def test_an_amendment_takes_effect_when_every_party_signs_it(
    parties, django_capture_on_commit_callbacks
) -> None:
    # given an active MOU sharing status of assigned cases with CSA
    mou = draft(parties)
    with_term(parties, mou)
    signed_by_all(parties, mou, django_capture_on_commit_callbacks)
    officer = parties.csa_officer.user
    # when DOC amends it to share all cases, and only DOC has signed so far
    version = services.start_amendment(parties.doc_admin.user, mou)
    assert version == 2
    pending = DataSharingTerm.objects.get(mou=mou, version=2)
    services.update_term(parties.doc_admin.user, pending, scope=TermScope.ALL)
    with committed(django_capture_on_commit_callbacks):
        services.sign(parties.doc_signer.user, mou)
    # then version 1 is still the one in force
    mou.refresh_from_db()
    assert mou.terms_version == 1
    assert not case_visible(fresh(officer), parties.other_case)
    assert case_visible(fresh(officer), parties.assigned_case)
    # and a signed amendment can no longer be edited
    with pytest.raises(ValidationError):
        services.update_term(parties.doc_admin.user, pending, fields=["status"])
    # when CSA signs too
    with committed(django_capture_on_commit_callbacks):
        services.sign(parties.csa_signer.user, mou)
    # then version 2 is in force, version 1 is history, and CSA sees every DOC case
    mou.refresh_from_db()
    assert mou.terms_version == 2 and mou.status == MOUStatus.ACTIVE
    old = DataSharingTerm.objects.get(mou=mou, version=1)
    assert old.superseded_at is not None
    assert case_visible(fresh(officer), parties.other_case)
    assert diff_grants() == ([], [])


def test_a_discarded_amendment_leaves_the_terms_in_force(
    parties, django_capture_on_commit_callbacks
) -> None:
    mou = draft(parties)
    with_term(parties, mou)
    signed_by_all(parties, mou, django_capture_on_commit_callbacks)
    services.start_amendment(parties.doc_admin.user, mou)
    with pytest.raises(ValidationError):
        services.start_amendment(parties.doc_admin.user, mou)  # one at a time
    services.discard_amendment(parties.doc_admin.user, mou)
    assert list(DataSharingTerm.objects.filter(mou=mou).values_list("version", flat=True)) == [1]
    assert services.signing_version(mou) is None


# --- preview --------------------------------------------------------------------------------


def test_preview_counts_the_cases_each_recipient_would_gain(parties) -> None:
    # given a draft sharing status of assigned cases and identity of all cases with CSA
    mou = draft(parties)
    with_term(parties, mou)
    with_term(
        parties,
        mou,
        scope=TermScope.ALL,
        record_type=RecordType.IDENTITY,
        fields=["first_name", "last_name"],
    )
    # when previewed
    [entry] = services.preview(mou)
    # then per term: the assigned case only for status, both DOC cases for identity
    counts = {item.term.record_type: item.cases for item in entry.terms}
    assert entry.recipient == parties.csa
    assert counts == {RecordType.STATUS: 1, RecordType.IDENTITY: 2}
    assert entry.cases == 2
    assert not CaseGroupObjectPermission.objects.exists()  # a preview grants nothing
