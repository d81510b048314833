"""The synthetic generator at small size: counts as asked, valid rows, the demo untouched."""

from __future__ import annotations

from datetime import date

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Count

from agencies.choices import AgencyKind
from agencies.models import Agency, StaffMember
from cases.demo.loader import load_demo
from cases.demo.synthetic import Options, SyntheticExists, delete_synthetic, generate
from cases.models import (
    Case,
    CaseAssignment,
    Offender,
    RegistrationEvent,
    RegistrationRecord,
    Residence,
    SupervisionContact,
)
from mou.models import MOU, DataSharingTerm

pytestmark = pytest.mark.django_db

ANCHOR = date(2026, 6, 15)


def small(**overrides: object) -> Options:
    values: dict = {
        "offenders": 50,
        "agencies": 30,
        "mous": 5,
        "contacts_per_case": 10,
        "seed": 7,
        "progress": False,
        "sync_grants": False,
        "anchor": ANCHOR,
    }
    values.update(overrides)
    return Options(**values)  # type: ignore[arg-type]


def demo_counts() -> dict[str, int]:
    return {
        "cases": Case.objects.filter(case_number__startswith="PRS-").count(),
        "contacts": SupervisionContact.objects.filter(case__case_number__startswith="PRS-").count(),
        "agencies": Agency.objects.exclude(short_name__startswith="SYN-").count(),
        "staff": StaffMember.objects.exclude(agency__short_name__startswith="SYN-").count(),
        "mous": MOU.objects.exclude(drafted_by__short_name__startswith="SYN-").count(),
    }


def check_deferred_constraints() -> None:
    """Foreign keys are deferred to commit; tests never commit, so check them now."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def test_small_run_has_the_counts_asked_for_and_valid_rows() -> None:
    # given the demo is loaded
    load_demo(offenders=20, as_of=ANCHOR)
    before = demo_counts()
    # when a small synthetic state is generated beside it
    result = generate(small())
    check_deferred_constraints()
    # then the counts are as asked
    cases = Case.objects.filter(case_number__startswith="SYN-")
    assert Offender.objects.filter(state_id__startswith="PSS").count() == 50
    assert cases.count() == 50
    synthetic_agencies = Agency.objects.filter(short_name__startswith="SYN-")
    assert synthetic_agencies.count() == 30
    assert MOU.objects.filter(drafted_by__short_name__startswith="SYN-").count() == 5
    contacts = SupervisionContact.objects.filter(case__in=cases).count()
    assert 50 * 10 * 0.6 <= contacts <= 50 * 10 * 1.4
    assert result.rows["cases.SupervisionContact"] == contacts
    # and the contacts' summary was built by their triggers as the COPY ran (what the
    # compliance statement reads): its face-to-face rows hold every face-to-face contact
    from cases.models import QualifyingContacts

    summary = QualifyingContacts.objects.filter(case__in=cases, requirement="face_to_face")
    assert sum(len(row.contact_ats) for row in summary) == (
        SupervisionContact.objects.filter(
            case__in=cases, face_to_face=True, outcome__in=["completed", "violation"]
        ).count()
    )
    assert summary.exists()
    # and every case has a team, a lead agency of kind corrections and a case manager
    assert not cases.filter(assignments__isnull=True).exists()
    assert set(cases.values_list("lead_agency__kind", flat=True)) == {AgencyKind.CORRECTIONS}
    assert not cases.filter(case_manager__isnull=True).exists()
    # and everyone released has one current residence and a registration with history
    released = cases.filter(supervision_start__isnull=False)
    assert released.exists()
    current = Residence.objects.filter(case__in=released, end_date__isnull=True)
    assert current.values("case").annotate(n=Count("id")).filter(n__gt=1).count() == 0
    assert RegistrationRecord.objects.filter(case__in=released).count() == released.count()
    assert RegistrationEvent.objects.filter(case__in=released, kind="initial").count() == (
        released.count()
    )
    # and the MOUs' terms only point at synthetic agencies
    terms = DataSharingTerm.objects.filter(mou__drafted_by__short_name__startswith="SYN-")
    assert not terms.exclude(recipient__short_name__startswith="SYN-").exists()
    # and the demo is untouched
    assert demo_counts() == before


def test_a_second_run_refuses_unless_replacing_and_is_deterministic() -> None:
    # given a synthetic state
    generate(small())
    names = list(
        Offender.objects.filter(state_id__startswith="PSS")
        .order_by("state_id")
        .values_list("first_name", "last_name", "date_of_birth")
    )
    contacts = SupervisionContact.objects.filter(case__case_number__startswith="SYN-").count()
    # when it is generated again without --replace, it refuses
    with pytest.raises(SyntheticExists):
        generate(small())
    # when it is generated again with --replace and the same seed
    generate(small(replace=True))
    check_deferred_constraints()
    # then the same people come back, once each
    again = list(
        Offender.objects.filter(state_id__startswith="PSS")
        .order_by("state_id")
        .values_list("first_name", "last_name", "date_of_birth")
    )
    assert again == names
    assert SupervisionContact.objects.filter(case__case_number__startswith="SYN-").count() == (
        contacts
    )
    assert Agency.objects.filter(short_name__startswith="SYN-").count() == 30


def test_delete_removes_only_synthetic_rows() -> None:
    # given the demo and a synthetic state
    load_demo(offenders=20, as_of=ANCHOR)
    before = demo_counts()
    generate(small())
    # when the synthetic rows are deleted
    deleted = delete_synthetic()
    check_deferred_constraints()
    # then none are left, and the demo is as it was
    assert deleted["cases.Case"] == 50
    assert not Case.objects.filter(case_number__startswith="SYN-").exists()
    assert not Agency.objects.filter(short_name__startswith="SYN-").exists()
    assert not CaseAssignment.objects.filter(agency__short_name__startswith="SYN-").exists()
    assert demo_counts() == before


def test_the_command_reports_counts_and_refuses_bad_sizes(capsys: pytest.CaptureFixture) -> None:
    # when the command runs at a tiny size
    call_command(
        "generate_synthetic",
        "--offenders",
        "12",
        "--agencies",
        "12",
        "--mous",
        "3",
        "--skip-grants",
        "--no-progress",
    )
    # then it reports the rows it wrote
    out = capsys.readouterr().out
    assert "cases.Case" in out and "12" in out
    # and it refuses sizes it cannot honour, naming the option
    with pytest.raises(CommandError, match="--agencies"):
        call_command("generate_synthetic", "--offenders", "5", "--agencies", "3", "--replace")


def test_the_dataset_carries_the_default_contact_standards() -> None:
    # given a database without contact standards
    from cases.compliance import caseload_compliance
    from protocols.models import ContactStandard

    assert not ContactStandard.objects.exists()
    # when a small synthetic state is generated
    result = generate(small())
    # then the default standards are in force for every supervised synthetic case's level
    cases = Case.objects.filter(case_number__startswith="SYN-", status="supervised")
    levels = set(cases.exclude(supervision_level="").values_list("supervision_level", flat=True))
    assert levels
    standard_levels = set(ContactStandard.objects.values_list("supervision_level", flat=True))
    assert levels <= standard_levels
    # so compliance (and the sweep's contact rules) has requirements to evaluate
    statuses = caseload_compliance(cases, on=ANCHOR)
    assert set(statuses) == set(cases.exclude(supervision_level="").values_list("id", flat=True))
    assert any(note.startswith("load_standards: Created") for note in result.notes)
