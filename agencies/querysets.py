"""Querysets for agencies and staff."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Self

from django.contrib.postgres.fields import ArrayField
from django.db.models import CharField, Exists, F, Func, OuterRef, Q

from sartcm.querysets import RestrictedQuerySet


class AgencyQuerySet(RestrictedQuerySet):
    def active(self) -> Self:
        return self.filter(active=True)

    def _restrict(self, user: Any, action: str) -> Self:
        # Agency directory entries are public to signed-in staff; changes only by own admins.
        if user.is_superuser:
            return self.all()
        staff = staff_of(user)
        if staff is None:
            return self.none()
        if action == "view":
            return self.all()
        if staff.is_admin:
            return self.filter(pk=staff.agency_id)
        return self.none()


class StaffQuerySet(RestrictedQuerySet):
    def active(self) -> Self:
        return self.filter(active=True, user__is_active=True)

    def with_role(self, role: str) -> Self:
        return self.filter(roles__contains=[role])

    def _restrict(self, user: Any, action: str) -> Self:
        if user.is_superuser:
            return self.all()
        staff = staff_of(user)
        if staff is None:
            return self.none()
        if action == "view":
            return self.filter(agency_id=staff.agency_id)
        if staff.is_admin:
            return self.filter(agency_id=staff.agency_id)
        return self.filter(pk=staff.pk)


class TrainingRecordQuerySet(RestrictedQuerySet):
    def most_recent(self) -> Self:
        """Each staff member's most recent completion of each course (a renewal supersedes
        the record before it, so an old expired record raises no alert)."""
        later = self.model.objects.filter(
            staff_id=OuterRef("staff_id"), course_id=OuterRef("course_id")
        ).filter(
            Q(completed_on__gt=OuterRef("completed_on"))
            | Q(completed_on=OuterRef("completed_on"), pk__gt=OuterRef("pk"))
        )
        return self.filter(~Exists(later))

    def of_active_staff(self) -> Self:
        return self.filter(
            staff__active=True, staff__user__is_active=True, staff__agency__active=True
        )

    def expiring(self, on: date, days: int) -> Self:
        """For the alert engine: latest records of active staff expiring between `on` and
        `on + days` inclusive (uses training_expires_idx)."""
        return (
            self.filter(expires_on__gte=on, expires_on__lte=on + timedelta(days=days))
            .most_recent()
            .of_active_staff()
        )

    def expired(self, on: date) -> Self:
        """For the alert engine: latest records of active staff that expired before `on`
        (a record is current through its expires_on date)."""
        return self.filter(expires_on__lt=on).most_recent().of_active_staff()

    def _restrict(self, user: Any, action: str) -> Self:
        if user.is_superuser:
            return self.all()
        staff = staff_of(user)
        if staff is None:
            return self.none()
        if staff.is_admin or staff.has_role("supervisor"):
            return self.filter(staff__agency_id=staff.agency_id)
        return self.filter(Q(staff=staff))


def staff_of(user: Any) -> Any:
    """The active StaffMember row of a user, or None (cached on the user object)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_sartcm_staff", False)
    if cached is not False:
        return cached
    from agencies.models import StaffMember

    staff = (
        StaffMember.objects.select_related("agency")
        .filter(user_id=user.pk, active=True, agency__active=True)
        .first()
    )
    user._sartcm_staff = staff
    return staff


def prime_staff_of(user: Any, staff: Any) -> None:
    """Set what `staff_of(user)` answers for this request (`staff` already loaded with its
    agency, and only if active in an active agency; else None)."""
    user._sartcm_staff = staff


def names(relation: str) -> Func:
    """The first name, last name and username of the staff member at `relation` (e.g.
    "officer") as one text[] column, to annotate as `_<relation>_names`: a list row shows a
    name without loading the staff member and its user (docs/performance.md, design change
    19). `staff_name` reads it."""
    return Func(
        F(f"{relation}__user__first_name"),
        F(f"{relation}__user__last_name"),
        F(f"{relation}__user__username"),
        function="ARRAY",
        template="ARRAY[%(expressions)s]",
        output_field=ArrayField(CharField()),
    )


def staff_name(obj: Any, relation: str) -> str:
    """The name of the staff member at `obj.<relation>` ("" for none): from the `names()`
    annotation when the row has it, else from the related objects."""
    from agencies.models import display_name

    if getattr(obj, f"{relation}_id") is None:
        return ""
    columns = getattr(obj, f"_{relation}_names", None)
    if columns is None:
        return getattr(obj, relation).full_name
    return display_name(*columns)
