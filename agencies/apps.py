from django.apps import AppConfig


class AgenciesConfig(AppConfig):
    """Ground floor: agencies, staff, roles, the access vocabulary and training."""

    name = "agencies"
