"""Settings fail at start, naming the variable, when production configuration is missing or bad."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "SARTCM_ENV": "production",
    "SECRET_KEY": "x" * 60,
    "ALLOWED_HOSTS": "sartcm.example.test",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/sartcm_ci",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "DEFAULT_FROM_EMAIL": "sartcm@example.test",
}


def load_settings(
    code: str = "import django.conf as c; c.settings.DATABASES", **overrides: str | None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in GOOD}
    env.update(GOOD)
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    env["DJANGO_SETTINGS_MODULE"] = "sartcm.settings"
    return subprocess.run(  # noqa: S603 - the test's own fixed snippets
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_load_when_complete() -> None:
    result = load_settings()
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("SECRET_KEY", None, "SECRET_KEY must be set"),
        ("SECRET_KEY", "short", "SECRET_KEY must be at least 50"),
        ("DATABASE_URL", None, "DATABASE_URL must be set"),
        ("DATABASE_URL", "mysql://x/y", "DATABASE_URL must be a URL starting with"),
        ("REDIS_URL", None, "REDIS_URL must be set"),
        ("ALLOWED_HOSTS", None, "ALLOWED_HOSTS must be set"),
        ("DEBUG", "maybe", "DEBUG must be a boolean"),
        ("SARTCM_ENV", "staging", "SARTCM_ENV must be development, test or production"),
    ],
)
def test_bad_production_settings_fail_naming_the_variable(
    variable: str, value: str | None, message: str
) -> None:
    result = load_settings(**{variable: value})
    assert result.returncode != 0
    assert message in result.stderr


@pytest.mark.django_db
def test_the_app_s_database_sessions_run_without_jit() -> None:
    # PostgreSQL's JIT spent 3-4 s per alert-sweep statement compiling (docs/performance.md §6)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)


OPTIONS = (
    "from django.conf import settings as s; "
    "print(s.DATABASES['default'].get('OPTIONS', {}).get('options'))"
)


@pytest.mark.parametrize(("value", "expected"), [(None, "-c jit=off"), ("true", None)])
def test_db_jit_switches_the_connection_option(value: str | None, expected: str | None) -> None:
    result = load_settings(OPTIONS, DB_JIT=value, DB_RANDOM_PAGE_COST="")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(expected)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "-c jit=off -c random_page_cost=1.1"),
        ("2", "-c jit=off -c random_page_cost=2.0"),
        ("", "-c jit=off"),  # empty: the server's own setting
    ],
)
def test_db_random_page_cost_sets_the_connection_option(value: str | None, expected: str) -> None:
    result = load_settings(OPTIONS, DB_RANDOM_PAGE_COST=value)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected


@pytest.mark.parametrize("value", ["fast", "0", "-1", "inf"])
def test_a_bad_db_random_page_cost_fails_naming_it(value: str) -> None:
    result = load_settings(DB_RANDOM_PAGE_COST=value)
    assert result.returncode != 0
    assert "DB_RANDOM_PAGE_COST must be a" in result.stderr


@pytest.mark.django_db
def test_the_app_s_database_sessions_price_random_reads_for_memory() -> None:
    # a partner's few hundred case lookups by id beat a scan of every case (design change 16)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone() == ("1.1",)


def test_a_serving_process_freezes_what_start_up_loaded() -> None:
    import gc

    from sartcm.startup import prepare_to_serve

    try:
        prepare_to_serve()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
