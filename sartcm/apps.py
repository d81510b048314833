from django.apps import AppConfig


class SartcmConfig(AppConfig):
    """Shared mechanism: restricted querysets, base views, audit trail, outbox."""

    name = "sartcm"
    verbose_name = "SARTCM framework"

    def ready(self) -> None:
        # Logon, failed logon and logoff are audited by sartcm.security (with axes).
        from sartcm import tombstones
        from sartcm.api import schema  # noqa: F401 - registers OpenAPI extensions

        tombstones.connect()  # deletions of case data leave tombstones for incremental sync
