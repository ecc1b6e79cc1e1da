"""A small load generator for the drills and the load run: threads and http.client.

Each actor is a thread that loops until ``stop`` is set, one request per connection (gunicorn's
sync workers close each), and records every answer: when, which key, status, and whether a
failure came in the API's error envelope (JSON with ``error.code``). Writers remember the
``external_id`` of every activity the server acknowledged (2xx), so a drill can look each one up
in the database afterwards.
"""

import http.client
import json
import threading
import time
from dataclasses import dataclass, field

from bench.throwaway import WEB_PORT


@dataclass(slots=True)
class Answer:
    at: float  # time.monotonic() when the answer came (or the connection failed)
    key: str  # the key's label
    kind: str  # read, write, batch
    status: int  # 0: no HTTP answer (refused, reset)
    envelope: str | None = None  # error.code of a non-2xx JSON error envelope
    body: bytes = b""


@dataclass
class Recorder:
    answers: list[Answer] = field(default_factory=list)
    acked: set[str] = field(default_factory=set)  # external_ids answered 2xx
    stop: threading.Event = field(default_factory=threading.Event)

    def summary(self, since: float = 0.0, until: float = float("inf")) -> dict:
        counts: dict[str, int] = {}
        for answer in self.answers:
            if since <= answer.at < until:
                name = str(answer.status) if answer.status else "no answer"
                counts[name] = counts.get(name, 0) + 1
        return dict(sorted(counts.items()))

    def bad(self) -> list[Answer]:
        """5xx other than the 503 envelope, and any non-2xx without the envelope."""
        return [
            a
            for a in self.answers
            if a.status and a.status >= 300 and (a.envelope is None or (a.status >= 500 and a.status != 503))
        ]


def call(
    method: str, path: str, raw_key: str, body=None, timeout: float = 30
) -> tuple[int, str | None, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", WEB_PORT, timeout=timeout)
    headers = {"X-Api-Key": raw_key}
    payload = None
    if body is not None:
        payload = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    try:
        conn.request(method, path, body=payload, headers=headers)
        response = conn.getresponse()
        data = response.read()
    finally:
        conn.close()
    envelope = None
    if response.status >= 300 and response.getheader("Content-Type", "").startswith("application/json"):
        try:
            envelope = json.loads(data)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            envelope = None
    return response.status, envelope, data


def _record(rec: Recorder, label: str, kind: str, method: str, path: str, raw_key: str, body=None) -> int:
    try:
        status, envelope, data = call(method, path, raw_key, body)
    except OSError:
        rec.answers.append(Answer(time.monotonic(), label, kind, 0))
        return 0
    rec.answers.append(
        Answer(time.monotonic(), label, kind, status, envelope, data if status >= 500 else b"")
    )
    return status


def writer(rec: Recorder, label: str, raw_key: str, prefix: str, pause: float = 0.0) -> None:
    """POST /api/activities, each with a unique external_id."""
    n = 0
    while not rec.stop.is_set():
        n += 1
        external_id = f"{prefix}-{n}"
        body = {
            "type": "note",
            "subject": f"drill {external_id}",
            "source": "drill",
            "external_id": external_id,
        }
        if 200 <= _record(rec, label, "write", "POST", "/api/activities", raw_key, body) < 300:
            rec.acked.add(external_id)
        time.sleep(pause)


def batcher(rec: Recorder, label: str, raw_key: str, prefix: str, size: int = 50, pause: float = 0.0) -> None:
    """POST /api/activities/batch of ``size`` activities with unique external_ids."""
    n = 0
    while not rec.stop.is_set():
        n += 1
        ids = [f"{prefix}-{n}-{i}" for i in range(size)]
        items = [{"type": "call", "subject": i, "source": "drill", "external_id": i} for i in ids]
        if (
            200
            <= _record(rec, label, "batch", "POST", "/api/activities/batch", raw_key, {"activities": items})
            < 300
        ):
            rec.acked.update(ids)
        time.sleep(pause)


def reader(rec: Recorder, label: str, raw_key: str, pause: float = 0.0) -> None:
    """List pages in turn: activities, contacts, a filtered and a searched list."""
    paths = ["/api/activities?limit=20", "/api/contacts?limit=20", "/api/activities?type=call&limit=10"]
    n = 0
    while not rec.stop.is_set():
        _record(rec, label, "read", "GET", paths[n % len(paths)], raw_key)
        n += 1
        time.sleep(pause)


def start(target, *args, **kwargs) -> threading.Thread:
    thread = threading.Thread(target=target, args=args, kwargs=kwargs, daemon=True)
    thread.start()
    return thread
