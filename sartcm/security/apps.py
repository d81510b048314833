"""App configs: the security app, and the admin swapped for one that needs a verified device."""

from __future__ import annotations

from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class SecurityConfig(AppConfig):
    """MFA, lockout, session and password policy, account lifecycle (CJIS Security Policy)."""

    default = True  # the module also holds SecureAdminConfig
    name = "sartcm.security"
    label = "security"
    verbose_name = "Security"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from sartcm.security import signals  # noqa: F401 - connects the receivers


class SecureAdminConfig(admin_apps.AdminConfig):
    """`django.contrib.admin` with `SecureAdminSite` as the default site (OTP-verified only)."""

    default = False
    default_site = "sartcm.security.admin_site.SecureAdminSite"
