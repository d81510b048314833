from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    """Protocol documents and the standards (as data, with effective dates) the system runs on."""

    name = "protocols"

    def ready(self) -> None:
        from protocols.previews import register_builtin_previews

        register_builtin_previews()
