"""End-to-end fixtures: Playwright driving Debian's Chromium against pytest-django's live_server.

- Chromium is /usr/bin/chromium (apt-get install chromium; .ci/run installs it when missing).
  Never `playwright install`. Without it the e2e tests skip — except in CI (CI=true), where
  they must run.
- `login(page, user)` is the ONE place that knows how to sign in (MFA will change it).
- `check(page, step)` saves artifacts/e2e/<test>/<step>.png and asserts axe-core finds no
  WCAG 2.1 A/AA violation on the page; call it on every page a journey visits.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "e2e"
PASSWORD = "correct horse battery staple"  # tests.factories.UserFactory's password
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end test in a real browser (Chromium)")


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    if CHROMIUM.exists() or IN_CI:
        return  # in CI a missing browser must fail, not skip
    skip = pytest.mark.skip(
        reason="e2e: /usr/bin/chromium is not installed (apt-get install chromium); "
        "these tests always run in CI"
    )
    for item in items:
        if item.get_closest_marker("e2e"):
            item.add_marker(skip)


@pytest.fixture
def _orm_beside_playwright(monkeypatch: Any) -> None:
    # Playwright's sync API runs an asyncio loop in this thread; the ORM calls a test makes
    # between browser steps are still plain synchronous calls. Only during e2e tests (a
    # process-wide setting would leak into subprocesses such as `check --deploy`).
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _fresh_permission_ids() -> None:
    # Transactional tests flush the database and re-create permissions with new ids; the
    # per-process cache of Case permission ids must not outlive that.
    from cases import querysets

    querysets._PERMISSION_IDS.clear()


@pytest.fixture
def browser(_orm_beside_playwright: None) -> Iterator[Any]:
    # Per test (about a second each): Playwright's event loop must stop before the
    # transactional database is flushed at teardown.
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def open_page(browser: Any, live_server: Any) -> Iterator[Callable[..., Any]]:
    """`open_page(viewport=PHONE)` → a page in a fresh context on the live server."""
    contexts: list[Any] = []

    def make(viewport: dict[str, int] | None = None) -> Any:
        context = browser.new_context(
            base_url=live_server.url,
            viewport=viewport or DESKTOP,
            bypass_csp=True,  # axe is injected as a script tag; the app's CSP stays strict
            locale="en-US",
            timezone_id=settings.TIME_ZONE,
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def login(page: Any, user: Any, password: str = PASSWORD) -> None:
    """Sign in through the real two-step logon: the system-use notice, username and password,
    then a code from the user's authenticator (the one place that knows how to sign in)."""
    from tests.factories_security import totp_code
    from tests.helpers import otp_device

    device = otp_device(user)
    page.goto("/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(password)
    page.get_by_label("I understand and consent").check()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(lambda url: "/login/verify/" in url)
    page.get_by_label(re.compile("code", re.IGNORECASE)).first.fill(totp_code(device))
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(lambda url: "/login" not in url)


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on the current page."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => {
            const result = await window.axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(' ') + ' :: ' + n.failureSummary),
            }));
        }""",
        AXE_TAGS,
    )


def _slug(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("_")


@pytest.fixture
def check(request: Any) -> Callable[[Any, str], None]:
    """`check(page, step)`: screenshot into artifacts/e2e/<test>/<step>.png, then axe."""
    folder = ARTIFACTS / _slug(request.node.name)
    for stale in folder.glob("*.png"):  # a journey's folder holds this run's steps only
        stale.unlink()
    counter = {"n": 0}

    def run(page: Any, step: str) -> None:
        page.wait_for_load_state("load")
        if page.locator("[hx-trigger]").count():
            # htmx may still be loading a fragment or polling: let the network settle (500 ms
            # of quiet, so only where it can matter)
            page.wait_for_load_state("networkidle")
        counter["n"] += 1
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{counter['n']:02d}-{_slug(step)}.png"
        page.screenshot(path=str(folder / name), full_page=True)
        violations = axe_violations(page)
        assert not violations, f"axe on {page.url} ({step}):\n" + json.dumps(violations, indent=2)

    return run


__all__ = ["DESKTOP", "PHONE", "login"]
