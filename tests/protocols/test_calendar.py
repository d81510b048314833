"""Business-day deadlines over weekends and holidays."""

from __future__ import annotations

from datetime import date

import pytest

from protocols.calendar import add_business_days, business_days_between
from protocols.models import Holiday

pytestmark = pytest.mark.django_db


def test_three_business_days_skip_the_weekend() -> None:
    # Friday 2026-11-20 + 3 business days = Wednesday 2026-11-25
    assert add_business_days(date(2026, 11, 20), 3) == date(2026, 11, 25)


def test_holidays_are_skipped_for_their_jurisdiction_only() -> None:
    # given Thanksgiving (Thu 2026-11-26) statewide and a county-only holiday on Fri 27th
    Holiday.objects.create(jurisdiction="", date=date(2026, 11, 26), name="Thanksgiving")
    Holiday.objects.create(jurisdiction="Cedar County", date=date(2026, 11, 27), name="Local day")
    # when counting 3 business days from Wednesday 2026-11-25
    assert add_business_days(date(2026, 11, 25), 3) == date(2026, 12, 1)  # Fri, Mon, Tue
    assert add_business_days(date(2026, 11, 25), 3, "Cedar County") == date(2026, 12, 2)


def test_business_days_between() -> None:
    assert business_days_between(date(2026, 11, 20), date(2026, 11, 23)) == 1  # Fri -> Mon
    assert business_days_between(date(2026, 11, 23), date(2026, 11, 23)) == 0
