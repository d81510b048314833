"""Tombstones and /api/v1/sync/removed/: deletions and revocations reach exactly the agencies
that could see what was removed."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from agencies.choices import RecordType, Role
from cases.models import Case, SupervisionContact
from sartcm.models import AuditEvent, SyncTombstone
from sartcm.tombstones import record_revocations
from tests.factories import AgencyFactory
from tests.factories_contacts import (
    PolygraphExamFactory,
    SupervisionContactFactory,
    build_world,
    share,
)
from tests.factories_sync import key_client

pytestmark = pytest.mark.django_db

REMOVED = "/api/v1/sync/removed/"
CONTACTS = "/api/v1/contacts/"


@pytest.fixture
def world():
    return build_world()


def since() -> str:
    return (timezone.now() - timedelta(minutes=1)).isoformat()


def agencies_told(object_type: str, object_id: int) -> set[int]:
    return set(
        SyncTombstone.objects.filter(object_type=object_type, object_id=object_id).values_list(
            "agency_id", flat=True
        )
    )


def test_a_deletion_tells_every_agency_that_could_see_it_and_no_other(world) -> None:
    # given a contact seen by the lead agency and by a partner sharing contacts;
    # the victim advocate's agency has standing on the case, but not for contacts
    contact = SupervisionContactFactory(case=world.case)
    partner = AgencyFactory()
    share(world.case, partner, RecordType.CONTACTS, ["contact_at"])
    pk = contact.pk
    # when it is deleted
    contact.delete()
    # then exactly the lead and the partner get a tombstone
    assert agencies_told("cases.supervisioncontact", pk) == {world.lead.pk, partner.pk}
    row = SyncTombstone.objects.filter(agency_id=partner.pk).get()
    assert (row.reason, row.record_type, row.case_id) == ("deleted", "contacts", world.case.pk)


def test_deleting_a_case_leaves_tombstones_for_its_records(world) -> None:
    contacts = [SupervisionContactFactory(case=world.case) for _ in range(5)]
    exam = PolygraphExamFactory(case=world.case)
    case = Case.objects.get(pk=world.case.pk)
    case.delete()
    for contact in contacts:
        assert agencies_told("cases.supervisioncontact", contact.pk) == {world.lead.pk}
    assert agencies_told("cases.polygraphexam", exam.pk) == {world.lead.pk}
    # the case itself (status) was shared with the provider and the advocate
    assert agencies_told("cases.case", world.case.pk) == {
        world.lead.pk,
        world.provider_agency.pk,
        world.advocate_agency.pk,
    }


def test_deleting_a_case_reads_standing_per_record_type_not_per_record(
    django_assert_max_num_queries,
) -> None:
    def case_with(contacts: int) -> Case:
        case = build_world().case
        for _ in range(contacts):
            SupervisionContactFactory(case=case)
        PolygraphExamFactory(case=case)
        return Case.objects.get(pk=case.pk)

    small, big = case_with(5), case_with(15)
    with django_assert_max_num_queries(60) as measured:
        small.delete()
    # ten more contacts cost their ten tombstone inserts, nothing else
    with django_assert_max_num_queries(len(measured.captured_queries) + 10):
        big.delete()


def test_record_revocations_writes_one_row_per_agency_case_and_record_type(world) -> None:
    partner = AgencyFactory()
    written = record_revocations(
        [
            (partner.pk, world.case.pk, RecordType.CONTACTS),
            (partner.pk, world.case.pk, RecordType.CONTACTS),  # duplicate
            (partner.pk, world.case.pk, RecordType.STATUS),
        ]
    )
    assert written == 2
    rows = SyncTombstone.objects.filter(agency_id=partner.pk).order_by("record_type")
    assert [(r.reason, r.record_type, r.object_type, r.object_id) for r in rows] == [
        ("revoked", "contacts", "cases.case", world.case.pk),
        ("revoked", "status", "cases.case", world.case.pk),
    ]


def test_removed_lists_deletions_and_revocations_for_the_callers_agency_only(world) -> None:
    mark = since()
    partner = AgencyFactory()
    share(world.case, partner, RecordType.CONTACTS, ["contact_at"])
    deleted = SupervisionContactFactory(case=world.case)
    deleted_pk = deleted.pk
    deleted.delete()
    record_revocations([(partner.pk, world.case.pk, RecordType.CONTACTS)])
    partner_rows = key_client(partner, Role.SUPERVISION_OFFICER).get(REMOVED, {"since": mark})
    lead_rows = key_client(world.lead).get(REMOVED, {"since": mark})
    outsider_rows = key_client(AgencyFactory()).get(REMOVED, {"since": mark})
    assert partner_rows.status_code == 200
    assert [
        (r["reason"], r["object_type"], r["object_id"], r["resource"])
        for r in partner_rows.json()["results"]
    ] == [
        ("deleted", "cases.supervisioncontact", deleted_pk, "contacts"),
        ("revoked", "cases.case", world.case.pk, None),
    ]
    assert [r["reason"] for r in lead_rows.json()["results"]] == ["deleted"]
    assert outsider_rows.json()["results"] == []


def test_removed_shows_only_record_types_the_role_and_key_may_view(world) -> None:
    mark = since()
    SupervisionContactFactory(case=world.case).delete()
    PolygraphExamFactory(case=world.case).delete()
    # an auditor's role views only identity and status
    admin_rows = key_client(world.lead, Role.AUDITOR).get(REMOVED, {"since": mark}).json()
    # a key scoped to contacts only
    narrow = key_client(world.lead, Role.CASE_MANAGER, scopes=["view:contacts"])
    narrow_rows = narrow.get(REMOVED, {"since": mark}).json()
    assert admin_rows["results"] == []
    assert [r["record_type"] for r in narrow_rows["results"]] == ["contacts"]


def test_removed_filters_by_record_type_and_since(world) -> None:
    SupervisionContactFactory(case=world.case).delete()
    SyncTombstone.objects.update(at=timezone.now() - timedelta(days=2))
    mark = since()
    PolygraphExamFactory(case=world.case).delete()
    SupervisionContactFactory(case=world.case).delete()
    client = key_client(world.lead)
    rows = client.get(REMOVED, {"since": mark, "record_type": "polygraph"}).json()["results"]
    assert [r["record_type"] for r in rows] == ["polygraph"]
    both = client.get(REMOVED, {"since": mark, "record_type": "polygraph,contacts"}).json()
    assert sorted(r["record_type"] for r in both["results"]) == ["contacts", "polygraph"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "since"),
        ({"since": "soon"}, "since"),
        ({"since": "2026-01-01", "record_type": "x"}, "record_type"),
    ],
)
def test_removed_refuses_bad_parameters_naming_them(world, params, field) -> None:
    response = key_client(world.lead).get(REMOVED, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_removed_pages_with_a_cursor(world) -> None:
    mark = since()
    for _ in range(5):
        SupervisionContactFactory(case=world.case).delete()
    client = key_client(world.lead)
    seen: list[int] = []
    page = client.get(REMOVED, {"since": mark, "page_size": 2}).json()
    while True:
        seen.extend(r["id"] for r in page["results"])
        if not page["next"]:
            break
        page = client.get(page["next"]).json()
    assert len(seen) == 5 == len(set(seen))
    assert page["next_since"] is not None


def test_lead_agency_deletes_a_contact_with_if_match_and_audit(world) -> None:
    contact = SupervisionContactFactory(case=world.case)
    client = key_client(world.lead)
    etag = client.get(f"{CONTACTS}{contact.pk}/")["ETag"]
    client.patch(f"{CONTACTS}{contact.pk}/", {"notes": "Changed."})
    stale = client.delete(f"{CONTACTS}{contact.pk}/", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert SupervisionContact.objects.filter(pk=contact.pk).exists()
    fresh = client.get(f"{CONTACTS}{contact.pk}/")["ETag"]
    version = Case.objects.get(pk=world.case.pk).version
    assert client.delete(f"{CONTACTS}{contact.pk}/", HTTP_IF_MATCH=fresh).status_code == 204
    assert not SupervisionContact.objects.filter(pk=contact.pk).exists()
    assert Case.objects.get(pk=world.case.pk).version == version + 1
    event = AuditEvent.objects.get(
        action="delete", object_type="cases.supervisioncontact", object_id=str(contact.pk)
    )
    assert event.changes["before"]["notes"] == "Changed."


def test_a_partner_who_may_change_contacts_may_not_delete_them(world) -> None:
    contact = SupervisionContactFactory(case=world.case)
    partner = AgencyFactory()
    share(world.case, partner, RecordType.CONTACTS, ["notes"], actions=("view", "change"))
    response = key_client(partner, Role.SUPERVISION_OFFICER).delete(f"{CONTACTS}{contact.pk}/")
    assert response.status_code == 403
    assert SupervisionContact.objects.filter(pk=contact.pk).exists()
    outsider = key_client(AgencyFactory(), Role.SUPERVISION_OFFICER)
    assert outsider.delete(f"{CONTACTS}{contact.pk}/").status_code == 404
