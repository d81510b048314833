"""OpenAPI extensions for our own API classes (imported in SartcmConfig.ready)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class APIKeyScheme(OpenApiAuthenticationExtension):
    target_class = "sartcm.api.authentication.APIKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`Api-Key <prefix>.<secret>`, issued by your agency administrator (shown once).",
        }


class SessionCookieScheme(SessionScheme):
    """The browser session (our subclass of DRF's session authentication), as DRF's."""

    target_class = "sartcm.api.authentication.SessionAuthentication"
