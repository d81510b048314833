"""Deployment hardening: `check --deploy` clean, security headers, no inline script, secrets kept
out of logs and error reports, bandit wired into lint."""

from __future__ import annotations

import io
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

from sartcm.security.redaction import (
    RedactSensitiveFilter,
    SensitiveExceptionReporterFilter,
    redact_text,
)

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "SARTCM_ENV": "production",
    "SECRET_KEY": "k" * 20 + "Zq9#xY7!wV5@uT3$sR1%" * 3,
    "ALLOWED_HOSTS": "sartcm.example.test",
    "DATABASE_URL": os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/sartcm"),
    "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
    "DEFAULT_FROM_EMAIL": "sartcm@example.test",
    "DJANGO_SETTINGS_MODULE": "sartcm.settings",
}


def test_production_settings_pass_check_deploy_with_no_warnings() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DEMO_MODE")}
    env.update(PRODUCTION)
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_never_allow_demo_second_factors() -> None:
    env = {**os.environ, **PRODUCTION, "DEMO_MODE": "true"}
    code = (
        "import django; django.setup(); from django.conf import settings as s; "
        "from sartcm.security import demo\n"
        "assert s.DEMO_MODE is False\n"
        "try:\n    demo.current_code('cm.doc')\nexcept Exception as e:\n    print(type(e).__name__)"
    )
    result = subprocess.run(  # noqa: S603 - fixed arguments
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "ImproperlyConfigured" in result.stdout


@pytest.mark.django_db
def test_security_headers_on_every_page(client) -> None:
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"


@pytest.mark.django_db
def test_api_docs_allow_inline_styles_but_never_inline_scripts(client) -> None:
    from tests.factories import UserFactory
    from tests.helpers import otp_login

    otp_login(client, UserFactory())
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    csp = response["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in csp and "script-src 'self';" in csp
    assert "<script>" not in response.content.decode()  # the split view serves its script


def test_templates_have_no_inline_scripts_styles_or_handlers() -> None:
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\ssrc=)[^>]*>", text) or re.search(r"<style", text):
            offenders.append(f"{path}: inline script/style element")
        if re.search(r"\sstyle=\"", text) or re.search(r"\son[a-z]+=\"", text):
            offenders.append(f"{path}: style or event-handler attribute")
    assert offenders == []


def test_the_log_filter_masks_passwords_tokens_secrets_and_codes() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactSensitiveFilter())
    logger = logging.getLogger("tests.security.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("login password=%s for %s", "hunter2hunter2", "cm.doc")
        logger.warning("payload %s", {"otp_token": "123456", "username": "cm.doc"})
        logger.warning("db at %s", "postgres://sartcm:s3cr3t-pw@db/sartcm")
        logger.warning("header Authorization: Bearer abc.def.ghi")
        logger.warning("with extra", extra={"api_key": "k-123"})
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    for secret in ("hunter2hunter2", "123456", "s3cr3t-pw", "abc.def.ghi"):
        assert secret not in output
    assert "cm.doc" in output and "********" in output


def test_the_filter_is_on_the_configured_log_handler() -> None:
    assert "redact" in settings.LOGGING["handlers"]["console"]["filters"]
    handlers = [h for h in logging.getLogger().handlers if isinstance(h, logging.StreamHandler)]
    assert any(
        isinstance(f, RedactSensitiveFilter) for handler in handlers for f in handler.filters
    )


def test_redaction_keeps_ordinary_text() -> None:
    text = "GET /cases/12/contacts/ 200 user=cm.doc status_code=200"
    assert redact_text(text) == text


def test_error_reports_hide_otp_codes_and_passwords(settings) -> None:
    # given a request that failed while carrying a code and a password
    request = RequestFactory().post(
        "/security/login/verify/", {"code": "482913", "new_password1": "violet lantern"}
    )
    settings.OTP_SECRET_THING = "do-not-show"
    try:
        raise ValueError("boom")
    except ValueError:
        reporter = ExceptionReporter(request, *sys.exc_info())
        reporter.filter = SensitiveExceptionReporterFilter()
        text = reporter.get_traceback_text()
    # then neither value appears in the report
    assert "482913" not in text and "violet lantern" not in text
    assert "do-not-show" not in text
    assert settings.DEFAULT_EXCEPTION_REPORTER_FILTER.endswith("SensitiveExceptionReporterFilter")


def test_bandit_runs_in_lint_with_high_severity_only() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "$(VENV)/bin/bandit -q -r sartcm agencies cases mou protocols -lll" in makefile
    assert re.search(r"^bandit==\d", (ROOT / "requirements-dev.txt").read_text(), re.M)
