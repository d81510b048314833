"""Bulk import of registration events through the registration service: lateness with the
holiday calendar, all-or-nothing, missing and invisible registrations alike, and exactly the
effects of the single-record API (status, alerts, outbox, audit) for every imported row."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db.models import Count
from freezegun import freeze_time

from agencies.choices import RecordType, Role
from cases.alerts.engine import run_sweep
from cases.models import Alert, Case, RegistrationEvent, RegistrationRecord
from sartcm.models import AuditAction, AuditEvent, OutboxMessage, WebhookEvent, WebhookSubscription
from sartcm.webhooks import new_secret
from tests.factories import AgencyFactory, CaseFactory
from tests.factories_contacts import HolidayFactory, share
from tests.factories_sync import RegistrationRecordFactory, key_client

pytestmark = pytest.mark.django_db

BULK = "/api/v1/bulk/registration-events/"


@pytest.fixture
def registration():
    HolidayFactory(date=dt.date(2026, 7, 3))  # the Friday after a Thursday change
    return RegistrationRecordFactory()


def test_a_change_reported_within_three_business_days_is_on_time_and_later_is_late(
    registration,
) -> None:
    # given a change on Thursday 2 July; Friday 3 July is a holiday -> due Wednesday 8 July
    client = key_client(registration.case.lead_agency, Role.REGISTRY_OFFICER)
    rows = [
        {
            "registration": registration.pk,
            "kind": "residence",
            "changed_on": "2026-07-02",
            "reported_on": "2026-07-08",
        },
        {
            "registration": registration.pk,
            "kind": "employment",
            "changed_on": "2026-07-02",
            "reported_on": "2026-07-09",
        },
    ]
    # when both are imported
    response = client.post(BULK, rows)
    # then the first is on time and the second late, each with its deadline
    assert response.status_code == 201, response.content
    events = RegistrationEvent.objects.filter(pk__in=response.json()["ids"]).order_by("pk")
    assert [(e.due_by, e.late) for e in events] == [
        (dt.date(2026, 7, 8), False),
        (dt.date(2026, 7, 8), True),
    ]
    assert all(e.case_id == registration.case_id for e in events)


def test_periodic_verification_is_due_by_the_registrations_next_due_date(registration) -> None:
    client = key_client(registration.case.lead_agency, Role.REGISTRY_OFFICER)
    response = client.post(
        BULK,
        "registration,kind,changed_on,reported_on\n"
        f"{registration.pk},periodic,2026-03-02,2026-03-02\n",
        content_type="text/csv",
    )
    assert response.status_code == 201, response.content
    event = RegistrationEvent.objects.get()
    assert (event.due_by, event.late) == (dt.date(2026, 3, 1), True)


def test_any_failing_row_saves_nothing_and_all_are_reported(registration) -> None:
    invisible = RegistrationRecordFactory()
    client = key_client(registration.case.lead_agency, Role.REGISTRY_OFFICER)
    rows = [
        {"registration": registration.pk, "kind": "name", "changed_on": "2026-07-20"},
        {"registration": invisible.pk, "kind": "name", "changed_on": "2026-07-20"},
        {"registration": registration.pk, "kind": "haircut", "changed_on": "2026-07-20"},
        {
            "registration": registration.pk,
            "kind": "name",
            "changed_on": "2026-07-20",
            "reported_on": "2026-07-19",
        },
        {"registration": registration.pk, "kind": "name", "changed_on": "2999-09-01"},
        {"registration": registration.pk, "kind": "name", "changed_on": "2026-07-20", "tier": "I"},
    ]
    response = client.post(BULK, rows)
    assert response.status_code == 422
    assert RegistrationEvent.objects.count() == 0
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [
        (2, "registration"),
        (3, "kind"),
        (4, "changed_on"),  # the service's rule: the change on or before the report
        (5, "changed_on"),
        (6, "tier"),
    ]
    assert response.json()["errors"][0]["message"] == "Not found."


def test_a_partner_without_shared_events_is_refused_and_an_outsider_gets_not_found(
    registration,
) -> None:
    partner = AgencyFactory()
    share(
        registration.case,
        partner,
        RecordType.REGISTRATION,
        ["tier", "status"],
        actions=("view", "add"),
    )
    row = {"registration": registration.pk, "kind": "name", "changed_on": "2026-07-20"}
    refused = key_client(partner, Role.REGISTRY_OFFICER).post(BULK, [row])
    outsider = key_client(AgencyFactory(), Role.REGISTRY_OFFICER).post(BULK, [row])
    assert refused.status_code == outsider.status_code == 422
    assert "not shared" in refused.json()["errors"][0]["message"]
    assert outsider.json()["errors"][0]["message"] == "Not found."
    assert RegistrationEvent.objects.count() == 0
    # once the partner's term shares events, it may add them
    share(registration.case, partner, RecordType.REGISTRATION, ["events"], actions=("view", "add"))
    accepted = key_client(partner, Role.REGISTRY_OFFICER).post(BULK, [row])
    assert accepted.status_code == 201, accepted.content


# --- the same effects as one by one -----------------------------------------------------------

SINGLE = "/api/v1/registration-events/"
TODAY = "2026-07-09 15:00:00"  # a Thursday; 10:00 in the agency's time zone


def twins(agency=None):
    """Two registrations alike in every way that matters (same agency, dates, tier), both overdue
    for verification since 1 June, with a subscription to every webhook event."""
    agency = agency or AgencyFactory()
    WebhookSubscription.objects.create(
        agency=agency,
        name="Registry system",
        url="https://registry.example.test/hook",
        secret=new_secret(),
        events=list(WebhookEvent.values),
    )
    return [
        RegistrationRecordFactory(
            case=CaseFactory(lead_agency=agency), next_verification_due=dt.date(2026, 6, 1)
        )
        for _ in range(2)
    ]


def effects(registration, event_pk: int) -> dict:
    """What recording the event did, with the ids that must differ between twins left out."""
    case = Case.objects.get(pk=registration.case_id)
    event = RegistrationEvent.objects.get(pk=event_pk)
    record = RegistrationRecord.objects.get(pk=registration.pk)
    alerts = Alert.objects.unrestricted().filter(case_id=case.pk)
    audits = AuditEvent.objects.filter(case_id=case.pk).exclude(
        action__in=[AuditAction.VIEW, AuditAction.LIST]
    )
    return {
        "event": (event.kind, event.changed_on, event.reported_on, event.due_by, event.late),
        "event_details": event.details,
        "recorded_by": event.recorded_by_id,
        "registration": (record.status, record.last_verified_on, record.next_verification_due),
        "case_version": case.version,
        "alerts": sorted(
            (a.rule, a.status, a.due_date, a.severity, a.message.replace(case.case_number, "#"))
            for a in alerts
        ),
        "audit": sorted(
            (a.action, a.outcome, a.object_type, json.dumps(a.changes, sort_keys=True))
            for a in audits
        ),
    }


def outbox_added(before: dict) -> dict:
    now = dict(OutboxMessage.objects.values_list("kind").annotate(n=Count("id")).order_by())
    return {kind: n - before.get(kind, 0) for kind, n in now.items() if n != before.get(kind, 0)}


def outbox_counts() -> dict:
    return dict(OutboxMessage.objects.values_list("kind").annotate(n=Count("id")).order_by())


@pytest.mark.parametrize(
    "event",
    [
        # a move reported 5 business days after the change: late, "update reported late"
        {"kind": "residence", "changed_on": "2026-07-01", "reported_on": "2026-07-08"},
        # the overdue verification, made today: late, status back to compliant, next due moved,
        # the overdue alert resolved
        {"kind": "periodic", "changed_on": "2026-07-09", "reported_on": "2026-07-09"},
        # a new job reported in time
        {"kind": "employment", "changed_on": "2026-07-06", "reported_on": "2026-07-09"},
    ],
    ids=["late-move", "overdue-verification", "timely-job"],
)
def test_a_bulk_imported_event_has_exactly_the_effects_of_a_single_create(event) -> None:
    with freeze_time(TODAY):
        # given twin registrations, both overdue (the sweep has marked them and raised alerts)
        one, other = twins()
        run_sweep()
        assert RegistrationRecord.objects.get(pk=one.pk).status == "non_compliant"
        client = key_client(one.case.lead_agency, Role.REGISTRY_OFFICER)
        row = {**event, "details": "Reported at the front desk (fictional)."}
        # when the same report is recorded once through the single API and once in bulk (CSV)
        before = outbox_counts()
        single = client.post(SINGLE, {"registration": one.pk, **row})
        by_single = outbox_added(before)
        before = outbox_counts()
        csv_text = "registration," + ",".join(row) + "\n" + f"{other.pk}," + ",".join(row.values())
        bulk = client.post(BULK, csv_text + "\n", content_type="text/csv")
        by_bulk = outbox_added(before)
    # then both are saved, with the same event, registration, alert, audit and outbox effects
    assert single.status_code == 201, single.content
    assert bulk.status_code == 201, bulk.content
    assert effects(other, bulk.json()["ids"][0]) == effects(one, single.json()["id"])
    assert by_bulk == by_single


def test_the_effects_really_happen_on_bulk(registration) -> None:
    """The comparison above is between real effects: a late periodic verification in bulk moves
    the registration, resolves its overdue alert, raises "update reported late" and audits."""
    with freeze_time(TODAY):
        one, _ = twins()
        run_sweep()
        client = key_client(one.case.lead_agency, Role.REGISTRY_OFFICER)
        response = client.post(
            BULK, [{"registration": one.pk, "kind": "periodic", "changed_on": "2026-07-09"}]
        )
    assert response.status_code == 201, response.content
    record = RegistrationRecord.objects.get(pk=one.pk)
    assert (record.status, record.last_verified_on, record.next_verification_due) == (
        "compliant",
        dt.date(2026, 7, 9),
        dt.date(2026, 12, 1),
    )
    alerts = dict(
        Alert.objects.unrestricted().filter(case_id=one.case_id).values_list("rule", "status")
    )
    assert alerts == {"registration_overdue": "resolved", "update_late": "open"}
    audit = AuditEvent.objects.get(action="create", object_type="cases.registrationevent")
    assert audit.changes["after"]["late"] is True
    assert audit.changes["registration"]["before"]["status"] == "non_compliant"
    assert audit.changes["registration"]["after"]["status"] == "compliant"


def test_one_bad_row_saves_nothing_not_even_the_service_effects_of_the_good_rows() -> None:
    with freeze_time(TODAY):
        # given an overdue registration and a batch whose first row would make it compliant
        one, other = twins()
        run_sweep()
        ended = RegistrationRecordFactory(case=CaseFactory(lead_agency=one.case.lead_agency))
        ended.status = "ended"
        ended.save(update_fields=["status"])
        before = outbox_counts()
        client = key_client(one.case.lead_agency, Role.REGISTRY_OFFICER)
        audits = AuditEvent.objects.count()
        rows = [
            {"registration": one.pk, "kind": "periodic", "changed_on": "2026-07-09"},
            {"registration": other.pk, "kind": "residence", "changed_on": "2026-06-01"},
            # found only by the service when it saves: the registration has ended
            {"registration": ended.pk, "kind": "name", "changed_on": "2026-07-08"},
        ]
        # when it is imported
        response = client.post(BULK, rows)
    # then the failure is reported on its row, and nothing of the good rows remains
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "row": 3,
            "field": "status",
            "message": "This registration has ended; it cannot be changed.",
        }
    ]
    assert RegistrationEvent.objects.count() == 0
    for registration in (one, other):
        record = RegistrationRecord.objects.get(pk=registration.pk)
        assert (record.status, record.last_verified_on) == ("non_compliant", None)
    open_rules = set(
        Alert.objects.unrestricted().filter(status="open").values_list("case_id", "rule")
    )
    assert open_rules == {
        (one.case_id, "registration_overdue"),
        (other.case_id, "registration_overdue"),
    }
    assert outbox_added(before) == {}
    assert AuditEvent.objects.count() == audits  # no audited write survives


def test_query_count_grows_by_a_fixed_cost_per_row_and_alerts_are_refreshed_once(
    django_assert_max_num_queries,
) -> None:
    with freeze_time(TODAY):
        registrations = [
            RegistrationRecordFactory(case=CaseFactory(lead_agency=agency))
            for agency in [AgencyFactory()]
            for _ in range(5)
        ]
        client = key_client(registrations[0].case.lead_agency, Role.REGISTRY_OFFICER)

        def rows(n: int) -> list[dict]:
            return [
                {"registration": r.pk, "kind": "name", "changed_on": "2026-07-08"}
                for r in registrations[:n]
            ]

        client.post(BULK, rows(1))  # warm the caches of the key and the schedule
        RegistrationEvent.objects.all().delete()
        counts = {}
        for n in (1, 3, 5):
            with django_assert_max_num_queries(400) as ctx:
                assert client.post(BULK, rows(n)).status_code == 201
            counts[n] = ctx.captured_queries
    sizes = {n: len(q) for n, q in counts.items()}
    per_row = (sizes[3] - sizes[1]) / 2
    assert sizes[5] - sizes[3] == sizes[3] - sizes[1]  # a fixed cost per row
    assert per_row <= 12  # record_event alone (11 today): lock, schedule, insert, audit…
    # the alert rules run once per batch, not once per row
    locks = {n: sum("pg_advisory_xact_lock" in q["sql"] for q in qs) for n, qs in counts.items()}
    assert locks[1] == locks[5] > 0
    # and validating bad rows costs nothing per row
    bad = [{"registration": registrations[0].pk, "kind": "seance", "changed_on": "2026-07-08"}]
    with django_assert_max_num_queries(400) as one_bad:
        client.post(BULK, bad)
    with django_assert_max_num_queries(len(one_bad.captured_queries)):
        client.post(BULK, bad * 20)
