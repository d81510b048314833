"""A client generated from the committed schema (openapi-python-client) does a full sync round
trip against a live server: create (Idempotency-Key retried), list with updated_since, update
with If-Match (a stale one gets 412), delete, fetch /sync/removed/ and apply it — after which
each system's local copy equals what the server lets it see."""

from __future__ import annotations

import datetime as dt
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from agencies.choices import RecordType, Role
from cases.models import AgencyWideGrant, CaseGroupObjectPermission
from sartcm.tombstones import record_revocations
from tests.factories import AgencyFactory
from tests.factories_contacts import SupervisionContactFactory, build_world, share
from tests.factories_sync import service_key

SCHEMA = Path(__file__).resolve().parents[2] / "openapi" / "schema.yml"
PACKAGE = "sartcm_generated_client"
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="session")
def generated(tmp_path_factory) -> Any:  # noqa: ANN001
    """Generate the client once per test session into a temporary directory (not committed)."""
    root = tmp_path_factory.mktemp("client")
    config = root / "config.yml"
    config.write_text(
        f"post_hooks: []\nproject_name_override: {PACKAGE}\npackage_name_override: {PACKAGE}\n"
    )
    out = root / PACKAGE
    command = [
        str(Path(sys.executable).with_name("openapi-python-client")),
        "generate",
        "--path",
        str(SCHEMA),
        "--output-path",
        str(out),
        "--meta",
        "none",
        "--config",
        str(config),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    assert out.joinpath("client.py").exists(), result.stdout + result.stderr
    sys.path.insert(0, str(root))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(root))


def api(generated: Any, module: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{module}")


class LocalCopy:
    """An agency system's copy of the contacts it may see, kept by the sync protocol."""

    def __init__(self, generated: Any, client: Any) -> None:
        self.generated = generated
        self.client = client
        self.rows: dict[int, dict[str, Any]] = {}
        self.since: dt.datetime = EPOCH

    def sync(self) -> None:
        """Changes since the last run (oldest first, by cursor), then what to drop."""
        listing = api(self.generated, "api.contacts.contacts_list")
        removed = api(self.generated, "api.sync.sync_removed_list")
        models = importlib.import_module(f"{PACKAGE}.models")
        paging: dict[str, Any] = {}
        while True:
            page = listing.sync(client=self.client, updated_since=self.since, page_size=2, **paging)
            for row in page.results:
                self.rows[row.id] = row.to_dict()
            if not page.next_:
                break
            paging = {"cursor": parse_qs(urlsplit(page.next_).query)["cursor"][0]}
        gone = removed.sync(
            client=self.client,
            since=self.since,
            record_type=[models.SyncRemovedListRecordTypeItem.CONTACTS],
        )
        for tombstone in gone.results:
            if tombstone.reason == "deleted" and tombstone.resource == "contacts":
                self.rows.pop(tombstone.object_id, None)
            elif tombstone.reason == "revoked":  # drop every contact of that case
                for key in [k for k, v in self.rows.items() if v["case"] == tombstone.case_id]:
                    del self.rows[key]
        assert page.next_since is not None and not gone.next_
        # the earlier of the two marks, so neither feed can skip anything next time
        self.since = min(page.next_since, gone.next_since)


def server_view(generated: Any, client: Any) -> dict[int, dict[str, Any]]:
    """Everything the server lets this client see now (a full, page-numbered listing)."""
    listing = api(generated, "api.contacts.contacts_list")
    rows: dict[int, dict[str, Any]] = {}
    page_number = 1
    while True:
        page = listing.sync(client=client, page=page_number, page_size=200)
        rows.update({row.id: row.to_dict() for row in page.results})
        if not page.next_:
            return rows
        page_number += 1


@pytest.mark.django_db(transaction=True)
def test_generated_client_sync_round_trip(generated, live_server) -> None:  # noqa: ANN001
    # given a lead agency's case, a partner that sees two contact fields, and both systems' keys
    world = build_world()
    partner = AgencyFactory()
    share(world.case, partner, RecordType.CONTACTS, ["contact_at", "contact_type"])
    SupervisionContactFactory(case=world.case)
    _, lead_key = service_key(world.lead, Role.CASE_MANAGER)
    _, partner_key = service_key(partner, Role.SUPERVISION_OFFICER)
    client_module = importlib.import_module(f"{PACKAGE}.client")
    lead = client_module.AuthenticatedClient(
        base_url=live_server.url, token=lead_key, prefix="Api-Key", raise_on_unexpected_status=True
    )
    other = client_module.AuthenticatedClient(
        base_url=live_server.url, token=partner_key, prefix="Api-Key"
    )
    models = importlib.import_module(f"{PACKAGE}.models")
    create = api(generated, "api.contacts.contacts_create")
    retrieve = api(generated, "api.contacts.contacts_retrieve")
    patch = api(generated, "api.contacts.contacts_partial_update")
    destroy = api(generated, "api.contacts.contacts_destroy")
    lead_copy, partner_copy = LocalCopy(generated, lead), LocalCopy(generated, other)
    lead_copy.sync()
    partner_copy.sync()
    assert lead_copy.rows == server_view(generated, lead) and len(lead_copy.rows) == 1
    assert partner_copy.rows == server_view(generated, other)
    assert set(next(iter(partner_copy.rows.values()))) == {
        "id",
        "case",
        "contact_at",
        "contact_type",
    }

    # when the lead system logs contacts, retrying one POST with the same Idempotency-Key
    body = models.SupervisionContactRequest(
        case=world.case.pk,
        contact_type=models.ContactTypeEnum.HOME_VISIT,
        contact_at=dt.datetime(2026, 2, 3, 10, tzinfo=dt.UTC),
        notes="Walk-through; no concerns.",
    )
    first = create.sync_detailed(client=lead, body=body, idempotency_key="oms-4411")
    retried = create.sync_detailed(client=lead, body=body, idempotency_key="oms-4411")
    other_contact = create.sync(
        client=lead,
        body=models.SupervisionContactRequest(
            case=world.case.pk, contact_type=models.ContactTypeEnum.OFFICE
        ),
    )
    # then the retry replays the first response and creates nothing
    assert first.status_code == retried.status_code == 201
    assert retried.parsed.id == first.parsed.id
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert len(server_view(generated, lead)) == 3

    # when it corrects one contact with If-Match, then tries again with the old ETag
    read = retrieve.sync_detailed(first.parsed.id, client=lead)
    etag = read.headers["ETag"]
    fixed = patch.sync_detailed(
        first.parsed.id,
        client=lead,
        body=models.PatchedSupervisionContactRequest(notes="Corrected: two adults present."),
        if_match=etag,
    )
    stale = patch.sync_detailed(
        first.parsed.id,
        client=lead,
        body=models.PatchedSupervisionContactRequest(notes="Lost update."),
        if_match=etag,
    )
    assert fixed.status_code == 200 and fixed.headers["ETag"] != etag
    assert stale.status_code == 412
    assert stale.parsed.status == 412

    # when it deletes one (with its current ETag)
    current = retrieve.sync_detailed(other_contact.id, client=lead).headers["ETag"]
    assert destroy.sync_detailed(other_contact.id, client=lead, if_match=current).status_code == 204

    # and the partner loses its standing on the case (the grant sync records the revocation)
    CaseGroupObjectPermission.objects.filter(group=partner.group).delete()
    AgencyWideGrant.objects.filter(group=partner.group).delete()
    record_revocations([(partner.pk, world.case.pk, RecordType.CONTACTS)])

    # then after one more sync each local copy equals what the server lets it see
    lead_copy.sync()
    partner_copy.sync()
    lead_view = server_view(generated, lead)
    assert lead_copy.rows == lead_view
    assert other_contact.id not in lead_copy.rows
    assert lead_copy.rows[first.parsed.id]["notes"] == "Corrected: two adults present."
    assert partner_copy.rows == server_view(generated, other) == {}
