"""Swagger UI and Redoc work offline: every script, style and link is served by us."""

from __future__ import annotations

import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client

pytestmark = pytest.mark.django_db

URL_ATTRIBUTE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", re.IGNORECASE)


@pytest.mark.parametrize("page", ["/api/v1/docs/", "/api/v1/redoc/"])
def test_api_docs_reference_only_local_assets(page: str) -> None:
    response = Client().get(page)
    assert response.status_code == 200
    html = response.content.decode()
    urls = URL_ATTRIBUTE.findall(html)
    assert any(url.endswith(".js") for url in urls)
    assert not [url for url in urls if re.match(r"(https?:)?//", url)], urls
    assert "fonts.googleapis" not in html
    # and each local asset exists among the static files (sidecar)
    for url in urls:
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url


def test_schema_is_served_to_the_docs() -> None:
    response = Client().get("/api/v1/schema/")
    assert response.status_code == 200
    assert b"/api/v1/sync/removed/" in response.content
