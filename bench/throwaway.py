"""Throwaway PostgreSQL, Redis and gunicorn for the fault drills and the load run.

Never the shared services: a PostgreSQL cluster of its own under ``/tmp/drill-pg`` on port
5440 (``initdb`` runs as the ``postgres`` user when this runs as root, since initdb refuses
root), a ``redis-server --port 6390 --save ''`` and gunicorn with two workers on port 8250.
Everything is stopped (and the cluster's directory removed) when the ``Stack`` is closed.

Import this before Django: it sets ``DATABASE_URL``, ``REDIS_URL`` and the production settings
(``DEBUG=0``) of the process, which the gunicorn and worker processes inherit.
"""

import contextlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
PG_DIR = Path(os.environ.get("DRILL_PG_DIR", "/tmp/drill-pg"))
PG_PORT = int(os.environ.get("DRILL_PG_PORT", "5440"))
REDIS_PORT = int(os.environ.get("DRILL_REDIS_PORT", "6390"))
WEB_PORT = int(os.environ.get("DRILL_WEB_PORT", "8250"))
RECEIVER_PORT = int(os.environ.get("DRILL_RECEIVER_PORT", "8251"))

ENV = {
    "DATABASE_URL": f"postgres://root@127.0.0.1:{PG_PORT}/rexdrill",
    "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
    "DJANGO_SETTINGS_MODULE": "rexcrm.settings",
    "DEBUG": "0",
    "SECRET_KEY": "drill-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz",
    "ALLOWED_HOSTS": "127.0.0.1",
    "SECURE_SSL_REDIRECT": "0",
    "LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)
sys.path.insert(0, str(ROOT))
VENV_BIN = ROOT / ".venv" / "bin"


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _wait_port(port: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.connect()
            conn.close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


class Stack:
    """The throwaway services; ``with Stack() as stack:``."""

    def __init__(self, *, web_env: dict | None = None):
        self.web_env = web_env or {}
        self.redis = self.gunicorn = None

    # -- PostgreSQL -----------------------------------------------------------------------

    def pg_ctl(self, *args: str) -> None:
        log = str(PG_DIR.parent / "drill-pg.log")
        options = f"-p {PG_PORT} -k /tmp -c fsync=off -c full_page_writes=off"
        subprocess.run(
            _as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(PG_DIR), "-l", log, "-w", "-o", options, *args]),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def start_postgres(self) -> None:
        shutil.rmtree(PG_DIR, ignore_errors=True)
        PG_DIR.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(PG_DIR, "postgres", "postgres")
        subprocess.run(
            _as_postgres([str(PG_BIN / "initdb"), "-D", str(PG_DIR), "-U", "root", "--auth=trust"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        self.pg_ctl("start")
        subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(PG_PORT),
                "-U",
                "root",
                "-d",
                "postgres",
                "-qc",
                "CREATE DATABASE rexdrill",
            ],
            check=True,
        )

    def stop_postgres(self) -> None:
        self.pg_ctl("stop", "-m", "fast")

    # -- Redis ------------------------------------------------------------------------------

    def start_redis(self) -> None:
        self.redis = subprocess.Popen(
            ["redis-server", "--port", str(REDIS_PORT), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        _wait_port(REDIS_PORT)

    def stop_redis(self) -> None:
        if self.redis is not None:
            self.redis.kill()
            self.redis.wait()
            self.redis = None

    # -- the app ----------------------------------------------------------------------------

    def migrate(self) -> None:
        subprocess.run([str(VENV_BIN / "python"), "manage.py", "migrate", "-v", "0"], cwd=ROOT, check=True)

    def start_gunicorn(self) -> None:
        self.gunicorn = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "rexcrm.wsgi",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{WEB_PORT}",
                "--timeout",
                "60",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ, **self.web_env},
        )
        _wait_port(WEB_PORT)
        deadline = time.monotonic() + 30
        while len(self.web_workers()) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)

    def web_workers(self) -> list[int]:
        """The gunicorn worker processes' ids (the master's children)."""
        out = subprocess.run(["pgrep", "-P", str(self.gunicorn.pid)], capture_output=True, text=True)
        return [int(pid) for pid in out.stdout.split()]

    def start_worker(self, **env) -> subprocess.Popen:
        """``manage.py runworker`` (DEBUG=1 in its environment lets webhooks reach 127.0.0.1)."""
        return subprocess.Popen(
            [str(VENV_BIN / "python"), "manage.py", "runworker", "--poll", "0.2"],
            cwd=ROOT,
            env={**os.environ, **env},
        )

    # -- lifetime ---------------------------------------------------------------------------

    def __enter__(self):
        self.start_postgres()
        self.start_redis()
        self.migrate()
        self.start_gunicorn()
        return self

    def __exit__(self, *exc):
        if self.gunicorn is not None:
            self.gunicorn.send_signal(signal.SIGTERM)
            self.gunicorn.wait(30)
        self.stop_redis()
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop_postgres()
        shutil.rmtree(PG_DIR, ignore_errors=True)


def rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
