"""Business days with the holiday calendar (data: protocols.Holiday)."""

from __future__ import annotations

from datetime import date, timedelta


def holidays(jurisdiction: str, start: date, end: date) -> set[date]:
    """Holidays between start and end (inclusive) for a jurisdiction, plus the default ('')."""
    from protocols.models import Holiday

    return set(
        Holiday.objects.filter(
            jurisdiction__in=["", jurisdiction], date__gte=start, date__lte=end
        ).values_list("date", flat=True)
    )


def is_business_day(day: date, closed: set[date]) -> bool:
    return day.weekday() < 5 and day not in closed


def add_business_days(start: date, days: int, jurisdiction: str = "") -> date:
    """The date `days` business days after `start` (start itself does not count).

    "Within 3 business days of Friday" with Monday a holiday is Thursday.
    """
    if days < 0:
        raise ValueError("days must be zero or more")
    closed = holidays(jurisdiction, start, start + timedelta(days=days * 2 + 30))
    current = start
    remaining = days
    while remaining > 0:
        current += timedelta(days=1)
        if is_business_day(current, closed):
            remaining -= 1
    return current


def business_days_between(start: date, end: date, jurisdiction: str = "") -> int:
    """Business days after `start` up to and including `end` (0 if end <= start)."""
    if end <= start:
        return 0
    closed = holidays(jurisdiction, start, end)
    return sum(
        1
        for n in range(1, (end - start).days + 1)
        if is_business_day(start + timedelta(days=n), closed)
    )
