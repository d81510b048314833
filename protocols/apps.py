from django.apps import AppConfig


class ProtocolsConfig(AppConfig):
    """Protocol documents and the standards (as data, with effective dates) the system runs on."""

    name = "protocols"
