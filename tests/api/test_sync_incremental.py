"""Incremental sync: `?updated_since=` on list endpoints, walked by a (updated_at, id) cursor."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from freezegun import freeze_time

from agencies.choices import RecordType, Role
from cases.models import SupervisionContact
from sartcm.api.pagination import SYNC_SAFETY_MARGIN
from tests.factories import AgencyFactory
from tests.factories_contacts import SupervisionContactFactory, build_world, share
from tests.factories_sync import key_client

pytestmark = pytest.mark.django_db

CONTACTS = "/api/v1/contacts/"


def stamp(contact: SupervisionContact, when) -> None:  # noqa: ANN001
    SupervisionContact.objects.filter(pk=contact.pk).update(updated_at=when)


def walk(client, url: str, params: dict) -> tuple[list[dict], dict]:  # noqa: ANN001
    """Follow `next` links to the end; returns (rows, last page)."""
    rows: list[dict] = []
    response = client.get(url, params)
    while True:
        assert response.status_code == 200, response.content
        page = response.json()
        rows.extend(page["results"])
        if not page["next"]:
            return rows, page
        response = client.get(page["next"])


@pytest.fixture
def world():
    return build_world()


def test_updated_since_lists_changed_rows_oldest_first_across_pages(world) -> None:
    # given five contacts on the lead agency's case, changed at known times
    base = timezone.now() - timedelta(hours=5)
    contacts = [SupervisionContactFactory(case=world.case) for _ in range(5)]
    for n, contact in enumerate(contacts):
        stamp(contact, base + timedelta(minutes=n))
    old = SupervisionContactFactory(case=world.case)
    stamp(old, base - timedelta(days=1))
    client = key_client(world.lead, Role.CASE_MANAGER)
    # when the system syncs from `base`, two rows a page
    rows, last = walk(client, CONTACTS, {"updated_since": base.isoformat(), "page_size": 2})
    # then it gets exactly the changed rows, in change order, and a next_since
    assert [r["id"] for r in rows] == [c.pk for c in contacts]
    assert last["next_since"] is not None
    assert "count" not in last


def test_rows_with_equal_change_times_are_neither_skipped_nor_repeated(world) -> None:
    when = timezone.now() - timedelta(hours=1)
    contacts = [SupervisionContactFactory(case=world.case) for _ in range(5)]
    for contact in contacts:
        stamp(contact, when)
    client = key_client(world.lead)
    rows, _ = walk(client, CONTACTS, {"updated_since": when.isoformat(), "page_size": 2})
    assert [r["id"] for r in rows] == sorted(c.pk for c in contacts)


def test_a_row_changed_while_paging_is_sent_again_later_not_lost(world) -> None:
    base = timezone.now() - timedelta(hours=2)
    contacts = [SupervisionContactFactory(case=world.case) for _ in range(4)]
    for n, contact in enumerate(contacts):
        stamp(contact, base + timedelta(minutes=n))
    client = key_client(world.lead)
    first = client.get(CONTACTS, {"updated_since": base.isoformat(), "page_size": 2}).json()
    assert [r["id"] for r in first["results"]] == [contacts[0].pk, contacts[1].pk]
    # when the first row is corrected between pages
    response = client.patch(f"{CONTACTS}{contacts[0].pk}/", {"notes": "Corrected."})
    assert response.status_code == 200
    rows, _ = walk(client, first["next"], {})
    # then it comes again, after the rows it used to precede
    assert [r["id"] for r in rows] == [contacts[2].pk, contacts[3].pk, contacts[0].pk]
    assert rows[-1]["notes"] == "Corrected."


def test_next_since_is_the_walk_start_minus_the_safety_margin(world) -> None:
    SupervisionContactFactory(case=world.case)
    client = key_client(world.lead)
    with freeze_time("2026-03-02T12:00:00Z"):
        page = client.get(CONTACTS, {"updated_since": "2026-01-01T00:00:00Z"}).json()
    expected = datetime(2026, 3, 2, 12, tzinfo=UTC) - SYNC_SAFETY_MARGIN
    assert datetime.fromisoformat(page["next_since"]) == expected
    # a since later than that is kept (never goes backwards past what was asked)
    with freeze_time("2026-03-02T12:00:00Z"):
        page = client.get(CONTACTS, {"updated_since": "2026-03-02T11:59:00Z"}).json()
    assert datetime.fromisoformat(page["next_since"]) == datetime(2026, 3, 2, 11, 59, tzinfo=UTC)


def test_sync_lists_only_what_the_caller_may_see_with_only_its_fields(world) -> None:
    since = timezone.now() - timedelta(hours=1)
    SupervisionContactFactory(case=world.case)
    partner = AgencyFactory()
    share(world.case, partner, RecordType.CONTACTS, ["contact_at", "contact_type"])
    partner_rows, _ = walk(
        key_client(partner, Role.SUPERVISION_OFFICER), CONTACTS, {"updated_since": since}
    )
    outsider_rows, _ = walk(
        key_client(AgencyFactory(), Role.CASE_MANAGER), CONTACTS, {"updated_since": since}
    )
    assert [set(r) for r in partner_rows] == [{"id", "case", "contact_at", "contact_type"}]
    assert outsider_rows == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2026-01-01T00:00:00Z", "cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_bad_sync_parameters_answer_400_naming_them(world, params, field) -> None:
    response = key_client(world.lead).get(CONTACTS, params)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert field in response.json()["errors"]


def test_reference_data_without_change_times_refuses_updated_since(world) -> None:
    response = key_client(world.lead).get(
        "/api/v1/instruments/", {"updated_since": "2026-01-01T00:00:00Z"}
    )
    assert response.status_code == 400
    assert "updated_since" in response.json()["errors"]


def test_without_updated_since_lists_keep_page_numbers(world) -> None:
    SupervisionContactFactory(case=world.case)
    page = key_client(world.lead).get(CONTACTS).json()
    assert page["count"] == 1 and "next_since" not in page


def test_nested_child_changes_move_the_parent(world) -> None:
    # given an enrollment last synced an hour ago
    from cases.models import TreatmentEnrollment
    from tests.factories_contacts import TreatmentReportFactory

    hour_ago = timezone.now() - timedelta(hours=1)
    TreatmentEnrollment.objects.filter(pk=world.enrollment.pk).update(updated_at=hour_ago)
    since = timezone.now() - timedelta(minutes=1)
    client = key_client(world.lead)
    url = "/api/v1/treatment-enrollments/"
    assert client.get(url, {"updated_since": since}).json()["results"] == []
    # when a monthly report is added to it
    TreatmentReportFactory(enrollment=world.enrollment)
    # then the enrollment (which shows its reports) is sent again
    rows = client.get(url, {"updated_since": since}).json()["results"]
    assert [r["id"] for r in rows] == [world.enrollment.pk]
    assert len(rows[0]["reports"]) == 1


def test_sync_page_query_count_does_not_grow_with_rows(
    world, django_assert_max_num_queries
) -> None:
    since = (timezone.now() - timedelta(hours=1)).isoformat()
    client = key_client(world.lead)
    SupervisionContactFactory(case=world.case)
    client.get(CONTACTS, {"updated_since": since})  # warm caches (permission ids)
    with django_assert_max_num_queries(12) as few:
        client.get(CONTACTS, {"updated_since": since})
    for _ in range(20):
        SupervisionContactFactory(case=world.case)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(CONTACTS, {"updated_since": since, "page_size": 50})
