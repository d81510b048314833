"""OpenAPI for the safe-write contract every RestrictedViewSet keeps (sartcm.api.safety):

- POST (create and actions): optional `Idempotency-Key` request header; 422 when a key is
  reused with another body.
- PUT/PATCH/DELETE: optional `If-Match` request header; 412 when it is stale.
- Reads and updates of one object: `ETag` response header.
- Errors: problem+json bodies (sartcm.api.exceptions) for 400/401/403/404/412/422/429.

Used as `schema = SafeWriteAutoSchema()` on the base viewsets, so generated clients get the
headers as arguments and every documented error has a schema.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import force_instance
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers

PROBLEM = "application/problem+json"
FORM_MEDIA_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details. `errors` names each field (or, for bulk imports, lists
    `{row, field, message}`)."""

    type = serializers.CharField(default="about:blank")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)
    errors = serializers.JSONField(
        required=False,
        help_text="Field name → messages; for bulk imports a list of {row, field, message}.",
    )


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (at most 200 characters): a retried POST with the same key "
    "and body replays the first response (header `Idempotent-Replayed: true`) instead of "
    "creating a second record.",
)
IF_MATCH = OpenApiParameter(
    "If-Match",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description="The ETag you read. If the object changed since, the write answers 412 and "
    "changes nothing.",
)
ETAG = OpenApiParameter(
    "ETag",
    OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    response=["200"],
    description="Version of this object; send it back as If-Match when you write.",
)

DETAIL_ACTIONS = frozenset({"retrieve", "update", "partial_update", "destroy"})
WRITE_ACTIONS = frozenset({"update", "partial_update", "destroy"})


class SafeWriteAutoSchema(AutoSchema):
    """AutoSchema adding the safe-write headers and problem+json error responses."""

    def _action(self) -> str:
        return getattr(self.view, "action", None) or ""

    def _idempotent(self) -> bool:
        from sartcm.api.safety import IdempotentCreateMixin

        return self.method == "POST" and isinstance(self.view, IdempotentCreateMixin)

    def get_override_parameters(self) -> list[Any]:
        params = list(super().get_override_parameters())
        action = self._action()
        if self._idempotent():
            params.append(IDEMPOTENCY_KEY)
        if action in WRITE_ACTIONS:
            params.append(IF_MATCH)
        if action in {"retrieve", "update", "partial_update"}:
            params.append(ETAG)
        return params

    def error_codes(self) -> list[str]:
        action = self._action()
        codes = ["401", "403", "429"]
        if self.method in ("POST", "PUT", "PATCH") or action == "list":
            codes.append("400")
        if action in DETAIL_ACTIONS or self.method in ("POST", "PUT", "PATCH", "DELETE"):
            codes.append("404")  # an invisible object, or a case you may not add to
        if action in WRITE_ACTIONS:
            codes.append("412")
        if self._idempotent():
            codes.append("422")
        return sorted(codes)

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        """A field-limited record shows a partner only the fields its MOU terms share: in
        responses only the structural `always_fields` are required."""
        from sartcm.api.viewsets import FieldLimitedSerializer

        schema = super()._map_basic_serializer(serializer, direction)
        if direction == "response" and isinstance(serializer, FieldLimitedSerializer):
            always = set(serializer.always_fields)
            required = [name for name in schema.get("required", []) if name in always]
            if required:
                schema["required"] = required
            else:
                schema.pop("required", None)
        return schema

    def _get_examples(
        self,
        serializer: Any,
        direction: Any,
        media_type: Any,
        status_code: Any = None,
        extras: Any = None,
    ) -> Any:
        """Form bodies take the same fields as JSON: document them with the JSON examples."""
        if direction == "request" and media_type in FORM_MEDIA_TYPES:
            media_type = "application/json"
        return super()._get_examples(serializer, direction, media_type, status_code, extras)

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for code in self.error_codes():
            if code not in responses:
                responses[code] = self._get_response_for_code(
                    ProblemSerializer, code, media_types=[PROBLEM], direction=direction
                )
                responses[code]["description"] = ERROR_DESCRIPTIONS[code]
            content = responses[code].get("content", {}).get(PROBLEM)
            if content is not None and not content.get("examples"):
                content["examples"] = {
                    "Problem": {"value": self.problem_example(code), "summary": "Problem"}
                }
        return responses

    def problem_example(self, code: str) -> dict[str, Any]:
        """A problem+json body as this operation answers it (field errors name a real field)."""
        if code != "400":
            title, detail = PROBLEM_EXAMPLES[code]
            return {"type": "about:blank", "title": title, "status": int(code), "detail": detail}
        field, message = "updated_since", "Enter a valid date/time."
        if self.method in ("POST", "PUT", "PATCH"):
            serializer = force_instance(self.get_request_serializer())
            serializer = getattr(serializer, "child", serializer)  # a list of rows
            fields = getattr(serializer, "fields", None) or {}
            writable = [name for name, f in fields.items() if not f.read_only]
            required = [name for name in writable if fields[name].required]
            if required or writable:
                field, message = (required or writable)[0], "This field is required."
            else:
                field, message = "non_field_errors", "Invalid data."
        return {
            "type": "about:blank",
            "title": "Invalid input.",
            "status": 400,
            "detail": f"{field}: {message}",
            "errors": {field: [message]},
        }


ERROR_DESCRIPTIONS = {
    "400": "Invalid input: `errors` names each field and what is valid.",
    "401": "No, or an invalid, expired or revoked, API key.",
    "403": "Not an active staff member of an active agency.",
    "404": "Not found — or not visible to you (the same answer, so existence does not leak).",
    "409": "The `version` in the body is stale: nothing was changed; fetch the object again.",
    "412": "If-Match is stale: fetch the object again and retry.",
    "422": "Idempotency-Key reused with a different request, or a bulk import refused.",
    "428": "Send the version the change is based on (If-Match, or `version` in the body).",
    "429": "Too many requests: wait for Retry-After seconds.",
}

_STALE = (
    "The resource changed since you read it (If-Match does not match its ETag). "
    "Fetch it again and retry."
)
_REUSED = "This Idempotency-Key was already used with a different request."
_FORBIDDEN = "You do not have permission to perform this action."
# (title, detail) as sartcm.api.exceptions renders each error.
PROBLEM_EXAMPLES = {
    "401": ("Incorrect authentication credentials.", "Invalid, expired or revoked API key."),
    "403": (_FORBIDDEN, _FORBIDDEN),
    "404": ("Not found.", "Not found."),
    "405": ("Method not allowed.", 'Method "DELETE" not allowed.'),
    "409": (
        "The release plan changed since the version you sent.",
        "Someone else (Rosa Delgado) saved this release plan at 10:41 on March 2, 2026 (version "
        "8; your edit was based on version 7). Your changes were not saved. Reload the plan to "
        "see the current version, then make your changes again.",
    ),
    "412": (_STALE, _STALE),
    "422": (_REUSED, _REUSED),
    "428": (
        "Send the version your change is based on.",
        "Send the version your change is based on.",
    ),
    "429": ("Request was throttled.", "Request was throttled. Expected available in 12 seconds."),
}
