"""Who may change protocols and standards — the one rule, used by querysets, pages and the API.

Standards and protocols are shared reference data: every active staff member reads them; an
agency administrator or supervisor changes them (superusers for operations). Protocols that
belong to an agency are changed only by that agency's administrators and supervisors.
"""

from __future__ import annotations

from typing import Any

from agencies.choices import Role
from agencies.querysets import staff_of

EDITOR_ROLES: frozenset[str] = frozenset({Role.AGENCY_ADMIN, Role.SUPERVISOR})


def can_edit_standards(user: Any) -> bool:
    """True when the user may create, supersede or end standards and edit protocols."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    staff = staff_of(user)
    return staff is not None and staff.has_role(*EDITOR_ROLES)


def can_read_reference_data(user: Any) -> bool:
    """Active staff (or superusers) read protocols, standards and the training catalogue."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return bool(user.is_superuser or staff_of(user) is not None)
