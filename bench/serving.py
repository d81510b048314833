"""Measures over real HTTP on loopback: gunicorn on both cores, wrk (or a small Python load
generator where wrk is not installed), and the locust load test (bench/locustfile.py).

Everything is bounded in time and talks to 127.0.0.1 only. The server runs with the same
DATABASE_URL / REDIS_URL as the bench, DEBUG off and the API throttle raised (it limits
clients, not the server). Signed-in sessions are made by bench.personas and removed after.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.report import Figure, ms, percentile

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def worker_rss_mb(master_pid: int) -> dict[int, float]:
    """Peak resident set (VmHWM) of each gunicorn worker (children of the master)."""
    peaks: dict[int, float] = {}
    try:
        children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    except OSError:
        return peaks
    for pid in children:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        found = re.search(r"VmHWM:\s+(\d+) kB", status)
        if found:
            peaks[int(pid)] = int(found.group(1)) / 1024
    return peaks


@contextmanager
def gunicorn(workers: int | None = None) -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn sartcm.wsgi on a free loopback port; yields (base URL, process)."""
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "0",
        "API_RATE": "100000000/minute",
        "DJANGO_SETTINGS_MODULE": "sartcm.settings",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "sartcm.wsgi",
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers or 2 * (os.cpu_count() or 1)),
        "--log-level",
        "warning",
        "--timeout",
        "60",
        "--preload",  # load the app once, before forking: no worker boots during a run
    ]
    log = tempfile.TemporaryFile()
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    base = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection((HOST, port), timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(
                        "gunicorn did not start:\n" + log.read().decode(errors="replace")[-2000:]
                    ) from None
                time.sleep(0.2)
        _get(base, "/healthz", {})  # load the app in a worker
        yield base, process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _get(base: str, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def python_load(
    base: str, path: str, headers: dict[str, str], seconds: float, threads: int = 8
) -> dict[str, float]:
    """Closed-loop load with keep-alive connections: requests per second, errors, latency."""
    host, port = base.removeprefix("http://").split(":")
    stop = time.monotonic() + seconds
    lock = threading.Lock()
    latencies: list[float] = []
    errors = [0]

    def worker() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        mine: list[float] = []
        bad = 0
        while time.monotonic() < stop:
            start = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
            mine.append(time.perf_counter() - start)
        connection.close()
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    began = time.perf_counter()
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    elapsed = time.perf_counter() - began
    return {
        "rps": len(latencies) / elapsed,
        "errors": errors[0],
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
    }


WRK_LINE = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_ERRORS = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")


def wrk_load(
    base: str, path: str, headers: dict[str, str], seconds: float, threads: int = 2
) -> dict[str, float]:
    command = ["wrk", "-t", str(threads), "-c", "8", "-d", f"{int(seconds)}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(
        [*command, base + path], capture_output=True, text=True, timeout=seconds + 30
    ).stdout
    scale = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
    latency = {int(p): float(v) * scale[u] for p, v, u in WRK_LATENCY.findall(out)}
    errors = WRK_ERRORS.search(out)
    rps = WRK_LINE.search(out)
    return {
        "rps": float(rps.group(1)) if rps else 0.0,
        "errors": int(errors.group(1)) if errors else 0,
        "p50": latency.get(50, float("nan")),
        "p99": latency.get(99, float("nan")),
    }


def cookie_headers(session_key: str) -> dict[str, str]:
    from django.conf import settings

    return {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_key}", "Accept": "application/json"}


def throughput(run: Any) -> list[Figure]:
    from bench.personas import session_key
    from cases.models import Case

    persona = run.personas["lead"]
    key = session_key(persona.user)
    case_id = (
        Case.objects.restrict(persona.user, "view").order_by("pk").values_list("pk", flat=True)[0]
    )
    seconds = 5 if run.quick else 15
    tool = "wrk" if shutil.which("wrk") else "python"
    load = wrk_load if tool == "wrk" else python_load
    figures: list[Figure] = []
    with gunicorn() as (base, process):
        detail = f"/api/v1/cases/{case_id}/"
        status, _ = _get(base, detail, cookie_headers(key))
        if status != 200:
            raise RuntimeError(f"GET {detail} under gunicorn answered {status}")
        minimal = load(base, "/healthz", {}, seconds)
        api = load(base, detail, cookie_headers(key), seconds)
        peaks = worker_rss_mb(process.pid)
    ratio = api["rps"] / minimal["rps"] if minimal["rps"] else float("nan")
    figures.append(
        Figure(
            "http",
            f"API detail under gunicorn ({2 * (os.cpu_count() or 1)} sync workers), requests/s",
            "report (ratio)",
            f"{api['rps']:.0f}/s = {ratio:.0%} of /healthz ({minimal['rps']:.0f}/s)",
            None,
            f"{tool}, 8 connections, {seconds} s each; API p50 {ms(api['p50'])} p99 "
            f"{ms(api['p99'])}; errors {int(api['errors'] + minimal['errors'])}",
        )
    )
    worst = max(peaks.values(), default=float("nan"))
    figures.append(
        Figure(
            "http",
            "web worker peak memory (VmHWM, worst worker)",
            "report",
            f"{worst:.0f} MB",
            None,
            f"{len(peaks)} workers after the throughput runs",
        )
    )
    run.extra["worker_peaks"] = peaks
    return figures


# --- locust ------------------------------------------------------------------------------


def locust_available() -> bool:
    """Without importing it here: locust monkey-patches the process (gevent)."""
    import importlib.util

    return importlib.util.find_spec("locust") is not None


def load_test(run: Any) -> list[Figure]:
    """50 simulated users for 60 s (20 s with --quick), headless, against gunicorn."""
    from bench.personas import session_key
    from cases.models import Case, SupervisionContact

    if not locust_available():
        run.notes.append("load test skipped: locust is not installed (requirements-dev.txt)")
        return [Figure("load", "locust load test", "0 errors", "not run", None, "no locust")]
    users = 50
    lead, wide = run.personas["lead"], run.personas.get("wide") or run.personas["lead"]
    officer_cases = list(
        Case.objects.restrict_record(wide.user, "add", "contacts")
        .supervised()
        .filter(officer=wide.staff)
        .order_by("pk")
        .values_list("pk", flat=True)[:50]
    ) or list(
        Case.objects.restrict(lead.user, "view").order_by("pk").values_list("pk", flat=True)[:50]
    )
    lead_cases = list(
        Case.objects.restrict(lead.user, "view")
        .filter(case_manager=lead.staff)
        .order_by("pk")
        .values_list("pk", flat=True)[:50]
    )
    config = {
        # one signed-in session per simulated user, as 50 people would have
        "lead_sessions": [session_key(lead.user) for _ in range(users)],
        "officer_sessions": [session_key(wide.user) for _ in range(users)],
        "lead_cases": lead_cases,
        "officer_cases": officer_cases,
        "searches": ["Smi", "Joh", "Garc", "Will", "Brow"],
    }
    highest_contact = (
        SupervisionContact.objects.order_by("-pk").values_list("pk", flat=True).first()
    )
    seconds = 20 if run.quick else 60
    with tempfile.TemporaryDirectory() as tmp, gunicorn() as (base, process):
        warm = cookie_headers(config["lead_sessions"][0])
        for _ in range(2 * (os.cpu_count() or 1)):  # each worker: connections, caches
            for path in ("/", "/cases/caseload/", f"/cases/{lead_cases[0]}/", "/cases/alerts/"):
                _get(base, path, warm)
        config_path = Path(tmp) / "config.json"
        config_path.write_text(json.dumps(config))
        prefix = Path(tmp) / "locust"
        env = {**os.environ, "BENCH_LOCUST_CONFIG": str(config_path)}
        subprocess.run(
            [
                sys.executable,
                "-m",
                "locust",
                "-f",
                str(ROOT / "bench" / "locustfile.py"),
                "--headless",
                "-u",
                str(users),
                "-r",
                "25",
                "-t",
                f"{seconds}s",
                "--host",
                base,
                "--csv",
                str(prefix),
                "--only-summary",
                "--stop-timeout",
                "5",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=seconds + 120,
        )
        peaks = worker_rss_mb(process.pid)
        stats = _read_locust_csv(Path(f"{prefix}_stats.csv"))
        failures_csv = Path(f"{prefix}_failures.csv")
        if failures_csv.exists():
            for row in list(_read_locust_csv(failures_csv, key="Error").values())[:5]:
                run.notes.append(
                    f"load test error: {row.get('Method')} {row.get('Name')}: "
                    f"{row.get('Error')} ×{row.get('Occurrences')}"
                )
    removed = _remove_load_test_contacts(highest_contact, officer_cases)
    total = stats.get("Aggregated", {})
    requests, failures = int(total.get("Request Count", 0)), int(total.get("Failure Count", 0))
    figures = [
        Figure(
            "load",
            f"locust: {users} users, mixed day's work, {seconds} s",
            "0 errors",
            f"{failures} errors in {requests:,} requests",
            failures == 0 and requests > 0,
            f"p95 {total.get('95%', '?')} ms, p50 {total.get('50%', '?')} ms, "
            f"{float(total.get('Requests/s', 0)):.0f} req/s; {removed} logged contacts removed after",
        )
    ]
    for name, row in sorted(stats.items()):
        if name == "Aggregated":
            continue
        figures.append(
            Figure(
                "load",
                f"  {name}",
                "report",
                f"p95 {row.get('95%', '?')} ms",
                None,
                f"{row.get('Request Count', 0)} requests, {row.get('Failure Count', 0)} errors",
            )
        )
    worst = max(peaks.values(), default=float("nan"))
    figures.append(
        Figure(
            "load",
            "web worker peak memory after the load test (worst worker)",
            "report",
            f"{worst:.0f} MB",
            None,
            f"{len(peaks)} workers",
        )
    )
    return figures


def _read_locust_csv(path: Path, key: str = "Name") -> dict[str, dict[str, str]]:
    import csv

    if not path.exists():
        return {}
    with path.open() as handle:
        return {row[key]: row for row in csv.DictReader(handle)}


def _remove_load_test_contacts(after_id: int | None, case_ids: list[int]) -> int:
    """Undo the load test's writes: the contacts it logged (raw SQL: no tombstones or alerts,
    which a real deletion would write)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM cases_supervisioncontact WHERE id > %s AND case_id = ANY(%s) "
            "AND notes LIKE 'Load test%%'",
            [after_id or 0, case_ids],
        )
        return cursor.rowcount
