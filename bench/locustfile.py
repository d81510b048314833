"""A mixed day's work for the load test (`python -m bench --only load`, `make loadtest`).

Case managers (lead agency) open their caseload and dashboard, a case workspace, search and
the alerts inbox; supervision officers (partner district) list contacts over the API and log
one. Sessions come from bench.personas (second factor included), passed in the JSON file named
by BENCH_LOCUST_CONFIG; the run is started and bounded by bench.serving.load_test.
"""

from __future__ import annotations

import json
import os
import random
import secrets
from datetime import UTC, datetime
from itertools import count

from locust import HttpUser, between, task

CONFIG = json.loads(open(os.environ["BENCH_LOCUST_CONFIG"]).read())  # noqa: SIM115
_NEXT = count()


class Signed(HttpUser):
    abstract = True
    # a busy person: a page every 3 to 10 seconds (reading it, typing, deciding)
    wait_time = between(3.0, 10.0)
    session_key = ""

    def on_start(self) -> None:
        # a CSRF secret of our own (cookie and header must match) for the API's writes
        self.csrf = secrets.token_hex(16)
        self.client.cookies.set("sessionid", self.session_key)
        self.client.cookies.set("csrftoken", self.csrf)


class CaseManager(Signed):
    weight = 3

    def on_start(self) -> None:
        self.session_key = CONFIG["lead_sessions"][next(_NEXT) % len(CONFIG["lead_sessions"])]
        super().on_start()

    @task(3)
    def caseload(self) -> None:
        self.client.get("/cases/caseload/", name="caseload page")

    @task(2)
    def dashboard(self) -> None:
        self.client.get("/", name="dashboard")

    @task(4)
    def workspace(self) -> None:
        case = random.choice(CONFIG["lead_cases"])
        self.client.get(f"/cases/{case}/", name="case workspace")

    @task(2)
    def search(self) -> None:
        term = random.choice(CONFIG["searches"])
        self.client.get(f"/cases/search/?q={term}", name="search")

    @task(2)
    def alerts(self) -> None:
        self.client.get("/cases/alerts/", name="alerts inbox")

    @task(2)
    def api_cases(self) -> None:
        self.client.get("/api/v1/cases/", name="API cases list")


class Officer(Signed):
    weight = 2

    def on_start(self) -> None:
        self.session_key = CONFIG["officer_sessions"][next(_NEXT) % len(CONFIG["officer_sessions"])]
        super().on_start()

    @task(3)
    def api_contacts(self) -> None:
        self.client.get("/api/v1/contacts/", name="API contacts list")

    @task(1)
    def log_contact(self) -> None:
        case = random.choice(CONFIG["officer_cases"])
        self.client.post(
            "/api/v1/contacts/",
            json={
                "case": case,
                "contact_type": "office",
                "contact_at": datetime.now(UTC).isoformat(),
                "notes": "Load test contact (removed after the run).",
            },
            headers={"X-CSRFToken": self.csrf, "Referer": self.host + "/"},
            name="log contact (API)",
        )

    @task(2)
    def alerts(self) -> None:
        self.client.get("/cases/alerts/", name="alerts inbox")
