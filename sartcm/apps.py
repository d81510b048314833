from django.apps import AppConfig


class SartcmConfig(AppConfig):
    """Shared mechanism: restricted querysets, base views, audit trail, outbox."""

    name = "sartcm"
    verbose_name = "SARTCM framework"

    def ready(self) -> None:
        # Logon, failed logon and logoff are audited by sartcm.security (with axes).
        from sartcm.api import schema  # noqa: F401 - registers OpenAPI extensions
