"""`make run`: the demo accounts' second factor is printed with the logins (demo data only)."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from freezegun import freeze_time

from sartcm.management.commands.run_stack import Command as RunStack
from sartcm.security import demo
from tests.factories import UserFactory
from tests.factories_security import code_step, password_step

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 9, 0, 0, tzinfo=dt.UTC)


def test_demo_devices_exist_only_in_demo_mode(settings) -> None:
    settings.DEMO_MODE = False
    UserFactory(username="cm.doc")
    with pytest.raises(ImproperlyConfigured):
        demo.ensure_demo_devices(["cm.doc"])
    with pytest.raises(ImproperlyConfigured):
        demo.current_code("cm.doc")
    assert not TOTPDevice.objects.exists()


def test_demo_devices_have_fixed_secrets_and_the_printed_code_logs_in(client, settings) -> None:
    # given demo mode and a demo user
    settings.DEMO_MODE = True
    user = UserFactory(username="cm.doc")
    # when their device is ensured (twice: idempotent) and the code printed
    secrets = demo.ensure_demo_devices(["cm.doc", "not.loaded"])
    assert demo.ensure_demo_devices(["cm.doc"]) == secrets
    assert list(secrets) == ["cm.doc"]
    assert secrets["cm.doc"] == demo.secret_base32(demo.demo_key_hex("cm.doc"))
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed
    with freeze_time(T0):
        code = demo.current_code("cm.doc")
        # then password + that code logs in
        password_step(client, "cm.doc")
        assert code_step(client, code)["Location"] == reverse("dashboard")


def test_the_run_banner_prints_each_demo_users_secret_and_code(settings) -> None:
    settings.DEMO_MODE = True
    UserFactory(username="cm.doc")
    UserFactory(username="admin.doc")
    out = StringIO()
    command = RunStack(stdout=out)
    with freeze_time(T0):
        command.print_banner({"host": "127.0.0.1", "port": 8000})
        expected_code = demo.current_code("cm.doc")
    text = out.getvalue()
    assert demo.secret_base32(demo.demo_key_hex("cm.doc")) in text
    assert f"code now {expected_code}" in text
    assert "admin.doc" in text and "demo_code" in text


def test_the_banner_prints_no_second_factor_outside_demo_mode(settings) -> None:
    settings.DEMO_MODE = False
    UserFactory(username="cm.doc")
    out = StringIO()
    RunStack(stdout=out).print_banner({"host": "127.0.0.1", "port": 8000})
    assert "secret" not in out.getvalue()


def test_demo_code_command_prints_a_fresh_code(settings) -> None:
    settings.DEMO_MODE = True
    UserFactory(username="tx.provider")
    out = StringIO()
    with freeze_time(T0):
        call_command("demo_code", "tx.provider", stdout=out)
        assert demo.current_code("tx.provider") in out.getvalue()
