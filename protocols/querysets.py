"""Querysets for protocols and standards: "the version in force on date D"."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

from django.db.models import Q

from sartcm.querysets import RestrictedQuerySet


class StandardQuerySet(RestrictedQuerySet):
    def in_force(self, on: date) -> Self:
        """Rows whose effective period contains `on` (effective_to is exclusive)."""
        return self.filter(
            Q(effective_to__isnull=True) | Q(effective_to__gt=on), effective_from__lte=on
        )

    def for_jurisdiction(self, jurisdiction: str) -> Self:
        """A jurisdiction's own rows, falling back to the default rows (jurisdiction '')."""
        own = self.filter(jurisdiction=jurisdiction)
        return own if jurisdiction and own.exists() else self.filter(jurisdiction="")

    def _restrict(self, user: Any, action: str) -> Self:
        # Standards are statewide reference data: every active staff member reads them;
        # only editors (protocols.rules) add or change them.
        from protocols.rules import can_edit_standards, can_read_reference_data

        allowed = can_read_reference_data(user) if action == "view" else can_edit_standards(user)
        return self.all() if allowed else self.none()


class ProtocolQuerySet(StandardQuerySet):
    def _restrict(self, user: Any, action: str) -> Self:
        # Read: every active staff member. Change: editors; an agency's own protocol only by
        # that agency's editors (statewide protocols, owner empty, by any editor).
        from agencies.querysets import staff_of
        from protocols.rules import can_edit_standards, can_read_reference_data

        if action == "view":
            return self.all() if can_read_reference_data(user) else self.none()
        if not can_edit_standards(user):
            return self.none()
        if user.is_superuser:
            return self.all()
        staff = staff_of(user)
        return self.filter(Q(owner_agency__isnull=True) | Q(owner_agency_id=staff.agency_id))
