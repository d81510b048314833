"""The demo loader: idempotent, and it contains what issue 2 promises."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, Max, Q

from agencies.choices import AgencyKind, RecordType, Role
from agencies.demo import DEMO_PASSWORD, DEMO_USERS
from agencies.models import Agency, StaffMember, TrainingRecord
from cases.choices import CaseStatus, HousingStatus, ReleasePlanStatus, VerificationResult
from cases.demo.loader import load_demo
from cases.models import (
    AddressVerification,
    BoardDecision,
    BoardVote,
    Case,
    Conviction,
    HouseholdMember,
    Offender,
    RegistrationEvent,
    RegistrationRecord,
    ReleasePlan,
    Residence,
    SupervisionContact,
    TreatmentReport,
    Victim,
)
from mou.choices import MOUStatus
from mou.models import MOU, DataSharingTerm, MOUParty, Signature

pytestmark = pytest.mark.django_db

DEMO_APPS = ("agencies", "mou", "protocols", "cases", "auth")


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model._default_manager.count()
        for app in DEMO_APPS
        for model in apps.get_app_config(app).get_models()
    }


def test_second_run_changes_nothing() -> None:
    # given the demo was loaded once
    first = load_demo()
    counts = row_counts()
    # when it is loaded again
    second = load_demo()
    # then nothing was created or updated, and every table has the same number of rows
    assert sum(first.stats.created.values()) > 10_000
    assert dict(second.stats.created) == {}
    assert dict(second.stats.updated) == {}
    assert row_counts() == counts
    # and there are no duplicate staff or MOUs
    assert StaffMember.objects.values("user__username").distinct().count() == (
        StaffMember.objects.count()
    )
    assert MOU.objects.values("title").distinct().count() == MOU.objects.count() == 8


def test_growing_the_demo_adds_offenders_without_rewriting_the_others() -> None:
    # given a small demo
    load_demo(offenders=20)
    first_cases = set(Case.objects.values_list("case_number", "offender__last_name", "status"))
    # when it is loaded again with more offenders
    result = load_demo(offenders=30)
    # then the first twenty are untouched and ten more were added
    assert dict(result.stats.updated) == {}
    assert result.stats.created["cases.Case"] == 10
    assert first_cases <= set(
        Case.objects.values_list("case_number", "offender__last_name", "status")
    )


def test_the_management_command_is_idempotent_too(capsys: pytest.CaptureFixture) -> None:
    # given the command ran once
    call_command("load_demo", "--offenders", "20", verbosity=0)
    counts = row_counts()
    # when it runs again
    call_command("load_demo", "--offenders", "20", verbosity=1)
    # then it reports no change and prints the logins
    out = capsys.readouterr().out
    assert "0 rows created, 0 updated" in out
    assert "cm.doc" in out and DEMO_PASSWORD in out
    assert row_counts() == counts


def test_agencies_cover_every_kind_and_every_demo_login_exists() -> None:
    # when the demo is loaded
    load_demo()
    # then there are at least 12 agencies and every kind is present
    assert Agency.objects.count() >= 12
    assert set(Agency.objects.values_list("kind", flat=True)) == set(AgencyKind.values)
    # and each demo login works, at the agency and with the roles agencies.demo promises
    user_model = get_user_model()
    for username, agency, roles, _ in DEMO_USERS:
        user = user_model.objects.get(username=username)
        assert user.check_password(DEMO_PASSWORD), username
        assert user.staff.agency.short_name == agency
        assert user.staff.roles == roles
    # and every role has a login
    login_roles = {role for _, _, roles, _ in DEMO_USERS for role in roles}
    assert login_roles == set(Role.values)
    # and staff have supervisors; only demo logins can sign in
    assert StaffMember.objects.filter(supervisor__isnull=False).count() >= 30
    other = user_model.objects.exclude(username__in=[u for u, *_ in DEMO_USERS])
    assert not any(user.has_usable_password() for user in other)


def test_training_records_include_expired_and_expiring() -> None:
    result = load_demo()
    today = result.anchor
    assert TrainingRecord.objects.filter(expires_on__lt=today).exists()
    assert TrainingRecord.objects.filter(
        expires_on__gte=today, expires_on__lte=today + timedelta(days=30)
    ).exists()


def test_mous_are_signed_consistently_with_their_status() -> None:
    # when the demo is loaded
    load_demo()
    # then the victim-services MOU is active and shares only victim-safety and four status fields
    hvs_terms = DataSharingTerm.objects.filter(recipient__short_name="HVS")
    assert set(hvs_terms.values_list("mou__status", flat=True)) == {MOUStatus.ACTIVE}
    assert set(hvs_terms.values_list("record_type", flat=True)) == {
        RecordType.VICTIM_SAFETY,
        RecordType.STATUS,
    }
    for term in hvs_terms.filter(record_type=RecordType.STATUS):
        assert set(term.fields) == {"status", "release_date", "officer_name", "officer_phone"}
        assert term.actions == ["view"]
    # and corrections shares treatment with the treatment provider, which may add reports
    nta = DataSharingTerm.objects.get(
        provider__short_name="PDOC", recipient__short_name="NTA", record_type=RecordType.TREATMENT
    )
    assert nta.mou.status == MOUStatus.ACTIVE and "add" in nta.actions
    assert nta.scope == "assigned"
    # and one MOU has expired
    assert MOU.objects.filter(status=MOUStatus.EXPIRED, parties__short_name="WHA").count() == 1
    # and every partner persona has an active MOU
    active_recipients = set(
        DataSharingTerm.objects.filter(mou__status=MOUStatus.ACTIVE).values_list(
            "recipient__short_name", flat=True
        )
    )
    assert active_recipients >= {"PCSA", "HVS", "NTA", "PPRB", "CCSO", "PDOC"}
    # and active/expired MOUs carry a signature from every party's signatory
    for mou in MOU.objects.filter(status__in=[MOUStatus.ACTIVE, MOUStatus.EXPIRED]):
        parties = MOUParty.objects.filter(mou=mou)
        assert parties.count() >= 2
        for party in parties:
            assert party.signatory.is_signatory and party.signatory.agency_id == party.agency_id
            assert Signature.objects.filter(
                mou=mou, agency=party.agency, signed_by=party.signatory
            ).exists()
        assert mou.activated_at is not None
    # and an MOU awaiting signatures is not signed by everyone
    waiting = MOU.objects.get(status=MOUStatus.AWAITING_SIGNATURES)
    assert waiting.signatures.count() < waiting.party_rows.count()


def test_offenders_and_cases_have_believable_histories() -> None:
    # when the demo is loaded
    result = load_demo()
    today = result.anchor
    # then there are 150+ offenders and cases in every status, each with a team
    assert Offender.objects.count() >= 150
    statuses = dict(Case.objects.values_list("status").annotate(n=Count("id")))
    assert set(statuses) == set(CaseStatus.values)
    assert not Case.objects.filter(assignments__isnull=True).exists()
    assert not Case.objects.filter(case_manager__isnull=True).exists()
    assert Conviction.objects.filter(is_index=True).count() == Case.objects.count()
    assert set(Conviction.objects.values_list("victim_age_group", flat=True)) >= {
        "child",
        "adolescent",
        "adult",
    }
    # and release plans exist in every status, with board decisions and votes
    assert set(ReleasePlan.objects.values_list("status", flat=True)) == set(
        ReleasePlanStatus.values
    )
    assert BoardDecision.objects.values("decision").distinct().count() == 4
    assert BoardVote.objects.count() == 3 * BoardDecision.objects.count()
    assert HouseholdMember.objects.filter(is_minor=True).exists()
    # and some supervised cases are behind on face-to-face contacts (30-day standard)
    supervised = Case.objects.filter(
        status=CaseStatus.SUPERVISED,
        supervision_level__in=["high", "moderate"],
        supervision_start__lt=today - timedelta(days=30),
    ).annotate(
        last_seen=Max(
            "contacts__contact_at",
            filter=Q(contacts__face_to_face=True, contacts__outcome="completed"),
        )
    )
    behind = [
        c
        for c in supervised
        if c.last_seen is None or c.last_seen.date() < today - timedelta(days=35)
    ]
    assert 3 <= len(behind) < supervised.count() / 2
    assert SupervisionContact.objects.count() >= 150 * 20
    # and registrations include overdue verifications, late events and a failed verification
    overdue = RegistrationRecord.objects.exclude(status="ended").filter(
        next_verification_due__lt=today
    )
    assert overdue.filter(case__status=CaseStatus.SUPERVISED).count() >= 3
    assert RegistrationEvent.objects.filter(late=True).exists()
    assert AddressVerification.objects.exclude(result=VerificationResult.VERIFIED).exists()
    assert RegistrationRecord.objects.filter(status="absconder_review").count() == 1
    assert Residence.objects.filter(housing_status=HousingStatus.TRANSIENT, address="").exists()
    # and treatment reports are missing for some months, victims are on some cases
    assert TreatmentReport.objects.exists()
    assert Victim.objects.filter(advocate_agency__short_name="HVS").exists()
