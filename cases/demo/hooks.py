"""The demo's calls into other topics: reference data, grant sync, MFA devices."""

from __future__ import annotations

import io

from django.core.management import call_command


def run_reference_commands(notes: list[str]) -> None:
    """Protocol standards (with the instruments' level mappings and intervals) and the
    built-in instruments; both commands are idempotent."""
    call_command("load_standards", verbosity=0)
    call_command("load_instruments", verbosity=0)
    notes.append("load_standards and load_instruments: loaded")


def load_standards(notes: list[str]) -> None:
    """The default protocols and standards (contact standards, holidays, alert settings) only,
    its summary kept out of the caller's output (the synthetic generator's progress bar)."""
    out = io.StringIO()
    call_command("load_standards", stdout=out)
    notes.append(f"load_standards: {out.getvalue().strip()}")


def sync_grants(notes: list[str]) -> None:
    """Recompute the guardian grants from the MOU terms and case teams."""
    from cases.access import sync_grants as sync

    result = sync()
    notes.append(f"grants synced ({result})")


def ensure_demo_devices(notes: list[str]) -> None:
    """MFA devices for the demo logins, so they can sign in (demo mode only)."""
    from agencies.demo import DEMO_USERS
    from sartcm.security.demo import ensure_demo_devices as ensure

    ensure([username for username, *_ in DEMO_USERS])
    notes.append("demo MFA devices ensured")
