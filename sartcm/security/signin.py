"""The signed-in user, the session's second factor and the account state, in one query.

Every signed-in request needs three rows before it reads any case data: the user (Django's
AuthenticationMiddleware, through the session's backend), the device that verified the
session (django-otp's OTPMiddleware) and the account state with the staff record, its agency
and, in a read-only request, the agency's standing facts (sartcm.security.middleware
.account_state). Three ORM queries, whose building and compiling cost more than running them
(≈2.6 ms of Python per request; docs/performance.md, design change 20). Here they are one
hand-written statement; everything that decides who is signed in is still Django's and
django-otp's own code:

- `SignedInUserMiddleware` (a subclass of Django's AuthenticationMiddleware, in its place,
  and in the place of OTPMiddleware) loads the rows, then calls Django's `auth.get_user`,
  which checks the session's backend and verifies the session hash (a changed password ends
  the session) as always;
- `ModelBackend.get_user` (Django's ModelBackend otherwise) answers with the loaded user when
  the id is the one loaded, and applies `user_can_authenticate` (inactive: nobody);
- the device goes through django-otp's `_finalize_device` (bound to the user, confirmed);
  an id that names no device verifies nothing;
- `account_state(request)` takes the loaded staff and password state instead of querying.

Sessions of another backend, and the async path (`request.auser`), are Django's and
django-otp's unchanged.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.apps import apps
from django.contrib import auth
from django.contrib.auth import BACKEND_SESSION_KEY, SESSION_KEY
from django.contrib.auth import backends as auth_backends
from django.contrib.auth.middleware import AuthenticationMiddleware
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.middleware import OTPMiddleware
from django_otp.models import Device

BACKEND_PATH = "sartcm.security.signin.ModelBackend"
READ_ONLY_METHODS = ("GET", "HEAD", "OPTIONS")  # as sartcm.middleware.RequestContextMiddleware


@dataclass
class Loaded:
    """What the statement loaded for the session's user id."""

    user_id: Any
    user: Any | None  # None: no such user
    device_key: str | None  # the persistent id the device columns answer for
    device: Any | None
    staff: Any | None  # with its agency (and standing facts in a read-only request)
    password_changed_at: Any
    password_compromised: bool | None


_LOADED: ContextVar[Loaded | None] = ContextVar("sartcm_signin_loaded", default=None)


class ModelBackend(auth_backends.ModelBackend):
    """Django's ModelBackend; `get_user` serves the user SignedInUserMiddleware just loaded
    for the same id (one query with the device and account state) instead of a query."""

    def get_user(self, user_id: Any) -> Any:
        loaded = _LOADED.get()
        if loaded is None or loaded.user_id != user_id:
            return super().get_user(user_id)
        user = loaded.user
        return user if user is not None and self.user_can_authenticate(user) else None


def _device_model(key: str) -> Any:
    """The Device subclass a normalized persistent id names, or None (as
    Device.from_persistent_id, which answers None for it)."""
    try:
        label, device_id = key.rsplit("/", 1)
        if not 0 < int(device_id) < 2**63:
            return None
        model = apps.get_model(*label.split("."))
    except (ValueError, LookupError, TypeError):
        return None
    return model if issubclass(model, Device) else None


def _columns(model: Any, alias: str) -> tuple[list[str], list[str]]:
    fields = model._meta.concrete_fields
    qn = connection.ops.quote_name
    return [f"{alias}.{qn(f.column)}" for f in fields], [f.attname for f in fields]


_SQL: dict[tuple[str | None, bool], tuple[str, dict[str, list[str]]]] = {}


def _statement(device_model: Any, with_facts: bool) -> tuple[str, dict[str, list[str]]]:
    """The statement for one kind of device (or none) and whether to load standing facts,
    with the attribute names of each model's columns in order."""
    key = (device_model._meta.label_lower if device_model else None, with_facts)
    if key not in _SQL:
        from agencies.models import Agency, StaffMember
        from cases.querysets import standing_facts_sql
        from sartcm.security.models import AccountSecurity

        user_model = auth.get_user_model()
        qn = connection.ops.quote_name
        select, names = [], {}
        for name, model, alias in (
            ("user", user_model, "u"),
            ("device", device_model, "d"),
            ("staff", StaffMember, "s"),
            ("agency", Agency, "a"),
        ):
            if model is None:
                continue
            columns, names[name] = _columns(model, alias)
            select += columns
        select += ["sec.password_changed_at", "sec.password_compromised"]
        if with_facts:
            facts, _ = standing_facts_sql("a.group_id", "s.agency_id")
            select += [f"{sql} AS {qn(name)}" for name, sql in facts.items()]
            names["facts"] = list(facts)
        joins = [
            f"LEFT JOIN {qn(StaffMember._meta.db_table)} s ON s.user_id = u.id",
            f"LEFT JOIN {qn(Agency._meta.db_table)} a ON a.id = s.agency_id",
            f"LEFT JOIN {qn(AccountSecurity._meta.db_table)} sec ON sec.user_id = u.id",
        ]
        if device_model is not None:
            joins.insert(0, f"LEFT JOIN {qn(device_model._meta.db_table)} d ON d.id = %s")
        _SQL[key] = (
            f"SELECT {', '.join(select)} FROM {qn(user_model._meta.db_table)} u "
            f"{' '.join(joins)} WHERE u.id = %s",
            names,
        )
    return _SQL[key]


def _take(model: Any, names: list[str], row: list[Any]) -> tuple[Any, list[Any]]:
    """An instance of `model` from the first columns of `row` (None if its id is NULL)."""
    values, rest = row[: len(names)], row[len(names) :]
    if values[names.index("id")] is None:
        return None, rest
    return model.from_db(connection.alias, names, values), rest


def load(request: HttpRequest) -> Loaded | None:
    """The session's user, device and account state in one statement; None when the
    session names no user of this backend (Django's get_user then decides alone)."""
    session = request.session
    try:  # as django.contrib.auth._get_user_session_key
        user_id = auth.get_user_model()._meta.pk.to_python(session[SESSION_KEY])
        backend = session[BACKEND_SESSION_KEY]
    except (KeyError, ValueError, ValidationError):
        return None
    if backend != BACKEND_PATH:
        return None
    from agencies.models import Agency, StaffMember
    from cases.querysets import standing_facts_sql

    persistent_id = session.get(DEVICE_ID_SESSION_KEY)
    device_key = OTPMiddleware._normalize_persistent_id(persistent_id) if persistent_id else None
    device_model = _device_model(device_key) if device_key else None
    with_facts = request.method in READ_ONLY_METHODS
    sql, names = _statement(device_model, with_facts)
    params: list[Any] = list(standing_facts_sql("", "")[1]) if with_facts else []
    if device_model is not None:
        params.append(int(device_key.rsplit("/", 1)[1]))  # type: ignore[union-attr]
    params.append(user_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        found = cursor.fetchone()
    if found is None:
        return Loaded(user_id, None, None, None, None, None, None)
    row = list(found)
    user, row = _take(auth.get_user_model(), names["user"], row)
    device = None
    if device_model is not None:
        device, row = _take(device_model, names["device"], row)
    staff, row = _take(StaffMember, names["staff"], row)
    agency, row = _take(Agency, names["agency"], row)
    changed_at, compromised, *facts = row
    if staff is not None:
        StaffMember._meta.get_field("agency").set_cached_value(staff, agency)
        for name, value in zip(names.get("facts", []), facts, strict=True):
            setattr(staff, name, value)
    return Loaded(
        user_id,
        user,
        device_key if device_model is not None else None,
        device,
        staff,
        changed_at,
        compromised,
    )


class SignedInUserMiddleware(AuthenticationMiddleware):
    """Django's AuthenticationMiddleware followed by django-otp's OTPMiddleware, with the
    rows they (and the account-state check) read loaded by one statement (module docstring).
    `request.user` stays lazy; `user.otp_device` and `user.is_verified()` as django-otp's."""

    _otp = OTPMiddleware(lambda request: None)  # for its async path and helpers

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)  # the session check, and Django's request.auser
        request.user = SimpleLazyObject(partial(self._verified_user, request))
        request.auser = partial(self._otp._verify_user_async_via_auser, request, request.auser)

    def _verified_user(self, request: HttpRequest) -> Any:
        loaded = load(request)
        token = _LOADED.set(loaded)
        try:
            user = auth.get_user(request)  # Django's: backend, session hash, else anonymous
        finally:
            _LOADED.reset(token)
        OTPMiddleware._init_user_fields(user)
        if not user.is_authenticated:
            return user
        if loaded is not None and loaded.user is user:
            request._security_loaded = loaded  # type: ignore[attr-defined]
        persistent_id = request.session.get(DEVICE_ID_SESSION_KEY)
        device = None
        if persistent_id:
            key = OTPMiddleware._normalize_persistent_id(persistent_id)
            if loaded is not None and loaded.device_key == key:
                device = loaded.device
            elif _device_model(key) is not None:  # not loaded (another backend's session)
                device = Device.from_persistent_id(key)
            # else: names no device (django-otp's from_persistent_id fails on a model that is
            # not a Device); the session is not verified
        user.otp_device = OTPMiddleware._finalize_device(request, user, device)
        return user
