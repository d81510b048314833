"""Regressions found by schemathesis and the full suite after the topics were merged: malformed
ids on detail actions are 404 (not 500), and the throttle follows a frozen clock."""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from agencies.choices import Role
from sartcm.api.throttling import PerClientThrottle
from tests.factories_contacts import build_world
from tests.factories_sync import RegistrationRecordFactory, key_client


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/alerts/{id}/acknowledge/",
        "/api/v1/alerts/{id}/resolve/",
        "/api/v1/registrations/{id}/status/",
    ],
)
@pytest.mark.parametrize("bad_id", ["null,null", "abc", "99999999999999999999"])
def test_a_malformed_id_on_a_detail_action_is_not_found(path: str, bad_id: str) -> None:
    # given a lead agency's system with a registration on its case
    world = build_world()
    RegistrationRecordFactory(case=world.case)
    client = key_client(world.lead, Role.CASE_MANAGER, Role.REGISTRY_OFFICER)
    # when it posts to the action with an id that is not a number
    response = client.post(
        path.format(id=bad_id), {"note": "x", "status": "x", "reason": "x"}, format="json"
    )
    # then the answer is the same 404 problem as for a missing record
    assert response.status_code == 404, response.content
    assert response["Content-Type"].startswith("application/problem+json")


def test_the_throttle_reads_the_clock_when_it_is_called() -> None:
    # given a throttle created before the clock is frozen
    throttle = PerClientThrottle()
    # when the clock is frozen (as freezegun does in tests that make API calls)
    with freeze_time("2026-03-16 15:00:00+00:00"):
        # then the throttle sees the frozen time, and calling it binds no instance argument
        assert throttle.timer() == 1773673200.0
