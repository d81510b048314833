"""Bulk import of supervision contacts: every row validated like a single contact; all saved
in one transaction or none, with every failing row reported."""

from __future__ import annotations

import pytest

from agencies.choices import RecordType, Role
from cases.models import Case, SupervisionContact
from sartcm.models import AuditEvent
from tests.factories import AgencyFactory, CaseFactory
from tests.factories_contacts import build_world, share
from tests.factories_sync import key_client

pytestmark = pytest.mark.django_db

BULK = "/api/v1/bulk/contacts/"


@pytest.fixture
def world():
    return build_world()


def row(case: Case, **extra) -> dict:  # noqa: ANN003
    return {
        "case": case.pk,
        "contact_at": "2026-02-03T10:00:00-06:00",
        "contact_type": "home_visit",
        **extra,
    }


def test_json_rows_are_all_saved_and_audited(world) -> None:
    client = key_client(world.lead, Role.SUPERVISION_OFFICER)
    response = client.post(
        BULK, [row(world.case), row(world.case, contact_type="office", notes="Monthly.")]
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 2
    saved = SupervisionContact.objects.filter(pk__in=body["ids"]).order_by("pk")
    assert [c.contact_type for c in saved] == ["home_visit", "office"]
    assert (
        AuditEvent.objects.filter(action="create", object_type="cases.supervisioncontact").count()
        == 2
    )


def test_csv_rows_are_saved_with_defaults_for_empty_cells(world) -> None:
    client = key_client(world.lead, Role.SUPERVISION_OFFICER)
    csv_text = (
        "case,contact_at,contact_type,face_to_face,location,outcome,notes\n"
        f"{world.case.pk},2026-02-03T10:00:00-06:00,home_visit,true,Residence,completed,Fine.\n"
        f"{world.case.pk},2026-02-04T09:00:00-06:00,office,,,,\n"
    )
    response = client.post(BULK, csv_text, content_type="text/csv")
    assert response.status_code == 201, response.content
    second = SupervisionContact.objects.get(pk=response.json()["ids"][1])
    assert (second.face_to_face, second.outcome, second.location) == (True, "completed", "")


def test_one_bad_row_saves_nothing_and_every_failure_is_reported(world) -> None:
    # given a batch with good rows and three different failures
    closed = CaseFactory(lead_agency=world.lead, status="discharged")
    other_agency_case = CaseFactory()
    rows = [
        row(world.case),
        row(world.case, contact_type="seance"),
        row(other_agency_case),
        row(world.case, contact_at="2999-01-01T00:00:00Z", face_to_face="maybe"),
        row(closed),
        row(world.case),
    ]
    client = key_client(world.lead, Role.SUPERVISION_OFFICER)
    # when it is imported
    response = client.post(BULK, rows)
    # then nothing is saved and each failure names its row and field
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert SupervisionContact.objects.count() == 0
    errors = {(e["row"], e["field"]) for e in response.json()["errors"]}
    assert errors == {
        (2, "contact_type"),
        (3, "case"),
        (4, "contact_at"),
        (4, "face_to_face"),
        (5, "case"),  # closed case: found by log_contact itself
    }
    messages = {(e["row"], e["field"]): e["message"] for e in response.json()["errors"]}
    assert messages[(3, "case")] == "Not found."
    assert "open cases" in messages[(5, "case")]
    assert not AuditEvent.objects.filter(action="create").exists()


def test_an_invisible_case_reads_exactly_like_a_missing_one(world) -> None:
    invisible = CaseFactory()
    client = key_client(world.lead, Role.SUPERVISION_OFFICER)
    visible_but_missing = client.post(BULK, [{**row(world.case), "case": 999999}]).json()["errors"]
    hidden = client.post(BULK, [row(invisible)]).json()["errors"]
    assert visible_but_missing == hidden == [{"row": 1, "field": "case", "message": "Not found."}]


def test_a_partner_may_write_only_shared_fields_and_the_refusal_is_audited(world) -> None:
    partner = AgencyFactory()
    share(
        world.case,
        partner,
        RecordType.CONTACTS,
        ["contact_at", "contact_type"],
        actions=("view", "add"),
    )
    client = key_client(partner, Role.SUPERVISION_OFFICER)
    refused = client.post(BULK, [row(world.case, notes="Not ours to write.")])
    assert refused.status_code == 422
    assert refused.json()["errors"] == [
        {
            "row": 1,
            "field": "notes",
            "message": "You may not write this field (not shared with your agency).",
        }
    ]
    assert AuditEvent.objects.filter(action="denied", fields=["notes"]).exists()
    accepted = client.post(BULK, [row(world.case)])
    assert accepted.status_code == 201


def test_a_partner_without_add_standing_gets_not_found(world) -> None:
    partner = AgencyFactory()
    share(world.case, partner, RecordType.CONTACTS, ["contact_at", "contact_type"])
    response = key_client(partner, Role.SUPERVISION_OFFICER).post(BULK, [row(world.case)])
    assert response.json()["errors"] == [{"row": 1, "field": "case", "message": "Not found."}]


def test_a_retried_bulk_post_with_the_same_idempotency_key_saves_once(world) -> None:
    client = key_client(world.lead, Role.SUPERVISION_OFFICER)
    rows = [row(world.case), row(world.case, contact_type="office")]
    first = client.post(BULK, rows, HTTP_IDEMPOTENCY_KEY="batch-2026-02-03")
    again = client.post(BULK, rows, HTTP_IDEMPOTENCY_KEY="batch-2026-02-03")
    assert first.status_code == again.status_code == 201
    assert again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert SupervisionContact.objects.count() == 2


@pytest.mark.parametrize(
    ("payload", "content_type", "field"),
    [
        ({"case": 1}, "application/json", "rows"),
        ([], "application/json", "rows"),
        (["not an object"], "application/json", "row"),
        ("case,contact_type\n1,office,extra\n", "text/csv", "row"),
    ],
)
def test_malformed_batches_are_refused_naming_the_problem(
    world, payload, content_type, field
) -> None:
    client = key_client(world.lead, Role.SUPERVISION_OFFICER)
    if content_type == "text/csv":
        response = client.post(BULK, payload, content_type=content_type)
    else:
        response = client.post(BULK, payload, format="json")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_row_limit(world, monkeypatch) -> None:
    from sartcm.api.bulk import BulkImporter

    monkeypatch.setattr(BulkImporter, "max_rows", 2)
    response = key_client(world.lead).post(BULK, [row(world.case)] * 3)
    assert response.status_code == 422
    assert "At most 2 rows" in response.json()["errors"][0]["message"]


def test_validation_cost_does_not_grow_per_row_in_queries_for_case_lookup(
    world, django_assert_max_num_queries
) -> None:
    client = key_client(world.lead, Role.SUPERVISION_OFFICER)
    bad = [row(world.case, contact_type="nope")]
    client.post(BULK, bad)
    with django_assert_max_num_queries(30) as one:
        client.post(BULK, bad)
    with django_assert_max_num_queries(len(one.captured_queries)):
        client.post(BULK, bad * 20)


def test_a_retried_refused_batch_replays_the_refusal(world) -> None:
    client = key_client(world.lead, Role.SUPERVISION_OFFICER)
    rows = [row(world.case, contact_type="seance")]
    first = client.post(BULK, rows, HTTP_IDEMPOTENCY_KEY="bad-batch")
    again = client.post(BULK, rows, HTTP_IDEMPOTENCY_KEY="bad-batch")
    assert first.status_code == again.status_code == 422
    assert again["Content-Type"] == "application/problem+json"
    assert again.json() == first.json()
