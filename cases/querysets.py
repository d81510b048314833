"""What "visible to this user" means for case data: role ∩ agency standing.

Standing on a case: the user's agency is the case's lead agency, or its auth group holds the
permission `<action>_<record_type>` on every case of the lead agency (AgencyWideGrant, from
scope-`all` terms) or on the case itself (guardian object permission, from scope-`assigned`
terms); both derived from the in-force MOU terms by cases.access.sync_grants. Child records inherit standing from their case.
Field allow-lists (the third check) are applied when rendering: cases.access.allowed_fields.
"""

from __future__ import annotations

from typing import Any, Self

from django.contrib.auth.models import Permission
from django.db.models import Q, QuerySet

from agencies.choices import AgencyKind, RecordType, permission_codename
from agencies.querysets import staff_of
from agencies.roles import roles_allow
from sartcm.querysets import RestrictedQuerySet

_PERMISSION_IDS: dict[str, int] = {}


def reload_permission_ids(**kwargs: Any) -> None:
    """(Re)load the Case permission ids. Connected to post_migrate for the cases app, which runs
    after auth has (re)created the permissions — also after a test database flush, which
    recreates them with new ids."""
    _PERMISSION_IDS.clear()
    _PERMISSION_IDS.update(
        Permission.objects.filter(
            content_type__app_label="cases", content_type__model="case"
        ).values_list("codename", "id")
    )


def permission_id(codename: str) -> int:
    """Primary key of a Case object permission (cached per process; the set is fixed)."""
    if codename not in _PERMISSION_IDS:
        _PERMISSION_IDS.update(
            Permission.objects.filter(
                content_type__app_label="cases", content_type__model="case"
            ).values_list("codename", "id")
        )
    return _PERMISSION_IDS[codename]


def standing_q(user: Any, action: str, record_type: str, prefix: str = "") -> Q | None:
    """A Q over Case (or over a child via `prefix`, e.g. 'case__') selecting the cases where the
    user may do `action` on `record_type`; None means nothing. Superusers see everything."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.is_superuser:
        return Q()
    staff = staff_of(user)
    if staff is None or not roles_allow(staff.roles, action, record_type):
        return None
    scopes = getattr(user, "_sartcm_scopes", None)  # set by API-key authentication
    if scopes is not None and f"{action}:{record_type}" not in scopes:
        return None
    from cases.models import AgencyWideGrant, CaseGroupObjectPermission

    held = {
        "group_id": staff.agency.group_id,
        "permission_id": permission_id(permission_codename(action, record_type)),
    }
    # scope-`all` terms: every case of the providers (one agency-wide row per permission)
    providers = AgencyWideGrant.objects.filter(**held).values("provider_id")
    # scope-`assigned` terms: the cases the agency is on the team of (one row per case)
    granted = CaseGroupObjectPermission.objects.filter(**held).values("content_object_id")
    id_field = f"{prefix}id" if prefix else "pk"
    return (
        Q(**{f"{prefix}lead_agency_id": staff.agency_id})
        | Q(**{f"{prefix}lead_agency_id__in": providers})
        | Q(**{f"{id_field}__in": granted})
    )


class CaseQuerySet(RestrictedQuerySet):
    def _restrict(self, user: Any, action: str) -> Self:
        return self.restrict_record(user, action, RecordType.STATUS)

    def restrict_record(self, user: Any, action: str, record_type: str) -> Self:
        q = standing_q(user, action, record_type)
        return self.none() if q is None else self.filter(q)

    def supervised(self) -> Self:
        return self.filter(status="supervised")

    def open(self) -> Self:
        return self.exclude(status__in=["discharged", "deceased"])


class CaseRecordQuerySet(RestrictedQuerySet):
    """Queryset for records that hang off a case (`case` foreign key, `RECORD_TYPE` on the model)."""

    def _restrict(self, user: Any, action: str) -> Self:
        q = standing_q(user, action, self.model.RECORD_TYPE, prefix="case__")
        return self.none() if q is None else self.filter(q)


class BoardScopedQuerySet(CaseRecordQuerySet):
    """Release plans and the board's records: a parole board sees only what was referred to it.

    Standing on the case is not enough for a board: it joins the case team when a plan is
    referred and stays until release, so its standing would otherwise reach the case's next
    (draft) plan, or a review of another board. The model's BOARD_FIELD is the path from a
    row to the reviewing board (for a plan, any of its referrals).
    """

    def _restrict(self, user: Any, action: str) -> Self:
        restricted = super()._restrict(user, action)
        staff = staff_of(user)
        if user.is_superuser or staff is None or staff.agency.kind != AgencyKind.PAROLE_BOARD:
            return restricted
        referred = self.model.objects.filter(**{self.model.BOARD_FIELD: staff.agency_id})
        return restricted.filter(
            Q(case__lead_agency_id=staff.agency_id) | Q(pk__in=referred.values("pk"))
        )


class OffenderQuerySet(RestrictedQuerySet):
    def _restrict(self, user: Any, action: str) -> Self:
        from cases.models import Case

        cases: QuerySet = Case.objects.restrict_record(user, action, RecordType.IDENTITY)
        return self.filter(pk__in=cases.values("offender_id"))


class OffenderRecordQuerySet(RestrictedQuerySet):
    """Records that hang off an offender (aliases, convictions): identity standing."""

    def _restrict(self, user: Any, action: str) -> Self:
        from cases.models import Case

        cases: QuerySet = Case.objects.restrict_record(user, action, RecordType.IDENTITY)
        return self.filter(offender_id__in=cases.values("offender_id"))


class AlertQuerySet(CaseRecordQuerySet):
    def open(self) -> Self:
        return self.filter(status__in=["open", "acknowledged"])

    def _restrict(self, user: Any, action: str) -> Self:
        # Case alerts follow standing on the case (status record type); agency-level alerts
        # (MOU, training) are visible to the agency they were raised for; everyone sees the
        # alerts assigned or escalated to them; supervisors see every alert of their agency.
        if user.is_superuser:
            return self.all()
        staff = staff_of(user)
        if staff is None:
            return self.none()
        q = (
            Q(case__isnull=True, agency_id=staff.agency_id)
            | Q(assignee_id=staff.pk)
            | Q(escalated_to_id=staff.pk)
        )
        if staff.has_role("supervisor"):
            q |= Q(agency_id=staff.agency_id)
        case_q = standing_q(user, "view", RecordType.STATUS, prefix="case__")
        if case_q is not None:
            q |= Q(case__isnull=False) & case_q
        return self.filter(q)
