"""The session store (sartcm.security.sessions): Django's database sessions, loaded with one
SELECT — the same answers as Django's store for a live, an expired and an unknown key."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore as DjangoStore
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sartcm.security.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_the_app_uses_this_store() -> None:
    assert settings.SESSION_ENGINE == "sartcm.security.sessions"


def test_a_live_session_loads_in_one_query_as_django_s_store_does() -> None:
    saved = SessionStore()
    saved["answer"] = 42
    saved.create()
    store = SessionStore(saved.session_key)
    with CaptureQueriesContext(connection) as queries:
        loaded = store.load()
    assert len(queries) == 1
    assert loaded == {"answer": 42} == DjangoStore(saved.session_key).load()
    assert store.session_key == saved.session_key


@pytest.mark.parametrize("key", ["expired", "unknown", ""])
def test_an_expired_or_unknown_key_loads_nothing_and_is_forgotten(key: str) -> None:
    if key == "expired":
        saved = SessionStore()
        saved["answer"] = 42
        saved.create()
        Session.objects.filter(session_key=saved.session_key).update(
            expire_date=timezone.now() - dt.timedelta(seconds=1)
        )
        key = saved.session_key
    elif key == "unknown":
        key = "x" * 32
    store = SessionStore(key or None)
    assert store.load() == {}
    assert store.session_key is None
    assert DjangoStore(key or None).load() == {}
