"""The one restriction path: `Model.objects.restrict(user, action)`.

After NetBox's RestrictedQuerySet. Each model's queryset says what "visible to this user for
this action" means (`_restrict`); everything that lists or fetches data — views, viewsets,
forms, exports, search, admin — calls `restrict`. Deny by default: a model that does not
implement `_restrict` shows nothing. Background jobs that must see everything call
`unrestricted()`, so the exception is visible in the code.
"""

from __future__ import annotations

from typing import Any, Self

from django.db import models
from django.db.models import Lookup


class RestrictedQuerySet(models.QuerySet):
    def restrict(self, user: Any, action: str = "view") -> Self:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        scopes = getattr(user, "_sartcm_scopes", None)  # an API key narrows, never widens
        if scopes is not None and not hasattr(self.model, "RECORD_TYPE"):
            scope = getattr(self.model, "API_SCOPE", f"{action}:{self.model._meta.model_name}")
            if scope.format(action=action) not in scopes:
                return self.none()
        return self._restrict(user, action)

    def _restrict(self, user: Any, action: str) -> Self:
        return self.none()

    def unrestricted(self) -> Self:
        """Every row: for background jobs and aggregates that deliberately see everything."""
        return self.all()


class EqualsAny(Lookup):
    """`lhs = ANY(rhs)` for an array rhs, e.g. `EqualsAny(F("pk"), ArraySubquery(ids))`.

    For a small id set computed in SQL: unlike `IN (subquery)`, which the planner joins using
    its (often wild) estimate of the subquery, the array is computed once up front and the
    rows are looked up by index (see CaseloadView)."""

    lookup_name = "equals_any"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = compiler.compile(self.rhs)
        return f"{lhs} = ANY({rhs})", [*lhs_params, *rhs_params]
