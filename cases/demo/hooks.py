"""Seams to code other topics provide (grant sync, scoring, reference data, MFA devices).

The demo calls each one when it exists and says so when it does not, so the loader works on
every branch and lights up as the pieces are merged.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

from django.core.management import call_command, get_commands


def optional(module: str, name: str) -> Callable[..., Any] | None:
    """`module.name` if both exist, else None (an ImportError inside the module still raises)."""
    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as error:
        if error.name and module.startswith(error.name):
            return None
        raise
    return getattr(mod, name, None)


def call_with_known(function: Callable[..., Any], **candidates: Any) -> Any:
    """Call `function` with the candidate keyword arguments its signature accepts.

    Used for services whose exact signature another topic owns (e.g. record_assessment):
    refuses loudly when a required parameter has no candidate, instead of guessing.
    """
    signature = inspect.signature(function)
    kwargs = {}
    for name, parameter in signature.parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if name in candidates:
            kwargs[name] = candidates[name]
        elif parameter.default is parameter.empty:
            raise TypeError(f"{function.__qualname__} needs '{name}', which the demo cannot supply")
    return function(**kwargs)


def run_reference_commands(notes: list[str]) -> None:
    """Protocol standards and the built-in instruments (other topics write these commands)."""
    commands = get_commands()
    for name in ("load_standards", "load_instruments"):
        if name in commands:
            call_command(name, verbosity=0)
            notes.append(f"{name}: loaded")
        else:
            notes.append(f"{name}: command not available on this branch; skipped")


def sync_grants(notes: list[str]) -> None:
    """Recompute the guardian grants from the MOU terms and case teams."""
    function = optional("cases.access", "sync_grants")
    if function is None:
        notes.append("cases.access.sync_grants not available on this branch; grants not synced")
        return
    result = function()
    notes.append(f"grants synced ({result})" if result is not None else "grants synced")


def ensure_demo_devices(notes: list[str]) -> None:
    """MFA devices for the demo logins, so they can sign in (the security topic writes it)."""
    function = optional("sartcm.security.demo", "ensure_demo_devices")
    if function is None:
        notes.append("sartcm.security.demo.ensure_demo_devices not available; skipped")
        return
    function()
    notes.append("demo MFA devices ensured")
