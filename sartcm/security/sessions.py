"""Session engine: Django's database sessions, loaded with one hand-written SELECT.

Every signed-in request loads its session first; Django's store does it through the ORM
(`Session.objects.get(session_key=…, expire_date__gt=now)`), whose compilation cost more than
the index probe itself (docs/performance.md, design change 17). Same table, same rows, same
answers: an unknown or expired key loads nothing and the store forgets the key. Saving,
deleting and cycling keys are Django's.
"""

from __future__ import annotations

from typing import Any

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self) -> Any:
        key = self.session_key
        if not key:
            self._session_key = None
            return None
        model = self.model
        with connections[router.db_for_read(model)].cursor() as cursor:
            cursor.execute(
                f"SELECT session_data, expire_date FROM {model._meta.db_table} "  # noqa: S608
                "WHERE session_key = %s AND expire_date > %s",
                [key, timezone.now()],
            )
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model(session_key=key, session_data=row[0], expire_date=row[1])
