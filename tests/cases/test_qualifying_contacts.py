"""The per-(case, requirement) summary of qualifying contact times (cases.QualifyingContacts)
follows every write to the contacts — whatever path makes it — and the compliance statement
that reads it gives the same answers as the per-case evaluation over the contacts."""

from __future__ import annotations

import datetime as dt
import random
import threading
import time

import psycopg2
import pytest
from django.db import connection

from cases.choices import ContactOutcome, ContactType
from cases.compliance import case_compliance, caseload_compliance
from cases.models import Case, QualifyingContacts, SupervisionContact
from cases.requirements import REQUIREMENT_RULES
from tests.factories import CaseFactory
from tests.factories_contacts import (
    SupervisionContactFactory,
    default_contact_standards,
    local_dt,
)

D = dt.date


def expected_summary() -> dict[tuple[int, str], list[dt.datetime]]:
    """The summary recomputed in Python from the contacts, with the rules of cases.requirements."""
    summary: dict[tuple[int, str], list[tuple[dt.datetime, int]]] = {}
    for contact in SupervisionContact.objects.unrestricted():
        for requirement, rule in REQUIREMENT_RULES.items():
            if rule.matches(contact.contact_type, contact.face_to_face, contact.outcome):
                summary.setdefault((contact.case_id, str(requirement)), []).append(
                    (contact.contact_at, contact.pk)
                )
    return {key: [at for at, _ in sorted(rows, reverse=True)] for key, rows in summary.items()}


def stored_summary() -> dict[tuple[int, str], list[dt.datetime]]:
    return {(q.case_id, q.requirement): q.contact_ats for q in QualifyingContacts.objects.all()}


def random_contact(rng: random.Random, case: Case) -> SupervisionContact:
    return SupervisionContact(
        case=case,
        contact_at=local_dt(D(2026, 1, 1) + dt.timedelta(days=rng.randrange(0, 90)), 9),
        contact_type=rng.choice(list(ContactType)),
        face_to_face=rng.random() < 0.6,
        outcome=rng.choice(list(ContactOutcome)),
    )


@pytest.mark.django_db
def test_the_summary_follows_inserts_updates_moves_and_deletes_from_every_path() -> None:
    rng = random.Random(20261128)  # noqa: S311 - deterministic test data
    cases = [CaseFactory() for _ in range(4)]
    # one at a time (as the service and the admin write) ...
    for _ in range(12):
        random_contact(rng, rng.choice(cases)).save()
    assert stored_summary() == expected_summary()
    # ... in bulk (as the import and the generator write: one statement for many cases)
    SupervisionContact.objects.bulk_create(
        [random_contact(rng, rng.choice(cases)) for _ in range(40)]
    )
    assert stored_summary() == expected_summary()
    assert len(stored_summary()) > 8  # several cases and requirements are exercised
    # a contact edited so it counts toward another requirement (or none)
    contact = SupervisionContact.objects.filter(contact_type=ContactType.HOME_VISIT).first()
    contact.contact_type, contact.outcome = ContactType.OFFICE, ContactOutcome.ATTEMPTED
    contact.save()
    assert stored_summary() == expected_summary()
    # a set-based update that changes the time of many contacts
    SupervisionContact.objects.filter(case=cases[0]).update(contact_at=local_dt(D(2026, 5, 1)))
    assert stored_summary() == expected_summary()
    # a contact moved to another case: both cases are recomputed
    moved = SupervisionContact.objects.filter(case=cases[1]).first()
    SupervisionContact.objects.filter(pk=moved.pk).update(case=cases[2])
    assert stored_summary() == expected_summary()
    # deletes: one, a queryset, and a whole case (its summary rows go with it)
    SupervisionContact.objects.filter(case=cases[2]).first().delete()
    SupervisionContact.objects.filter(case=cases[3], face_to_face=True).delete()
    assert stored_summary() == expected_summary()
    cases[1].delete()
    assert stored_summary() == expected_summary()
    assert not QualifyingContacts.objects.filter(case_id=cases[1].pk).exists()
    # every contact of a case deleted: no row left for it
    SupervisionContact.objects.filter(case=cases[0]).delete()
    assert not QualifyingContacts.objects.filter(case_id=cases[0].pk).exists()


@pytest.mark.django_db
def test_truncating_the_contacts_empties_the_summary() -> None:
    SupervisionContactFactory(case=CaseFactory())
    assert QualifyingContacts.objects.exists()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending FK checks, or no TRUNCATE
        cursor.execute("TRUNCATE cases_supervisioncontact")
    assert not QualifyingContacts.objects.exists()


@pytest.mark.django_db
def test_an_unqualified_contact_leaves_no_row() -> None:
    case = CaseFactory()
    SupervisionContactFactory(
        case=case,
        contact_type=ContactType.OFFICE,
        face_to_face=False,
        outcome=ContactOutcome.COMPLETED,
    )
    assert not QualifyingContacts.objects.filter(case=case).exists()


@pytest.mark.django_db(transaction=True)
def test_two_transactions_logging_for_one_case_lose_nothing() -> None:
    # given a case, and two connections that each insert a qualifying contact for it
    case = CaseFactory()
    name = connection.settings_dict["NAME"]
    params = {
        "host": connection.settings_dict["HOST"],
        "port": connection.settings_dict["PORT"],
        "user": connection.settings_dict["USER"],
        "dbname": name,
    }
    first, second = psycopg2.connect(**params), psycopg2.connect(**params)
    insert = (
        "INSERT INTO cases_supervisioncontact (case_id, contact_at, contact_type, face_to_face,"
        " location, outcome, notes, created_at, updated_at)"
        " VALUES (%s, %s, 'office', TRUE, '', 'completed', '', now(), now())"
    )
    errors: list[BaseException] = []
    try:
        with first.cursor() as cursor:
            cursor.execute(insert, [case.pk, local_dt(D(2026, 3, 1))])  # open, not committed

        def second_insert() -> None:
            try:
                with second.cursor() as cursor:
                    cursor.execute(insert, [case.pk, local_dt(D(2026, 3, 2))])
                second.commit()
            except BaseException as exc:  # noqa: BLE001 - reported below
                errors.append(exc)

        # when the second one writes while the first is still open, then the first commits
        thread = threading.Thread(target=second_insert)
        thread.start()
        time.sleep(0.3)  # the second one is now waiting for the first one's case lock
        assert thread.is_alive()
        first.commit()
        thread.join(timeout=10)
    finally:
        first.close()
        second.close()
    # then neither failed and the summary holds both contacts (no lost update)
    assert errors == []
    [row] = QualifyingContacts.objects.filter(case=case, requirement="face_to_face")
    assert row.contact_ats == [local_dt(D(2026, 3, 2)), local_dt(D(2026, 3, 1))]


@pytest.mark.django_db
def test_contacts_outside_supervision_and_after_the_date_are_filtered_from_the_summary() -> None:
    # given contacts before the supervision start and after the evaluation date: the stored
    # array holds them all, so the statement must drop them itself (its slow path)
    default_contact_standards()
    case = CaseFactory(supervision_level="moderate", supervision_start=D(2026, 2, 1))
    for day in (D(2026, 1, 10), D(2026, 2, 5), D(2026, 3, 1), D(2026, 4, 20)):
        SupervisionContactFactory(case=case, contact_at=local_dt(day))
    for on in (D(2026, 2, 3), D(2026, 3, 10), D(2026, 4, 1), D(2026, 5, 1)):
        # when evaluated set-based and per case
        actual = caseload_compliance(Case.objects.filter(pk=case.pk), on)[case.pk]
        # then both agree, on the days that count
        assert actual == case_compliance(case, on)
    [f2f] = [s for s in actual if s.requirement == "face_to_face"]
    assert f2f.last_contact == D(2026, 4, 20)
