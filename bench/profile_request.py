"""Where one API request's time goes, in process: the WSGI handler called directly (no network,
no test client), under cProfile, with the SQL statements and Redis commands of one request.

    DATABASE_URL=postgres://root@127.0.0.1:5432/rexbench REDIS_URL=redis://127.0.0.1:6379/0 \
      .venv/bin/python bench/profile_request.py '/api/activities?limit=50' [REQUESTS] [SORT]

With BENCH_BODY set, POSTs it (JSON) instead of a GET.
Prints the mean wall time and CPU time (this process only: not the database's) per request
without the profiler, the Python function calls per request (deterministic), then the profile's top functions
(SORT: tottime, the default, cumulative, or none), the SQL of one request and its Redis commands.
Query and command counts are deterministic; times move with the machine's load.
"""

import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rexcrm.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("RATE_LIMIT_PER_MINUTE", "1000000000")

import django

django.setup()

from rexcrm.core.warmup import warm  # noqa: E402

warm()  # the process as a server's worker runs (rexcrm.wsgi)

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

KEY = (
    os.environ.get("BENCH_API_KEY")
    or (Path(__file__).resolve().parent.parent / "var/bench-api-key").read_text().strip()
)


def environ(path: str, method: str = "GET", body: bytes = b"") -> dict:
    url = urlsplit(path)
    return {
        "REQUEST_METHOD": method,
        "PATH_INFO": url.path,
        "QUERY_STRING": url.query,
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_X_API_KEY": KEY,
        "CONTENT_TYPE": "application/json" if body else "",
        "CONTENT_LENGTH": str(len(body)),
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
    }


def request(app, path: str, method: str = "GET", body: bytes = b"") -> bytes:
    status = []
    chunks = app(environ(path, method, body), lambda s, h, *_: status.append(s))
    out = b"".join(chunks)
    chunks.close()
    assert status[0][:1] == "2", (status, out[:300])
    return out


class RedisCounter:
    """Counts the commands sent to Redis (every client of this process, and the rate limiter's
    own connection) by wrapping ``redis.connection.AbstractConnection.send_packed_command``."""

    def __enter__(self):
        import redis.connection

        connection = redis.connection.AbstractConnection
        self.commands, self._original = [], connection.send_packed_command
        commands = self.commands

        def send_packed_command(conn, command, *args, **kwargs):
            packed = command if isinstance(command, bytes) else b"".join(command)
            parts = packed.split(b"\r\n")  # *N, $len, NAME, $len, first argument, …
            commands.append(" ".join(part.decode(errors="replace") for part in parts[2:5:2]))
            return self._original(conn, command, *args, **kwargs)

        connection.send_packed_command = send_packed_command
        return self

    def __exit__(self, *exc):
        import redis.connection

        redis.connection.AbstractConnection.send_packed_command = self._original


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/api/activities?limit=50"
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    sort = sys.argv[3] if len(sys.argv) > 3 else "tottime"
    body = os.environ.get("BENCH_BODY", "").encode()
    method = "POST" if body else "GET"
    app = WSGIHandler()

    def call():
        return request(app, path, method, body)

    for _ in range(20):
        call()
    began, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        call()
    mean = (time.perf_counter() - began) / n * 1000
    cpu = (time.process_time() - cpu) / n * 1000
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(n):
        call()
    profile.disable()
    stats = pstats.Stats(profile)
    print(f"{path}: {mean:.2f} ms per request, {cpu:.2f} ms of this process's CPU (mean of {n}, no profiler)")
    print(f"{stats.total_calls / n:.0f} Python function calls per request")
    if sort != "none":
        stats.sort_stats(sort).print_stats(35)
    time.sleep(1.1)  # past the one-second key cache: the worst case of a second
    with CaptureQueriesContext(connection) as queries, RedisCounter() as redis_commands:
        call()
    print(f"SQL statements: {len(queries.captured_queries)}")
    for q in queries.captured_queries:
        print("  ", q["sql"][:200])
    print(f"Redis commands (first request after the key cache expired): {redis_commands.commands}")
    with CaptureQueriesContext(connection) as queries, RedisCounter() as redis_commands:
        call()
    print(f"next request: {len(queries.captured_queries)} SQL, Redis {redis_commands.commands}")


if __name__ == "__main__":
    main()
