from django.apps import AppConfig


class MouConfig(AppConfig):
    """Memoranda of understanding and their data-sharing terms. Knows nothing of cases."""

    name = "mou"
