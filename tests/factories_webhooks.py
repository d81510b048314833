"""Webhook subscriptions around a case, and what was queued for them (the outbox)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from agencies.choices import RecordType
from agencies.models import Agency
from cases.models import Case
from mou.choices import TermScope
from sartcm.models import OutboxMessage, WebhookEvent, WebhookSubscription
from sartcm.webhooks import new_secret
from tests.factories import AgencyFactory
from tests.factories_registration import share


def subscribe(agency: Agency, events: Iterable[str], active: bool = True) -> WebhookSubscription:
    return WebhookSubscription.objects.create(
        agency=agency,
        name=f"{agency.short_name} system",
        url="https://agency.example.test/hook",
        secret=new_secret(),
        events=list(events),
        active=active,
    )


def heard(event: str) -> list[tuple[int, dict[str, Any]]]:
    """(agency id, body) of each queued message of `event`, by agency."""
    agency_of = dict(WebhookSubscription.objects.values_list("pk", "agency_id"))
    rows = [
        (agency_of[message.payload["subscription_id"]], message.payload["body"])
        for message in OutboxMessage.objects.filter(kind="webhook", payload__event=event)
    ]
    return sorted(rows, key=lambda row: (row[0], json.dumps(row[1], sort_keys=True)))


def forget_queued() -> None:
    OutboxMessage.objects.filter(kind="webhook").delete()


def as_json(value: Any) -> Any:
    """`value` as a receiver reads it (dates and times in ISO 8601, times in UTC with
    microseconds)."""

    def default(v: Any) -> str:
        if isinstance(v, dt.datetime):
            return v.astimezone(dt.UTC).isoformat(timespec="microseconds")
        return v.isoformat() if isinstance(v, dt.date) else str(v)

    return json.loads(json.dumps(value, default=default))


def assert_heard_once(
    event: str, keys: dict[str, Any], fields: dict[str, Any], allowed: dict[int, Any]
) -> None:
    """One message of `event` per agency of `allowed` (agency id → the field names it may see,
    None for all) and no other, each with `keys` and exactly the `fields` it may see."""
    rows = heard(event)
    assert sorted(agency_id for agency_id, _ in rows) == sorted(allowed)
    for agency_id, body in rows:
        names = fields if allowed[agency_id] is None else allowed[agency_id]
        assert body == as_json({**keys, **{name: fields[name] for name in names}}), agency_id


def listeners(case: Case, record_type: str, fields: list[str], event: str) -> SimpleNamespace:
    """Every kind of agency subscribed to `event` around `case`: its lead agency and a partner
    sharing `fields` of `record_type` hear it; a partner sharing only another record type, one
    whose term covers only assigned cases (not on the team), one whose MOU has expired (stale
    grant notwithstanding), a deactivated one and an outsider do not. The lead agency also has
    a subscription to another event and the partner a switched-off one."""
    lead = case.lead_agency
    partner = AgencyFactory(short_name="PARTNR")
    share(case, partner, record_type, fields)
    other_type = AgencyFactory(short_name="OTHER")
    share(case, other_type, RecordType.STATUS, ["status"])
    unassigned = AgencyFactory(short_name="UNASSG")
    share(case, unassigned, record_type, fields, scope=TermScope.ASSIGNED)
    expired = AgencyFactory(short_name="EXPIRD")
    share(case, expired, record_type, fields, on=dt.date(2021, 1, 1))
    deactivated = AgencyFactory(short_name="GONE")
    share(case, deactivated, record_type, fields)
    Agency.objects.filter(pk=deactivated.pk).update(active=False)
    outsider = AgencyFactory(short_name="OUTSDR")
    for agency in (lead, partner, other_type, unassigned, expired, deactivated, outsider):
        subscribe(agency, [event])
    subscribe(lead, [e for e in WebhookEvent.values if e != event])
    subscribe(partner, [event], active=False)
    return SimpleNamespace(lead=lead, partner=partner, allowed={lead.pk: None, partner.pk: fields})
