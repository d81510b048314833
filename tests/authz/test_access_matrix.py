"""The authorization matrix: every persona × every resource of the registry × every channel.

Signed-in personas get 404 for what they may not see and 200 with exactly the permitted
fields for what they may; a write to something they may see but not change answers 404 and
changes nothing; anonymous and deactivated users are sent to the login page (pages) or
refused (API) and see nothing.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.authz.conftest import client_for
from tests.authz.personas import BY_NAME as PERSONAS
from tests.authz.personas import PERSONA_NAMES, Persona
from tests.authz.resources import BY_NAME as RESOURCES
from tests.authz.resources import RESOURCES as RESOURCE_LIST
from tests.authz.resources import Resource
from tests.authz.world import World

pytestmark = pytest.mark.django_db

API_REFUSED = {401, 403}

CASES = [
    (persona, resource.name, channel)
    for resource in RESOURCE_LIST
    for channel in resource.channels()
    for persona in PERSONA_NAMES
]


def rows_of(response: Any) -> list[dict[str, Any]]:
    body = response.json()
    return body["results"] if isinstance(body, dict) and "results" in body else body


def check_page_list(
    client: Client, persona: Persona, resource: Resource, obj: Any, expected: Any
) -> None:
    response = client.get(reverse(resource.page_list))
    if not persona.signed_in:
        assert response.status_code == 302 and "/login/" in response["Location"]
        return
    assert response.status_code == 200
    listed = resource.page_text(obj) in response.content.decode()
    assert listed is (expected is not None)


def check_page(client: Client, persona: Persona, url: str, expected: Any) -> None:
    response = client.get(url)
    if not persona.signed_in:
        assert response.status_code == 302 and "/login/" in response["Location"]
    elif expected is None:
        assert response.status_code == 404
    else:
        assert response.status_code == 200


def check_page_detail(
    client: Client, persona: Persona, resource: Resource, obj: Any, expected: Any
) -> None:
    check_page(client, persona, reverse(resource.page_detail, args=[obj.pk]), expected)


def check_page_case(
    client: Client, persona: Persona, resource: Resource, obj: Any, expected: Any
) -> None:
    # the case's page for this record type: 404 unless the persona may see the record type
    check_page(client, persona, reverse(resource.page_case, args=[obj.case_id]), expected)


def check_api_list(
    client: Client, persona: Persona, resource: Resource, obj: Any, expected: Any
) -> None:
    response = client.get(resource.api_list(), {"page_size": 200})
    if not persona.signed_in:
        assert response.status_code in API_REFUSED
        return
    assert response.status_code == 200
    mine = [row for row in rows_of(response) if row["id"] == obj.pk]
    if expected is None:
        assert mine == []
    else:
        assert len(mine) == 1 and set(mine[0]) == expected


def check_api_detail(
    client: Client, persona: Persona, resource: Resource, obj: Any, expected: Any
) -> None:
    response = client.get(resource.api_detail(obj))
    if not persona.signed_in:
        assert response.status_code in API_REFUSED
    elif expected is None:
        assert response.status_code == 404
    else:
        assert response.status_code == 200
        assert set(response.json()) == expected


def check_api_write(
    client: Client, persona: Persona, resource: Resource, obj: Any, expected: Any
) -> None:
    before = resource.read_back(obj)
    response = client.patch(
        resource.api_detail(obj),
        resource.write,
        content_type="application/json",
        **resource.write_headers(obj),
    )
    after = resource.read_back(obj)
    if not persona.signed_in:
        assert response.status_code in API_REFUSED
        assert after == before
    elif resource.immutable:
        # no PATCH for anyone (the same answer whether or not the object is visible)
        assert response.status_code == 405
        assert after == before
    elif resource.record_type in persona.writes:
        assert response.status_code == 200, response.content
        assert after == resource.expected_write() != before
    else:
        # visible or not: a write the caller may not make is a 404, and nothing changes
        assert response.status_code == 404
        assert after == before


def check_export(
    client: Client, persona: Persona, resource: Resource, obj: Any, expected: Any
) -> None:
    response = client.get(resource.api_export())
    if not persona.signed_in:
        assert response.status_code in API_REFUSED
        return
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    mine = [row for row in rows if row.get("id") == str(obj.pk)]
    if expected is None:
        assert mine == []
    else:
        assert len(mine) == 1
        filled = {name for name, value in mine[0].items() if value not in ("", None)}
        assert filled <= expected


CHECKS = {
    "page_list": check_page_list,
    "page_detail": check_page_detail,
    "page_case": check_page_case,
    "api_list": check_api_list,
    "api_detail": check_api_detail,
    "api_write": check_api_write,
    "export": check_export,
}


@pytest.mark.parametrize(("persona_name", "resource_name", "channel"), CASES)
def test_authorization_matrix(
    world: World, persona_name: str, resource_name: str, channel: str
) -> None:
    persona, resource = PERSONAS[persona_name], RESOURCES[resource_name]
    obj = resource.sample(world)
    CHECKS[channel](
        client_for(world, persona), persona, resource, obj, resource.expected_keys(persona)
    )


def test_the_matrix_covers_every_persona_of_the_access_model() -> None:
    # the personas listed in the access model, each with a row in the spec
    assert set(PERSONA_NAMES) == {
        "lead_case_manager",
        "lead_release_planner",
        "partner_assigned",
        "partner_unassigned",
        "partner_expired",
        "agency_without_mou",
        "victim_advocate",
        "board_member",
        "treatment_provider",
        "registry_officer",
        "analyst",
        "deactivated_user",
        "anonymous",
    }


@pytest.mark.parametrize(
    "persona_name", ["lead_case_manager", "partner_assigned", "registry_officer"]
)
def test_cases_of_other_agencies_stay_invisible(world: World, persona_name: str) -> None:
    # the foreign case (led by an agency that shares nothing) is a 404 for everyone else
    client = client_for(world, PERSONAS[persona_name])
    assert client.get(reverse("case-detail", args=[world.foreign_case.pk])).status_code == 404
    assert client.get(reverse("cases:case_detail", args=[world.foreign_case.pk])).status_code == 404
    assert (
        world.foreign_case.case_number
        not in client.get(reverse("cases:case_list")).content.decode()
    )


def test_assigned_scope_shows_only_cases_with_the_partner_on_the_team(world: World) -> None:
    client = client_for(world, PERSONAS["partner_assigned"])
    ids = {row["id"] for row in rows_of(client.get(reverse("case-list")))}
    assert world.case.pk in ids and world.other_case.pk not in ids
    # while an all-cases term (the registry) covers both
    client = client_for(world, PERSONAS["registry_officer"])
    ids = {row["id"] for row in rows_of(client.get(reverse("case-list")))}
    assert {world.case.pk, world.other_case.pk} <= ids


def test_the_world_has_zero_grant_drift(world: World) -> None:
    from cases.access import diff_grants

    assert diff_grants() == ([], [])
