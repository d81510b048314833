"""Query counts of the MOU lists: /api/v1/mous/, /api/v1/mou-terms/ and the MOU page cost the
same number of queries for 2 MOUs as for 8 (parties, signatures and terms are loaded per page,
never per row), for a party's administrator, another party's officer and an outsider."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from agencies.choices import RecordType
from mou import services
from mou.models import MOU
from tests.factories_access import committed
from tests.helpers import otp_login

pytestmark = pytest.mark.django_db


def more_mous(p: Any, n: int, capture: Any) -> None:
    """n fictional MOUs between the DOC and the CSA, in turn a draft, one awaiting the CSA's
    signature and one signed by both (active), each with two terms."""
    for i in range(n):
        mou = services.create_mou(
            p.doc_admin.user,
            title=f"Prairie data sharing {MOU.objects.count() + 1}",
            purpose="Share supervision status (fictional).",
            effective_date=p.today - dt.timedelta(days=1),
            expiration_date=p.today + dt.timedelta(days=365),
            parties=[(p.csa, p.csa_signer)],
        )
        for provider, recipient in ((p.doc, p.csa), (p.csa, p.doc)):
            services.add_term(
                p.doc_admin.user,
                mou,
                provider=provider,
                recipient=recipient,
                record_type=RecordType.STATUS,
                fields=["status"],
            )
        if i % 3 == 0:
            continue
        with committed(capture):
            services.send_for_signature(p.doc_admin.user, mou)
            services.sign(p.doc_signer.user, mou)
            if i % 3 == 2:
                services.sign(p.csa_signer.user, mou)


def client_for(staff_member: Any) -> Client:
    client = Client()
    otp_login(client, staff_member.user)
    return client


def count(client: Client, url: str, rows: int, api: bool) -> int:
    client.get(url)  # warm per-process caches (permission ids) so only the request counts
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    if api:
        assert len(response.json()["results"]) == rows
    else:
        assert len(response.context["mous"]) == rows
    return len(ctx.captured_queries)


MOU_LIST = "mou:list"

# (persona, url or page name, is it the API, rows seen with 2 MOUs and with 8)
CASES = [
    ("doc_admin", "/api/v1/mous/?page_size=50", True, (2, 8)),
    ("csa_officer", "/api/v1/mous/?page_size=50", True, (2, 8)),
    ("outsider_admin", "/api/v1/mous/?page_size=50", True, (0, 0)),
    ("doc_admin", "/api/v1/mou-terms/?page_size=50", True, (4, 16)),
    ("csa_officer", "/api/v1/mou-terms/?page_size=50", True, (4, 16)),
    ("outsider_admin", "/api/v1/mou-terms/?page_size=50", True, (0, 0)),
    ("doc_admin", MOU_LIST, False, (2, 8)),
    ("csa_officer", MOU_LIST, False, (2, 8)),
    ("outsider_admin", MOU_LIST, False, (0, 0)),
]


@pytest.mark.parametrize(
    ("persona", "url", "api", "rows"), [pytest.param(*c, id=f"{c[0]}-{c[1]}") for c in CASES]
)
def test_mou_list_query_count_is_constant_in_the_number_of_rows(
    parties: Any,
    django_capture_on_commit_callbacks: Any,
    persona: str,
    url: str,
    api: bool,
    rows: tuple[int, int],
) -> None:
    url = url if api else reverse(url)
    client = client_for(getattr(parties, persona))
    more_mous(parties, 2, django_capture_on_commit_callbacks)
    few = count(client, url, rows[0], api)
    more_mous(parties, 6, django_capture_on_commit_callbacks)
    many = count(client, url, rows[1], api)
    assert few == many
