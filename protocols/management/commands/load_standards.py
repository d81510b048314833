"""Load the default protocols and standards. Idempotent: a second run changes nothing.

    manage.py load_standards             # write what is missing
    manage.py load_standards --describe  # print docs/standards.md

A row is identified by its key fields, jurisdiction and effective date, so a default that an
editor has since superseded is left as it is (its successor stays in force).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from protocols import services
from protocols.choices import VersionStatus
from protocols.defaults import (
    DEFAULT_PROTOCOLS,
    EFFECTIVE_FROM,
    DefaultProtocol,
    default_holidays,
    describe_defaults,
    protocol_body,
)
from protocols.kinds import kind_for_slug
from protocols.models import Holiday, Protocol, ProtocolVersion


class Command(BaseCommand):
    help = "Load the default protocols and standards (idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--describe", action="store_true", help="Print docs/standards.md and exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["describe"]:
            self.stdout.write(describe_defaults(), ending="")
            return
        created: Counter[str] = Counter()
        with transaction.atomic():
            for default in DEFAULT_PROTOCOLS:
                version = self._protocol_version(default, created)
                for kind_slug, rows in default.rows.items():
                    for row in rows:
                        self._standard(kind_slug, row, version, created)
            for day, name in default_holidays():
                if not Holiday.objects.filter(jurisdiction="", date=day).exists():
                    services.add_holiday(None, day=day, name=name)
                    created["holiday"] += 1
        if created:
            summary = ", ".join(f"{count} {name}" for name, count in sorted(created.items()))
            self.stdout.write(self.style.SUCCESS(f"Created {summary}."))
        else:
            self.stdout.write("Nothing to do: every default is already loaded.")

    def _protocol_version(self, default: DefaultProtocol, created: Counter[str]) -> Any:
        protocol = Protocol.objects.filter(title=default.title).first()
        if protocol is None:
            protocol = services.create_protocol(
                None,
                area=default.area,
                title=default.title,
                summary=default.summary,
                applies_to_roles=default.applies_to_roles,
            )
            created["protocol"] += 1
        version = ProtocolVersion.objects.filter(protocol=protocol, number=1).first()
        if version is None:
            version = services.create_version(
                protocol,
                None,
                body=protocol_body(default),
                change_summary="Default text loaded by load_standards.",
            )
            version.status = VersionStatus.ADOPTED
            version.effective_from = EFFECTIVE_FROM
            # Adopted as of its effective date (not "now"), so acknowledgment windows of
            # default protocols are not reset by a reload.
            version.adopted_at = timezone.make_aware(datetime.combine(EFFECTIVE_FROM, time()))
            version.save(update_fields=["status", "effective_from", "adopted_at"])
            created["protocol version"] += 1
        return version

    def _standard(
        self, kind_slug: str, row: dict[str, Any], version: Any, created: Counter[str]
    ) -> None:
        kind = kind_for_slug(kind_slug)
        values = {"jurisdiction": "", **row}
        identity = {
            name: values.get(name, kind.model._meta.get_field(name).get_default())
            for name in kind.key_fields
        }
        if kind.model.objects.filter(**identity, effective_from=EFFECTIVE_FROM).exists():
            return
        services.create_standard(
            kind.model,
            {**values, "effective_from": EFFECTIVE_FROM, "protocol_version": version},
            None,
        )
        created[str(kind.model._meta.verbose_name)] += 1
