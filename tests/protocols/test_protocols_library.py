"""The protocol library: versions and adoption, diffs, safe rendering, acknowledgments."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from agencies.choices import Role
from protocols import services
from protocols.choices import ProtocolArea, VersionStatus
from protocols.models import Acknowledgment, ProtocolVersion
from protocols.rendering import diff_lines, render_markdown, unified_diff
from tests.factories import StaffFactory
from tests.factories_protocols import ProtocolFactory, ProtocolVersionFactory, make_personas

pytestmark = pytest.mark.django_db


def adopted(version: ProtocolVersion, on: date, agencies: list) -> ProtocolVersion:
    """Mark a version adopted on `on` by `agencies` (test set-up, no service)."""
    version.status = VersionStatus.ADOPTED
    version.effective_from = on
    version.adopted_at = timezone.make_aware(datetime(on.year, on.month, on.day, 9))
    version.save()
    version.adopting_agencies.set(agencies)
    return version


# --------------------------------------------------------------------------- versions


def test_adopting_a_version_retires_the_one_adopted_before() -> None:
    people = make_personas()
    editor = people.supervisor.user
    protocol = services.create_protocol(
        editor,
        area=ProtocolArea.POSITION_POLYGRAPH,
        title="Use of polygraphs",
        applies_to_roles=[Role.SUPERVISION_OFFICER],
    )
    first = services.create_version(protocol, editor, body="Version one.")
    services.adopt_version(first, editor, date(2026, 1, 1))
    second = services.create_version(protocol, editor, body="Version two.")
    # when the second is adopted
    services.adopt_version(second, editor, date(2026, 6, 1))
    # then the first is retired and only the second is adopted, by the editor's agency
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == (VersionStatus.RETIRED, VersionStatus.ADOPTED)
    assert second.number == 2 and second.adopted_at is not None
    assert list(second.adopting_agencies.all()) == [people.agency]
    assert protocol.owner_agency == people.agency
    # and the version in force depends on the date
    assert services.version_in_force(protocol, date(2026, 3, 1)) == first
    assert services.version_in_force(protocol, date(2026, 7, 1)) == second
    assert services.version_in_force(protocol, date(2025, 7, 1)) is None


def test_adopted_text_cannot_be_edited_and_drafts_need_text() -> None:
    editor = make_personas().admin.user
    protocol = services.create_protocol(editor, area=ProtocolArea.HOUSING, title="Housing")
    version = services.create_version(protocol, editor, body="Draft.")
    services.adopt_version(version, editor, date(2026, 1, 1))
    with pytest.raises(ValidationError) as caught:
        services.update_draft(version, editor, body="Sneaky change.")
    assert "status" in caught.value.message_dict
    with pytest.raises(ValidationError) as empty:
        services.create_version(protocol, editor, body="   ")
    assert empty.value.message_dict["body"] == ["A version needs text."]


def test_adoption_cannot_go_back_before_the_version_in_force() -> None:
    editor = make_personas().admin.user
    protocol = services.create_protocol(editor, area=ProtocolArea.HOUSING, title="Housing")
    services.adopt_version(
        services.create_version(protocol, editor, body="A"), editor, date(2026, 6, 1)
    )
    later = services.create_version(protocol, editor, body="B")
    with pytest.raises(ValidationError) as caught:
        services.adopt_version(later, editor, date(2026, 1, 1))
    assert "effective_from" in caught.value.message_dict


def test_only_editors_write_protocols() -> None:
    people = make_personas()
    with pytest.raises(PermissionDenied):
        services.create_protocol(people.staff.user, area=ProtocolArea.HOUSING, title="Nope")
    protocol = ProtocolFactory()
    with pytest.raises(PermissionDenied):
        services.create_version(protocol, people.other_staff.user, body="Nope")


def test_unknown_roles_are_refused() -> None:
    editor = make_personas().admin.user
    with pytest.raises(ValidationError) as caught:
        services.create_protocol(
            editor, area=ProtocolArea.HOUSING, title="Housing", applies_to_roles=["wizard"]
        )
    assert caught.value.message_dict["applies_to_roles"] == ["Unknown role(s): wizard."]


# --------------------------------------------------------------------------- diff and rendering


def test_diff_shows_removed_and_added_lines_with_context() -> None:
    old = "\n".join(f"line {n}" for n in range(1, 21))
    new = old.replace("line 10", "line ten").replace("line 20", "line 20\nline 21")
    rows = diff_lines(old, new, context=2)
    changes = [(r.kind, r.old, r.new, r.text) for r in rows if r.kind in {"delete", "insert"}]
    assert changes == [
        ("delete", 10, None, "line 10"),
        ("insert", None, 10, "line ten"),
        ("insert", None, 21, "line 21"),
    ]
    skips = [r.text for r in rows if r.kind == "skip"]
    assert skips == ["7 unchanged lines", "6 unchanged lines"]  # 1–7 and 13–18
    text = unified_diff(old, new, "version 1", "version 2")
    assert "-line 10\n+line ten" in text and text.startswith("--- version 1")


def test_identical_versions_have_no_changes() -> None:
    assert diff_lines("a\nb", "a\nb") == []


def test_markdown_is_rendered_and_sanitized() -> None:
    body = (
        "# Heading\n\nSee [the SOP](https://example.org/sop) and **read** it.\n\n"
        "<script>alert('x')</script>\n\n"
        "[click](javascript:alert(1))\n\n"
        '<img src="x" onerror="alert(2)">\n\n'
        '<a href="https://example.org" onclick="steal()">ok</a>\n\n'
        "| a | b |\n|---|---|\n| 1 | 2 |\n"
    )
    html = str(render_markdown(body))
    assert "<h1>Heading</h1>" in html
    assert '<a href="https://example.org/sop" rel="noopener noreferrer">the SOP</a>' in html
    assert "<strong>read</strong>" in html
    assert "<table>" in html and "<td>1</td>" in html
    lowered = html.lower()
    assert "<script" not in lowered and "alert('x')" not in lowered
    assert "javascript:" not in lowered
    assert "onerror" not in lowered and "onclick" not in lowered
    assert "<img" not in lowered


# --------------------------------------------------------------------------- acknowledgments


def test_unacknowledged_lists_who_owes_which_version_with_a_due_date() -> None:
    people = make_personas()
    officer_b = people.other_staff
    protocol = ProtocolFactory(applies_to_roles=[Role.SUPERVISION_OFFICER, Role.SUPERVISOR])
    version = adopted(ProtocolVersionFactory(protocol=protocol), date(2026, 3, 2), [people.agency])
    version.acknowledge_within_days = 14
    version.save()
    # given: the officer and the supervisor of agency A owe it; the admin's role is not listed;
    # agency B has not adopted it; an inactive officer owes nothing
    StaffFactory(agency=people.agency, roles=[Role.SUPERVISION_OFFICER], active=False)
    # when asked on a date after adoption
    rows = list(services.unacknowledged(date(2026, 3, 10)))
    # then
    assert {(r["staff_id"], r["version_id"]) for r in rows} == {
        (people.staff.pk, version.pk),
        (people.supervisor.pk, version.pk),
    }
    assert {r["due_date"] for r in rows} == {date(2026, 3, 16)}
    assert {r["agency_id"] for r in rows} == {people.agency.pk}
    assert {r["protocol_id"] for r in rows} == {protocol.pk}
    assert officer_b.pk not in {r["staff_id"] for r in rows}
    # and before adoption nobody owes anything
    assert list(services.unacknowledged(date(2026, 3, 1))) == []


def test_acknowledging_removes_the_row_and_is_idempotent() -> None:
    people = make_personas()
    version = adopted(ProtocolVersionFactory(), date(2026, 3, 2), [people.agency])
    first = services.acknowledge(version, people.staff.user)
    again = services.acknowledge(version, people.staff.user)
    assert first.pk == again.pk and Acknowledgment.objects.count() == 1
    owed = {r["staff_id"] for r in services.unacknowledged(timezone.localdate())}
    assert people.staff.pk not in owed


def test_a_new_adopted_version_must_be_acknowledged_again() -> None:
    people = make_personas()
    editor = people.admin.user
    protocol = ProtocolFactory()
    v1 = adopted(ProtocolVersionFactory(protocol=protocol), date(2026, 1, 5), [people.agency])
    services.acknowledge(v1, people.staff.user)
    v2 = services.create_version(protocol, editor, body="Updated")
    services.adopt_version(v2, editor, timezone.localdate())
    rows = list(services.unacknowledged(timezone.localdate()))
    assert [(r["staff_id"], r["version_id"]) for r in rows] == [(people.staff.pk, v2.pk)]
    assert rows[0]["due_date"] == timezone.localdate() + timedelta(days=30)


def test_only_the_adopted_version_can_be_acknowledged() -> None:
    people = make_personas()
    draft = ProtocolVersionFactory()
    with pytest.raises(ValidationError):
        services.acknowledge(draft, people.staff.user)
    with pytest.raises(PermissionDenied):
        services.acknowledge(draft, people.no_staff_user)


def test_another_agency_joins_an_adopted_version() -> None:
    people = make_personas()
    version = adopted(ProtocolVersionFactory(), date(2026, 3, 2), [people.agency])
    services.join_adoption(version, people.other_admin.user)
    owed = {r["staff_id"] for r in services.unacknowledged(date(2026, 3, 3))}
    assert people.other_staff.pk in owed
    assert services.must_acknowledge(people.other_staff, version)
    assert not services.must_acknowledge(people.other_admin, version)


def test_unacknowledged_is_one_query(django_assert_max_num_queries) -> None:  # noqa: ANN001
    people = make_personas()
    for _ in range(3):
        adopted(ProtocolVersionFactory(), date(2026, 3, 2), [people.agency, people.other_agency])
    with django_assert_max_num_queries(1):
        rows = list(services.unacknowledged(date(2026, 4, 1)))
    assert len(rows) == 6  # two officers × three protocols
