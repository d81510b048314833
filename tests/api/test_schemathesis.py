"""schemathesis against the live schema: every GET and POST operation, as a lead-agency case
manager's system (an API key with all its scopes), with zero server errors and zero
responses that break the documented schema. Bounded and derandomized, so it is repeatable."""

from __future__ import annotations

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from agencies.choices import Role
from tests.factories_contacts import (
    PolygraphExamFactory,
    SupervisionContactFactory,
    build_world,
    default_contact_standards,
)
from tests.factories_sync import RegistrationRecordFactory, service_key

CHECKS = [not_a_server_error, response_schema_conformance]


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """The app is called through WSGI, not Django's test client: stop request_finished from
    closing the connection that holds the test's transaction (the test client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def api_key(db) -> str:  # noqa: ANN001
    """A lead agency with a case holding a little of everything, and its system's key."""
    world = build_world()
    default_contact_standards()
    SupervisionContactFactory(case=world.case)
    PolygraphExamFactory(case=world.case)
    RegistrationRecordFactory(case=world.case)
    _, full = service_key(world.lead, Role.CASE_MANAGER)
    return full


# Loaded at collection (the schema view needs no database), from the app itself.
schema = schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application())
schema.config.generation.update(
    max_examples=12, deterministic=True, database="none", with_security_parameters=False
)


@pytest.mark.django_db
@schema.include(method=["GET", "POST"]).parametrize()
@settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_api_conforms_to_its_schema(case, api_key: str) -> None:  # noqa: ANN001
    case.call_and_validate(headers={"Authorization": f"Api-Key {api_key}"}, checks=CHECKS)
