from django.apps import AppConfig


class CasesConfig(AppConfig):
    """Offenders, cases and everything that hangs off them; owns enforcement on case data."""

    name = "cases"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from cases import signals  # noqa: F401 - connects MOU/term change receivers
        from cases.querysets import reload_permission_ids

        post_migrate.connect(
            reload_permission_ids, sender=self, dispatch_uid="cases_permission_ids"
        )
        from cases.access import install_case_sync_functions

        post_migrate.connect(
            install_case_sync_functions, sender=self, dispatch_uid="cases_case_sync_functions"
        )
        from cases import sync as incremental_sync

        incremental_sync.connect()  # nested children move their parent's updated_at (incremental sync)
