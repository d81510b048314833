"""Factories and helpers for access tests (fictional data only)."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator, Sequence
from typing import Any

from agencies.choices import Role
from agencies.models import Agency, StaffMember
from cases.access import sync_grants
from mou.choices import MOUStatus, TermScope
from mou.models import MOU, DataSharingTerm, MOUParty
from tests.factories import AgencyFactory, StaffFactory, UserFactory

TODAY = dt.date.today


def implied_grants(term: DataSharingTerm, case: Any) -> None:
    """Write the grant rows cases.access.sync_grants derives from `term` for `case`, without
    looking at whether the term is in force (tests use this to leave a stale grant behind):
    one agency-wide row per action for a scope-`all` term (every case of the provider, cases
    opened later too), one row on the case for a scope-`assigned` term."""
    from agencies.choices import permission_codename
    from cases.models import AgencyWideGrant, CaseGroupObjectPermission
    from cases.querysets import permission_id

    for action in term.actions:
        held = {
            "group_id": term.recipient.group_id,
            "permission_id": permission_id(permission_codename(action, term.record_type)),
        }
        if term.scope == TermScope.ALL:
            AgencyWideGrant.objects.get_or_create(**held, provider_id=term.provider_id)
        else:
            CaseGroupObjectPermission.objects.get_or_create(**held, content_object=case)


def staff(
    agency: Agency,
    *roles: str,
    signatory: bool = False,
    username: str | None = None,
    phone: str = "",
    first_name: str | None = None,
    last_name: str | None = None,
) -> StaffMember:
    """A staff member of `agency` with `roles` (default: case manager)."""
    user_kwargs: dict[str, Any] = {}
    if username:
        user_kwargs["username"] = username
    if first_name is not None:
        user_kwargs["first_name"] = first_name
    if last_name is not None:
        user_kwargs["last_name"] = last_name
    return StaffFactory(
        agency=agency,
        roles=list(roles or [Role.CASE_MANAGER]),
        is_signatory=signatory,
        user=UserFactory(**user_kwargs),
        phone=phone,
    )


def agency(short_name: str | None = None, **kwargs: Any) -> Agency:
    if short_name:
        kwargs.setdefault("short_name", short_name)
        kwargs.setdefault("name", f"{short_name} (fictional agency)")
    return AgencyFactory(**kwargs)


def term_spec(
    record_type: str,
    fields: Sequence[str],
    actions: Sequence[str] = ("view",),
    scope: str = TermScope.ASSIGNED,
) -> dict[str, Any]:
    return {
        "record_type": record_type,
        "fields": list(fields),
        "actions": list(actions),
        "scope": scope,
    }


def mou_with_terms(
    provider: Agency,
    recipients: dict[Agency, Sequence[dict[str, Any]]],
    *,
    status: str = MOUStatus.ACTIVE,
    effective: dt.date | None = None,
    expiration: dt.date | None = None,
    title: str | None = None,
    sync: bool = True,
) -> MOU:
    """An MOU in `status` (set directly: lifecycle tests go through the services) with terms
    provider → each recipient, then the grants synced as the receivers would."""
    today = TODAY()
    mou = MOU.objects.create(
        title=title or f"MOU {provider.short_name} {MOU.objects.count() + 1}",
        purpose="Coordinate sex offender management (fictional).",
        effective_date=effective or today - dt.timedelta(days=30),
        expiration_date=expiration or today + dt.timedelta(days=365),
        status=status,
        drafted_by=provider,
        termination_reason="ended for the test" if status == MOUStatus.TERMINATED else "",
    )
    MOUParty.objects.create(mou=mou, agency=provider)
    for recipient, specs in recipients.items():
        MOUParty.objects.create(mou=mou, agency=recipient)
        for spec in specs:
            DataSharingTerm.objects.create(mou=mou, provider=provider, recipient=recipient, **spec)
    if sync:
        sync_grants(agency_ids=[provider.pk, *(r.pk for r in recipients)])
    return mou


@contextlib.contextmanager
def committed(capture: Any) -> Iterator[None]:
    """Run what the block registers with transaction.on_commit right after it, as a real commit
    would (tests run inside one transaction). `capture`: pytest-django's
    django_capture_on_commit_callbacks fixture."""
    with capture(execute=True):
        yield
