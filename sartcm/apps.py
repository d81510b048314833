from django.apps import AppConfig


class SartcmConfig(AppConfig):
    """Shared mechanism: restricted querysets, base views, audit trail, outbox."""

    name = "sartcm"
    verbose_name = "SARTCM framework"

    def ready(self) -> None:
        # Logon, failed logon and logoff are audited by sartcm.security (with axes).
        from sartcm import (
            tombstones,
            webhooks,  # noqa: F401 - registers the outbox handler that delivers webhooks
        )
        from sartcm.api import schema  # noqa: F401 - registers OpenAPI extensions

        tombstones.connect()

        from sartcm.apikeys import disable_inactive_keys
        from sartcm.security.services import register_inactivity_sweep

        # API keys follow the accounts' lifecycle: unused for 90 days -> revoked, nightly
        register_inactivity_sweep(
            "api_keys", disable_inactive_keys
        )  # deletions of case data leave tombstones for incremental sync
