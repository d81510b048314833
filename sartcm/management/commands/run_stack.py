"""Run the web server, a Celery worker and Celery beat together; stop all on Ctrl-C."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Start web + Celery worker + Celery beat (development). Ctrl-C stops them all."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))

    def handle(self, *args: Any, **options: Any) -> None:
        env = {
            **os.environ,
            # Children reuse the services this process found or started (embedded or real).
            "DATABASE_URL": settings.DATABASE_URL,
            "REDIS_URL": settings.REDIS_URL,
            "PYTHONUNBUFFERED": "1",
        }
        beat_schedule = settings.BASE_DIR / ".local" / "celerybeat-schedule"
        beat_schedule.parent.mkdir(exist_ok=True)
        commands = {
            "web": [
                sys.executable,
                "manage.py",
                "runserver",
                f"{options['host']}:{options['port']}",
                "--noreload",
            ],
            "worker": [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "sartcm",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
            ],
            "beat": [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "sartcm",
                "beat",
                "-l",
                "info",
                "-s",
                str(beat_schedule),
            ],
        }
        procs = {
            name: subprocess.Popen(cmd, cwd=settings.BASE_DIR, env=env, start_new_session=True)  # noqa: S603
            for name, cmd in commands.items()
        }
        self.print_banner(options)
        stopping = False

        def stop(*_: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        try:
            while not stopping:
                for name, proc in procs.items():
                    if proc.poll() is not None:
                        self.stderr.write(
                            f"{name} exited with {proc.returncode}; stopping the rest."
                        )
                        stopping = True
                time.sleep(0.5)
        finally:
            for proc in procs.values():
                if proc.poll() is None:
                    os.killpg(proc.pid, signal.SIGTERM)
            deadline = time.time() + 10
            for proc in procs.values():
                try:
                    proc.wait(timeout=max(0.1, deadline - time.time()))
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
            self.stdout.write("Stopped web, worker and beat.")

    def print_banner(self, options: dict[str, Any]) -> None:
        from agencies.demo import DEMO_PASSWORD, demo_logins

        url = f"http://{options['host']}:{options['port']}/"
        self.stdout.write(
            self.style.SUCCESS(
                f"\nSARTCM is running at {url}  (Ctrl-C stops web, worker and beat)\n"
            )
        )
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, description in demo_logins():
            self.stdout.write(f"  {username:<14} {description}")
        self.print_second_factors([username for username, _ in demo_logins()])
        self.stdout.write("")

    def print_second_factors(self, usernames: list[str]) -> None:
        """Demo only: each account's authenticator secret and the code valid right now."""
        from sartcm.security import demo

        if not settings.DEMO_MODE:
            return
        lines = demo.second_factor_lines(usernames)
        if not lines:
            return
        self.stdout.write(
            "\nSecond factor (demo data only): add the secret to an authenticator app, or use the "
            "code shown\n(each code works once; `python manage.py demo_code USERNAME` prints a "
            "fresh one):"
        )
        for line in lines:
            self.stdout.write(line)
