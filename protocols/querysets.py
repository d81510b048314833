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
        # changes are checked by role in the service layer.
        from agencies.querysets import staff_of

        if user.is_superuser or staff_of(user) is not None:
            return self.all()
        return self.none()


class ProtocolQuerySet(StandardQuerySet):
    pass
