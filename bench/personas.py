"""Who the benchmark signs in as, picked from whatever data is loaded (not by id).

- `lead`: a case manager of the agency leading the most cases, the one with the most cases;
- `limited`: a field-limited partner — a victim advocate (else a treatment provider) whose
  agency is on the most case teams (assigned-scope terms, a few status fields);
- `wide`: a partner with an agency-wide grant — a supervision officer of the community
  supervision district with the most cases (all-cases terms, contacts included);
- `team` (search only): a treatment provider that sees people through its case teams alone,
  of the agency on the most case teams among those (an agency whose terms share no identity
  would measure an empty search).

The synthetic users have unusable passwords: the bench signs them in the way the two-step
logon would leave a session (a confirmed authenticator named BENCH_DEVICE recorded in the
session), and `cleanup()` removes those authenticators and sessions again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.db.models import Count, Q
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

BENCH_DEVICE = "Bench authenticator (make bench)"


@dataclass
class Persona:
    key: str
    label: str
    user: Any
    staff: Any

    def __str__(self) -> str:
        return f"{self.label} ({self.user.username}, {self.staff.agency.short_name})"


def _candidates(role: str, filters: Q, order: str) -> Any:
    from agencies.models import StaffMember

    return (
        StaffMember.objects.filter(
            filters, roles__contains=[role], active=True, user__is_active=True
        )
        .select_related("user", "agency")
        .annotate(n=Count(order, distinct=True))
        .order_by("-n", "pk")
    )


def _pick(role: str, filters: Q, order: str) -> Any:
    return _candidates(role, filters, order).first()


def _sees_people_through_teams_only(staff: Any) -> bool:
    """The agency sees people (identity) through per-case grants alone, and on some case: the
    search's case-team path (design changes 14 and 22). An agency whose MOUs share no
    identity would measure an empty search."""
    from agencies.choices import RecordType
    from cases.models import Case
    from cases.querysets import standing_by_case_grants_only

    user = staff.user
    return standing_by_case_grants_only(user, "view", RecordType.IDENTITY) and (
        Case.objects.restrict_record(user, "view", RecordType.IDENTITY).exists()
    )


def pick_personas() -> dict[str, Persona]:
    """The personas present in this database (a persona whose role is missing is left out)."""
    from cases.models import Case

    found: dict[str, Persona] = {}
    top_lead = (
        Case.objects.unrestricted()
        .values("lead_agency_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    if top_lead:
        staff = _pick("case_manager", Q(agency_id=top_lead["lead_agency_id"]), "managed_cases")
        if staff:
            found["lead"] = Persona("lead", "lead-agency case manager", staff.user, staff)
    for role, label in (
        ("victim_advocate", "victim advocate (partner, field-limited)"),
        ("treatment_provider", "treatment provider (partner, field-limited)"),
    ):
        staff = _pick(
            role, ~Q(agency_id=(top_lead or {}).get("lead_agency_id")), "agency__case_assignments"
        )
        if staff:
            found["limited"] = Persona("limited", label, staff.user, staff)
            break
    # search only: a partner that sees people through its case teams alone (per-case grants),
    # of the agency on the most case teams among those whose MOUs share identity that way
    limited = found.get("limited")
    staff = next(
        (
            candidate
            for candidate in _candidates(
                "treatment_provider",
                ~Q(agency_id=(top_lead or {}).get("lead_agency_id")),
                "agency__case_assignments",
            )[:50]
            if _sees_people_through_teams_only(candidate)
        ),
        None,
    )
    if staff and (limited is None or limited.staff != staff):
        found["team"] = Persona(
            "team", "treatment provider (partner, case teams only)", staff.user, staff
        )
    staff = _pick(
        "supervision_officer",
        Q(agency__kind="community_supervision"),
        "supervised_cases",
    )
    if staff:
        found["wide"] = Persona(
            "wide", "supervision officer (partner, all cases)", staff.user, staff
        )
    return found


def device(user: Any) -> TOTPDevice:
    found = TOTPDevice.objects.filter(user=user, name=BENCH_DEVICE, confirmed=True).first()
    return found or TOTPDevice.objects.create(user=user, name=BENCH_DEVICE, confirmed=True)


def session_key(user: Any) -> str:
    """A saved, second-factor-verified session for `user` (as the two-step logon leaves it)."""
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "sartcm.security.signin.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store[DEVICE_ID_SESSION_KEY] = device(user).persistent_id
    store.create()
    return store.session_key or ""


def signed_in(client: Any, user: Any) -> Any:
    """Sign `user` in on a Django test Client / DRF APIClient (second factor included)."""
    client.cookies[settings.SESSION_COOKIE_NAME] = session_key(user)
    return client


def cleanup() -> int:
    """Remove the bench's authenticators and the sessions that used them."""
    from django.contrib.sessions.models import Session

    devices = list(TOTPDevice.objects.filter(name=BENCH_DEVICE))
    ids = {d.persistent_id for d in devices}
    users = {str(d.user_id) for d in devices}
    doomed = [
        s.session_key
        for s in Session.objects.all().iterator()
        if (data := s.get_decoded()).get(DEVICE_ID_SESSION_KEY) in ids
        and data.get(SESSION_KEY) in users
    ]
    Session.objects.filter(session_key__in=doomed).delete()
    try:
        from sartcm.security.models import UserSession

        UserSession.objects.filter(session_key__in=doomed).delete()
    except ImportError:  # pragma: no cover - the security app is always installed
        pass
    TOTPDevice.objects.filter(name=BENCH_DEVICE).delete()
    return len(devices)
