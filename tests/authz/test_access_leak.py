"""The leak test: unique markers sit in every sensitive field of the sample case; every page
and endpoint of the registry (plus the explainer and audit pages) is requested as each
persona, and a marker may appear only where the persona may see that field. Conversely every
field a persona may see does show up somewhere, so the test cannot pass by showing nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agencies.choices import Role
from tests.authz.conftest import client_for
from tests.authz.personas import BY_NAME, PERSONA_NAMES, Every, Persona
from tests.authz.resources import RESOURCES
from tests.authz.world import World
from tests.factories_access import staff
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


def urls_for(world: World) -> list[str]:
    urls = [
        reverse("cases:case_access", args=[world.case.pk]),
        reverse("cases:case_audit", args=[world.case.pk]),
        reverse("case-access", args=[world.case.pk]),
        reverse("case-audit-trail", args=[world.case.pk]),
        reverse("case-team-list"),
        reverse("dashboard"),
    ]
    for resource in RESOURCES:
        obj = resource.sample(world)
        urls += [resource.api_list(), resource.api_detail(obj), resource.api_export()]
        urls += resource.page_urls(obj)
    return urls


def permitted(persona: Persona, record_type: str, name: str) -> bool:
    fields = persona.fields(record_type)
    return isinstance(fields, Every) or (fields is not None and name in fields)


@pytest.mark.parametrize("persona_name", PERSONA_NAMES)
def test_no_marker_appears_where_the_persona_may_not_see_it(
    world: World, persona_name: str
) -> None:
    persona = BY_NAME[persona_name]
    client = client_for(world, persona)
    seen: dict[str, str] = {}
    for url in urls_for(world):
        body = client.get(url).content.decode()
        for marker, (record_type, name) in world.markers.items():
            if marker in body:
                assert permitted(persona, record_type, name), (
                    f"{persona.name} saw {record_type}.{name} at {url}"
                )
                seen[marker] = url
    # and what the persona may see is actually shown somewhere
    expected = {
        marker
        for marker, (record_type, name) in world.markers.items()
        if permitted(persona, record_type, name)
    }
    assert set(seen) == expected


def test_a_partner_auditor_reading_their_trail_learns_no_identity(world: World) -> None:
    # given the treatment provider (no aliases, no state id...) read the case and offender
    provider = client_for(world, BY_NAME["treatment_provider"])
    provider.get(reverse("case-detail", args=[world.case.pk]))
    provider.get(reverse("offender-detail", args=[world.offender.pk]))
    provider.get(reverse("cases:case_detail", args=[world.case.pk]))
    # when the provider agency's auditor reads its own trail (and exports it)
    auditor = staff(world.agencies["NTA"], Role.AUDITOR)
    from django.test import Client

    client = Client()
    otp_login(client, auditor.user)
    pages = [
        client.get(reverse("cases:audit_trail")).content.decode(),
        client.get(reverse("cases:audit_trail"), {"format": "csv"}).content.decode(),
    ]
    # then the disseminations are listed, but no marker of a field NTA may not see
    assert "Disseminated" in pages[0]
    persona = BY_NAME["treatment_provider"]
    for body in pages:
        for marker, (record_type, name) in world.markers.items():
            if marker in body:
                assert permitted(persona, record_type, name), f"{record_type}.{name} leaked"
