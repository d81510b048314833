"""A sync limited to a few cases (every case-team change) runs as two PL/pgSQL functions whose
plans each connection keeps (docs/performance.md, design change 13): the functions are the
planned statements' own text, installed by `migrate`, and they change exactly what the
planned statements change."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext

from agencies.choices import RecordType
from cases import access
from cases.access import CASE_SYNC_FUNCTIONS, case_sync_function_sql, sync_grants
from cases.models import CaseGroupObjectPermission
from mou.choices import TermScope
from sartcm.models import AuditAction, AuditEvent, SyncTombstone
from tests.factories import AssignmentFactory, CaseFactory
from tests.factories_access import agency, mou_with_terms, term_spec

pytestmark = pytest.mark.django_db


def installed_bodies() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%s)",
            [list(CASE_SYNC_FUNCTIONS)],
        )
        return dict(cursor.fetchall())


def test_migrate_installs_the_functions_as_the_code_writes_them() -> None:
    # the test database was built by `migrate`; its post_migrate hook installed the functions
    expected = {
        name: sql.split("$sartcm$")[1]
        for name, sql in zip(CASE_SYNC_FUNCTIONS, case_sync_function_sql(), strict=True)
    }
    assert installed_bodies() == expected
    assert "%(" not in "".join(expected.values())  # every parameter became an argument


def test_a_case_team_change_calls_the_functions(django_assert_num_queries: Any) -> None:
    doc, csa = agency("PDOC"), agency("PCSA")
    case = CaseFactory(lead_agency=doc)
    mou_with_terms(doc, {csa: [term_spec(RecordType.STATUS, ["status"])]})
    with CaptureQueriesContext(connection) as queries:
        AssignmentFactory(case=case, agency=csa)
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert all(f"FROM {name}(" in sql for name in CASE_SYNC_FUNCTIONS)
    assert "INSERT INTO cases_casegroupobjectpermission" not in sql


def test_more_cases_than_the_limit_go_through_planned_statements(monkeypatch: Any) -> None:
    doc, csa = agency("PDOC"), agency("PCSA")
    cases = [CaseFactory(lead_agency=doc) for _ in range(3)]
    mou_with_terms(doc, {csa: [term_spec(RecordType.STATUS, ["status"])]})
    monkeypatch.setattr(access, "CASE_SYNC_MAX_CASES", 2)
    with CaptureQueriesContext(connection) as queries:
        sync_grants(case_ids=[c.pk for c in cases])
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    assert not any(name in sql for name in CASE_SYNC_FUNCTIONS)
    assert "INSERT INTO cases_casegroupobjectpermission" in sql


def _tamper_and_sync(case: Any, team: Any, outsider: Any, csa: Any) -> tuple[Any, ...]:
    """Grants off by one in each direction: sync the case and return what changed (result,
    grants, tombstones, the sync's audit batches)."""
    CaseGroupObjectPermission.objects.filter(content_object=case).delete()
    rogue = Permission.objects.get(codename="view_polygraph")
    CaseGroupObjectPermission.objects.create(
        group=outsider.group, permission=rogue, content_object=case
    )
    CaseGroupObjectPermission.objects.create(
        group=csa.group,
        permission=Permission.objects.get(codename="view_status"),
        content_object=case,
    )
    seen = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    SyncTombstone.objects.all().delete()
    result = sync_grants(case_ids=[case.pk], reason="test")
    state = (
        (result.granted, result.revoked),
        sorted(
            CaseGroupObjectPermission.objects.filter(content_object=case).values_list(
                "group__agency__short_name", "permission__codename"
            )
        ),
        sorted(SyncTombstone.objects.values_list("agency_id", "record_type", "case_id")),
        sorted(
            AuditEvent.objects.filter(
                id__gt=seen, action__in=[AuditAction.GRANT, AuditAction.REVOKE]
            ).values_list("action", "recipient_agency_id", "case_id", "detail")
        ),
    )
    return state


def test_the_functions_change_what_the_planned_statements_change(monkeypatch: Any) -> None:
    doc, csa, team, outsider = agency("PDOC"), agency("PCSA"), agency("HVS"), agency("OUT")
    case = CaseFactory(lead_agency=doc)
    AssignmentFactory(case=case, agency=team)
    mou_with_terms(
        doc,
        {
            team: [
                term_spec(RecordType.STATUS, ["status"], ["view", "change"]),
                term_spec(RecordType.IDENTITY, ["last_name"], scope=TermScope.ALL),
            ],
            csa: [term_spec(RecordType.STATUS, ["status"])],  # not on the team: loses it
            outsider: [term_spec(RecordType.POLYGRAPH, ["result"])],
        },
    )
    through_functions = _tamper_and_sync(case, team, outsider, csa)
    monkeypatch.setattr(access, "CASE_SYNC_MAX_CASES", 0)
    through_statements = _tamper_and_sync(case, team, outsider, csa)
    assert through_functions == through_statements
    (counts, rows, tombstones, audit) = through_functions
    assert counts == (2, 2)  # the team's view and change back; CSA's and the rogue one gone
    assert rows == [("HVS", "change_status"), ("HVS", "view_status")]
    assert tombstones == sorted([(outsider.pk, "polygraph", case.pk), (csa.pk, "status", case.pk)])
    assert len(audit) == 3 and {a[0] for a in audit} == {AuditAction.GRANT, AuditAction.REVOKE}
