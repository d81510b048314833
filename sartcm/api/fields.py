"""Related fields whose choices are restricted to what the caller may use.

    case = RestrictedPrimaryKeyRelatedField(queryset=Case.objects.all(), action="add",
                                            record_type="contacts")

An id outside the caller's scope gets the same "does not exist" error as an id that does not
exist, so a payload cannot be used to probe for (or attach to) another agency's records.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class RestrictedPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A primary-key field over `queryset.restrict(user, action)` (or, with `record_type`, over
    `queryset.restrict_record(user, action, record_type)` for cases)."""

    def __init__(self, *, action: str = "view", record_type: str | None = None, **kwargs: Any):
        self.restrict_action = action
        self.record_type = record_type
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is None:
            return queryset.none()
        if self.record_type is not None:
            return queryset.restrict_record(user, self.restrict_action, self.record_type)
        return queryset.restrict(user, self.restrict_action)
