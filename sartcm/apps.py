from django.apps import AppConfig


class SartcmConfig(AppConfig):
    """Shared mechanism: restricted querysets, base views, audit trail, outbox."""

    name = "sartcm"
    verbose_name = "SARTCM framework"

    def ready(self) -> None:
        from sartcm import signals

        signals.connect()  # logon / failed logon / logoff audit
