"""Strict helpers for reading settings from the environment (after Healthchecks' envbool/envint).

A malformed value fails at start with a message naming the variable, never later at run time.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse


class SettingsError(Exception):
    """A required environment variable is missing or malformed."""


def envstr(name: str, default: str | None = None, *, required: bool = False) -> str | None:
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise SettingsError(f"{name} must be set (it is required when SARTCM_ENV=production).")
        return default
    return value


def envbool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be a boolean (true/false, 1/0, yes/no), got {value!r}.")


def envint(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise SettingsError(f"{name} must be an integer, got {value!r}.") from None


def envfloat(name: str, default: float | None) -> float | None:
    """A positive number; empty or unset gives `default` (None: "leave it to the server")."""
    value = os.environ.get(name)
    if value is None:
        return default
    if value.strip() == "":
        return None
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(f"{name} must be a number, got {value!r}.") from None
    if not number > 0 or number == float("inf"):
        raise SettingsError(f"{name} must be a positive number, got {value!r}.")
    return number


def envlist(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


def envurl(name: str, schemes: tuple[str, ...], *, required: bool = False) -> str | None:
    """Read a URL and check its scheme, so a typo fails at start with the variable's name."""
    value = envstr(name, required=required)
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in schemes:
        raise SettingsError(
            f"{name} must be a URL starting with one of {', '.join(s + '://' for s in schemes)}; "
            f"got {value!r}."
        )
    return value
