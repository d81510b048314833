"""Protocols and draft versions keep the safe-write contract: a PATCH with a stale If-Match is
412 and changes nothing, and each write answers the new ETag (neither model has a version
counter or change time: the ETag follows the row's content)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from protocols.choices import VersionStatus
from protocols.models import Protocol, ProtocolVersion
from tests.factories_protocols import Personas, ProtocolFactory, ProtocolVersionFactory

pytestmark = pytest.mark.django_db


def editor(people: Personas) -> APIClient:
    client = APIClient()
    client.force_authenticate(people.supervisor.user)
    return client


def assert_a_stale_write_is_refused(client: APIClient, url: str, body: dict, other: dict) -> None:
    """A PATCH with the ETag just read succeeds with a new ETag; one with the old ETag is 412."""
    etag = client.get(url)["ETag"]
    ok = client.patch(url, body, format="json", HTTP_IF_MATCH=etag)
    assert ok.status_code == 200, ok.content
    assert ok["ETag"] != etag
    stale = client.patch(url, other, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale["Content-Type"] == "application/problem+json"


def test_a_stale_if_match_on_a_protocol_is_412_and_changes_nothing(people: Personas) -> None:
    protocol = ProtocolFactory(owner_agency=people.agency, title="Home visits")
    assert_a_stale_write_is_refused(
        editor(people),
        f"/api/v1/protocols/{protocol.pk}/",
        {"title": "Home visits (v2)"},
        {"title": "Overwritten"},
    )
    assert Protocol.objects.get(pk=protocol.pk).title == "Home visits (v2)"


def test_a_stale_if_match_on_a_draft_version_is_412_and_changes_nothing(
    people: Personas,
) -> None:
    protocol = ProtocolFactory(owner_agency=people.agency)
    draft = ProtocolVersionFactory(protocol=protocol, status=VersionStatus.DRAFT, body="Visit.")
    assert_a_stale_write_is_refused(
        editor(people),
        f"/api/v1/protocol-versions/{draft.pk}/",
        {"body": "Visit monthly."},
        {"body": "Visit yearly."},
    )
    assert ProtocolVersion.objects.get(pk=draft.pk).body == "Visit monthly."
