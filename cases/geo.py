"""Distances on the Earth's surface, in feet (residence-restriction checks).

Restriction distances are set in feet by statute (e.g. 1,000 ft from a school), so everything
here works in feet. Haversine on a sphere of the mean Earth radius is accurate to well under
0.5% — far less than a city block at these distances — and needs no GIS extension.
"""

from __future__ import annotations

import math
from decimal import Decimal

# IUGG mean Earth radius, 6,371,008.8 m, in international feet (0.3048 m).
EARTH_RADIUS_FEET = 6_371_008.8 / 0.3048

Number = float | Decimal | int


def haversine_feet(lat1: Number, lon1: Number, lat2: Number, lon2: Number) -> float:
    """Great-circle distance between two points given in decimal degrees, in feet."""
    phi1, phi2 = math.radians(float(lat1)), math.radians(float(lat2))
    dphi = phi2 - phi1
    dlmb = math.radians(float(lon2) - float(lon1))
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_FEET * math.asin(min(1.0, math.sqrt(a)))


def bounding_box(lat: Number, lon: Number, feet: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) enclosing every point within `feet` of (lat, lon).

    Used as a cheap index-friendly prefilter before the exact haversine distance; it errs on
    the generous side (a small margin, and longitude widened by the latitude's cosine).
    """
    lat_f, lon_f = float(lat), float(lon)
    dlat = math.degrees(feet / EARTH_RADIUS_FEET) * 1.01
    cos_lat = max(math.cos(math.radians(lat_f)), 0.01)  # stay finite near the poles
    dlon = math.degrees(feet / (EARTH_RADIUS_FEET * cos_lat)) * 1.01
    return lat_f - dlat, lat_f + dlat, lon_f - dlon, lon_f + dlon


def offset_north(lat: Number, feet: float) -> float:
    """The latitude `feet` due north of `lat` (along a meridian the haversine is exact)."""
    return float(lat) + math.degrees(feet / EARTH_RADIUS_FEET)
