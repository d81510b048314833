"""`manage.py demo_code [username ...]`: the current second-factor code of demo accounts."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError

from sartcm.security import demo


class Command(BaseCommand):
    help = "Print the current authenticator code of demo users (DEMO_MODE only)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("usernames", nargs="*", help="Demo usernames (default: all).")

    def handle(self, *args: Any, **options: Any) -> None:
        from agencies.demo import DEMO_USERS

        usernames = options["usernames"] or [row[0] for row in DEMO_USERS]
        try:
            demo.ensure_demo_devices(usernames)
            for username in usernames:
                self.stdout.write(f"{username:<14} {demo.current_code(username)}")
        except ImproperlyConfigured as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"(valid for about {demo.seconds_left()} more seconds; each code works once)"
        )
