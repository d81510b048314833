"""Factories and helpers for the sync / bulk / OpenAPI tests (fictional data only).

`key_client(agency, *roles)` gives an APIClient authenticated with an API key of a service
account of `agency`, carrying every scope its roles allow (what an agency system would hold).
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import factory
from rest_framework.test import APIClient

from agencies.choices import Role
from agencies.roles import roles_allow
from cases.models import RegistrationRecord
from sartcm.apikeys import create_service_account, issue_key, valid_scopes
from tests.factories import CaseFactory, StaffFactory


class RegistrationRecordFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RegistrationRecord

    case = factory.SubFactory(CaseFactory)
    registering_agency = factory.LazyAttribute(lambda o: o.case.lead_agency)
    tier = "II"
    jurisdiction = "Prairie State"
    start_date = dt.date(2025, 6, 1)
    period_years = 25
    next_verification_due = dt.date(2026, 3, 1)


def all_scopes_for(roles: list[str]) -> list[str]:
    """Every scope the roles allow (record-type scopes) plus the non-record scopes."""
    scopes = []
    for scope in valid_scopes():
        action, _, target = scope.partition(":")
        if ":" not in scope or target in ("reference", "mous", "training"):
            scopes.append(scope)
        elif roles_allow(roles, action, target):
            scopes.append(scope)
    return scopes


_SERIAL = itertools.count(1)


def service_key(agency: Any, *roles: str, scopes: list[str] | None = None) -> tuple[Any, str]:
    """(service-account user, full API key) for `agency`."""
    role_list = list(roles) or [Role.CASE_MANAGER]
    admin = StaffFactory(agency=agency, roles=[Role.AGENCY_ADMIN]).user
    name = f"System {next(_SERIAL)} {'-'.join(role_list)}"
    user = create_service_account(admin, name, role_list)
    _, full = issue_key(admin, user, "sync", scopes or all_scopes_for(role_list))
    return user, full


def key_client(agency: Any, *roles: str, scopes: list[str] | None = None) -> APIClient:
    _, full = service_key(agency, *roles, scopes=scopes)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Api-Key {full}")
    return client


__all__ = ["RegistrationRecordFactory", "all_scopes_for", "key_client", "service_key"]
