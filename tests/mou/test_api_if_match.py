"""MOUs and their terms keep the safe-write contract: a PATCH/DELETE with a stale If-Match is
412 and changes nothing (these viewsets write through the MOU services, not the generic update,
so they are checked here on their own)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mou.models import MOU, DataSharingTerm
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db
JSON = "application/json"


@pytest.fixture
def admin(parties: Any) -> Client:
    client = Client()
    otp_login(client, parties.doc_admin.user)
    return client


def test_a_stale_if_match_on_an_mou_is_412_and_changes_nothing(
    admin: Client, draft_mou: MOU
) -> None:
    url = f"/api/v1/mous/{draft_mou.pk}/"
    etag = admin.get(url)["ETag"]
    # a write with the ETag just read succeeds and answers a new ETag
    ok = admin.patch(url, {"title": "Renamed"}, content_type=JSON, HTTP_IF_MATCH=etag)
    assert ok.status_code == 200, ok.content
    assert ok["ETag"] and ok["ETag"] != etag
    # a second writer still holding the old ETag is refused
    stale = admin.patch(url, {"title": "Overwritten"}, content_type=JSON, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert stale["Content-Type"] == "application/problem+json"
    draft_mou.refresh_from_db()
    assert draft_mou.title == "Renamed"
    assert admin.get(url)["ETag"] == ok["ETag"]


def test_a_stale_if_match_on_a_term_is_412_for_update_and_delete(
    admin: Client, draft_mou: MOU
) -> None:
    term = DataSharingTerm.objects.get(mou=draft_mou)
    url = f"/api/v1/mou-terms/{term.pk}/"
    etag = admin.get(url)["ETag"]
    ok = admin.patch(
        url, {"fields": ["status", "release_date"]}, content_type=JSON, HTTP_IF_MATCH=etag
    )
    assert ok.status_code == 200, ok.content
    assert ok["ETag"] != etag  # the term's own change shows, though its MOU version did not
    stale = admin.patch(url, {"fields": ["status"]}, content_type=JSON, HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert admin.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    term.refresh_from_db()
    assert term.fields == ["status", "release_date"]
    # with the current ETag the delete goes through
    assert admin.delete(url, HTTP_IF_MATCH=ok["ETag"]).status_code == 204
    assert not DataSharingTerm.objects.filter(pk=term.pk).exists()
