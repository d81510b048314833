"""What every demo builder shares: the seeded randomness, the anchor date, the rows so far."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from faker import Faker

from cases.demo.catalog import CENTER_LAT, CENTER_LON, EMAIL_DOMAIN, SEED
from cases.demo.rows import Row
from protocols.calendar import is_business_day


def add_months(day: date, months: int) -> date:
    """Same day `months` later (clamped to the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)


def first_of_month(day: date) -> date:
    return day.replace(day=1)


@dataclass
class DemoContext:
    """Seeded randomness and the rows built so far, keyed so later builders can refer to them.

    `anchor` is "today" for the data: dates are relative to it. The loader keeps the anchor of
    the first load, so a re-run on a later day describes exactly the same rows.
    """

    anchor: date
    seed: int = SEED
    rng: random.Random = field(init=False)
    fake: Faker = field(init=False)
    agencies: dict[str, Row] = field(default_factory=dict)
    users: dict[str, Row] = field(default_factory=dict)
    staff: dict[str, Row] = field(default_factory=dict)
    staff_roles: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    closed_days: set[date] = field(default_factory=set)
    conditions: list[Any] = field(default_factory=list)  # SpecialCondition in force
    checklist_codes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.fake = Faker("en_US")
        self.reseed("start")

    def reseed(self, label: str) -> None:
        """Fresh randomness for one section (or one offender): what one part draws never
        shifts another, so growing the demo or loading new reference data adds rows
        without rewriting the existing ones."""
        self.rng = random.Random(f"{self.seed}:{label}")
        self.fake.seed_instance(f"{self.seed}:{label}")

    # --- people -------------------------------------------------------------------------
    def staff_of(self, agency: str, role: str) -> list[str]:
        """Usernames of an agency's staff holding a role (stable order)."""
        return sorted(
            username
            for username, (short, roles) in self.staff_roles.items()
            if short == agency and role in roles
        )

    def phone(self) -> str:
        return f"(620) 555-01{self.rng.randrange(100):02d}"

    def email(self, local: str) -> str:
        return f"{local}@{EMAIL_DOMAIN}"

    # --- dates --------------------------------------------------------------------------
    def days_ago(self, n: int) -> date:
        return self.anchor - timedelta(days=n)

    def business_days_after(self, start: date, days: int) -> date:
        current, remaining = start, days
        while remaining > 0:
            current += timedelta(days=1)
            if is_business_day(current, self.closed_days):
                remaining -= 1
        return current

    def weekday_on_or_before(self, day: date) -> date:
        while day.weekday() >= 5:
            day -= timedelta(days=1)
        return day

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return timezone.make_aware(datetime.combine(day, time(hour, minute)))

    def coordinates(self) -> tuple[Decimal, Decimal]:
        lat = Decimal(str(round(CENTER_LAT + self.rng.uniform(-0.6, 0.6), 6)))
        lon = Decimal(str(round(CENTER_LON + self.rng.uniform(-0.9, 0.9), 6)))
        return lat, lon
