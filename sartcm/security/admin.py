"""Read-only admin views of the security records (for operators; changes go through pages)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from sartcm.security.models import AccountReview, AccountSecurity, UserSession


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(UserSession)
class UserSessionAdmin(ReadOnlyAdmin):
    list_display = ["user", "created_at", "last_seen_at", "ip_address"]
    list_select_related = ["user"]
    exclude = ["session_key"]  # a live session key is a bearer credential


@admin.register(AccountSecurity)
class AccountSecurityAdmin(ReadOnlyAdmin):
    list_display = ["user", "password_changed_at", "password_compromised", "disabled_at"]
    list_select_related = ["user"]


@admin.register(AccountReview)
class AccountReviewAdmin(ReadOnlyAdmin):
    list_display = ["agency", "reviewed_by", "reviewed_at"]
    list_select_related = ["agency", "reviewed_by"]
