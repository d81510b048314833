"""Change previews: before a standard is saved, say what it would change.

    register_preview(ContactStandard, my_preview)

A preview function receives the row in force now (None for a brand-new standard) and the
unsaved proposed row (with its `effective_from`), and returns one sentence such as
"312 cases would become behind". The edit page calls the function registered for the
standard's model; registering again for the same model replaces the earlier function (the
app that owns the affected data knows best).

The two previews shipped here read case data (registrations, residences) as aggregate counts
only. They look the models up through the app registry so that protocols does not import
cases; they deliberately count across every agency (`unrestricted()`), because a standard
applies statewide and the editor sees a number, never a row.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.db import models

from protocols.choices import ProtectedSiteKind
from protocols.lookups import next_verification_due
from protocols.models import (
    ProtectedSite,
    RegistrationSchedule,
    ResidenceRestrictionRule,
    Standard,
)

PreviewFunction = Callable[[Any, Any], str]

_REGISTRY: dict[type[models.Model], PreviewFunction] = {}


def register_preview(model: type[models.Model], fn: PreviewFunction) -> None:
    """Register `fn(current, proposed) -> str` as the change preview for `model`."""
    _REGISTRY[model] = fn


def preview_for(model: type[models.Model]) -> PreviewFunction | None:
    return _REGISTRY.get(model)


def preview_change(current: Standard | None, proposed: Standard) -> str | None:
    """The registered preview's text for a proposed change, or None when none is registered."""
    fn = preview_for(type(proposed))
    return None if fn is None else fn(current, proposed)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"


# --------------------------------------------------------------------------- registration


def _governed_registrations(schedule: RegistrationSchedule) -> Any:
    """Open registrations this schedule (the proposed row's keys) applies to."""
    registration = apps.get_model("cases", "RegistrationRecord")
    rows = registration.objects.unrestricted().exclude(status="ended")
    if schedule.jurisdiction:
        rows = rows.filter(jurisdiction=schedule.jurisdiction)
    else:
        # The default schedule governs jurisdictions that have no schedule of their own.
        own = (
            RegistrationSchedule.objects.in_force(schedule.effective_from)
            .exclude(jurisdiction="")
            .values("jurisdiction")
        )
        rows = rows.exclude(jurisdiction__in=own)
    if schedule.tier:
        rows = rows.filter(tier=schedule.tier)
    return rows.filter(transient=schedule.applies_to_transient)


def registration_preview(
    current: RegistrationSchedule | None, proposed: RegistrationSchedule
) -> str:
    """How many open registrations would get a different next verification date."""
    changed = 0
    governed = 0
    rows = _governed_registrations(proposed).values_list(
        "last_verified_on", "start_date", "next_verification_due", "case__offender__date_of_birth"
    )
    for last_verified, start, next_due, birth in rows.iterator():
        governed += 1
        base = last_verified or start
        new_due = next_verification_due(proposed, base, birth)
        old_due = next_verification_due(current, base, birth) if current else next_due
        if new_due != old_due:
            changed += 1
    scope = proposed.jurisdiction or "jurisdictions using the default"
    return (
        f"{_plural(changed, 'registration', 'registrations')} would get a different next "
        f"verification date (of {governed} open in {scope}"
        f"{', tier ' + proposed.tier if proposed.tier else ''}"
        f"{', transient' if proposed.applies_to_transient else ''})."
    )


# --------------------------------------------------------------------------- residence


FEET_PER_METRE = 3.280839895
EARTH_RADIUS_M = 6_371_008.8


def distance_feet(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle (haversine) distance in feet."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a)) * FEET_PER_METRE


def residences_within(jurisdiction: str, site_kind: str, feet: int | None) -> int:
    """Current residences (open cases, with coordinates) in `jurisdiction` closer than `feet`
    to a protected site of `site_kind` there. `feet` None: no rule, so 0."""
    if not feet:
        return 0
    residence = apps.get_model("cases", "Residence")
    homes = (
        residence.objects.unrestricted()
        .filter(end_date__isnull=True, latitude__isnull=False, longitude__isnull=False)
        .exclude(case__status__in=["discharged", "deceased"])
    )
    sites = ProtectedSite.objects.filter(kind=site_kind)
    if jurisdiction:
        homes = homes.filter(case__jurisdiction=jurisdiction)
        sites = sites.filter(jurisdiction=jurisdiction)
    site_points = [
        (site_jurisdiction, float(lat), float(lon))
        for site_jurisdiction, lat, lon in sites.values_list(
            "jurisdiction", "latitude", "longitude"
        )
    ]
    count = 0
    for home_jurisdiction, lat, lon in homes.values_list(
        "case__jurisdiction", "latitude", "longitude"
    ).iterator():
        if any(
            site_j == home_jurisdiction
            and distance_feet(float(lat), float(lon), s_lat, s_lon) < feet
            for site_j, s_lat, s_lon in site_points
        ):
            count += 1
    return count


def residence_preview(
    current: ResidenceRestrictionRule | None, proposed: ResidenceRestrictionRule
) -> str:
    """How many current residences would fall inside the restricted distance, against now."""
    kind = ProtectedSiteKind(proposed.site_kind).label.lower()
    after = residences_within(proposed.jurisdiction, proposed.site_kind, proposed.distance_feet)
    before = residences_within(
        proposed.jurisdiction, proposed.site_kind, current.distance_feet if current else None
    )
    scope = proposed.jurisdiction or "every jurisdiction"
    return (
        f"{_plural(after, 'current residence', 'current residences')} in {scope} would be "
        f"within {proposed.distance_feet:,} ft of a {kind} (now: {before})."
    )


def register_builtin_previews() -> None:
    """Called from ProtocolsConfig.ready()."""
    register_preview(RegistrationSchedule, registration_preview)
    register_preview(ResidenceRestrictionRule, residence_preview)
