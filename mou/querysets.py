"""MOU querysets, including the small API other apps use: the terms in force."""

from __future__ import annotations

from datetime import date
from typing import Any, Self

from django.db.models import F, Q

from sartcm.querysets import RestrictedQuerySet


class MOUQuerySet(RestrictedQuerySet):
    def active_on(self, on: date) -> Self:
        return self.filter(status="active", effective_date__lte=on).filter(
            Q(expiration_date__isnull=True) | Q(expiration_date__gte=on)
        )

    def _restrict(self, user: Any, action: str) -> Self:
        from agencies.querysets import staff_of

        if user.is_superuser:
            return self.all()
        staff = staff_of(user)
        if staff is None:
            return self.none()
        mine = self.filter(parties=staff.agency_id)
        if action == "view":
            return self.filter(pk__in=mine.values("pk"))
        if staff.is_admin:
            return self.filter(pk__in=mine.values("pk"))
        return self.none()


class TermQuerySet(RestrictedQuerySet):
    def in_force(self, on: date) -> Self:
        """Current-version terms of MOUs active on `on` (a pending amendment is not in force)."""
        return self.filter(
            superseded_at__isnull=True,
            version=F("mou__terms_version"),
            mou__status="active",
            mou__effective_date__lte=on,
        ).filter(Q(mou__expiration_date__isnull=True) | Q(mou__expiration_date__gte=on))

    def for_recipient(self, agency_id: int) -> Self:
        return self.filter(recipient_id=agency_id)

    def _restrict(self, user: Any, action: str) -> Self:
        from mou.models import MOU

        return self.filter(mou__in=MOU.objects.restrict(user, action))
