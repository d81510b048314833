"""The authorization world, built once per test module inside a transaction that is rolled
back at the end of the module; each test runs in a savepoint inside it (pytest-django)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from tests.authz.personas import Persona
from tests.authz.world import World, build_world
from tests.helpers import otp_login


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_world()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def client_for(world: World, persona: Persona) -> Client:
    """A browser signed in as the persona (anonymous: not signed in; the deactivated user's
    session no longer authenticates)."""
    client = Client()
    user = world.users[persona.name]
    if user is not None:
        otp_login(client, user)
    return client
