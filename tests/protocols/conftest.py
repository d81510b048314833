"""Shared fixtures for the protocols tests."""

from __future__ import annotations

import pytest

from tests.factories_protocols import Personas, make_personas


@pytest.fixture
def people() -> Personas:
    """An agency's editor (supervisor), staff, and another agency's administrator."""
    return make_personas()
