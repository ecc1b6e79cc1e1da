"""A real HTTP receiver on 127.0.0.1 for webhook tests, and helpers to run the worker."""

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import orjson
import pytest

from rexcrm.events import delivery


class Receiver:
    """Records every POST; answers from ``responses`` (a list of ``status`` or ``(status, delay
    seconds, headers)``, used up in order), then ``default``."""

    def __init__(self):
        self.requests: list[dict] = []
        self.responses: list = []
        self.default = 200
        self.delay = 0.0
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append(
                        {
                            "path": self.path,
                            "headers": dict(self.headers),
                            "body": body,
                            "json": orjson.loads(body),
                        }
                    )
                    answer = receiver.responses.pop(0) if receiver.responses else receiver.default
                status, delay, headers = answer if isinstance(answer, tuple) else (answer, receiver.delay, {})
                time.sleep(delay)
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        self.send_header(name, value)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the client gave up (a timeout)
                    pass

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def event_ids(self) -> list[str]:
        with self.lock:
            return [request["json"]["id"] for request in self.requests]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


def deliver_all(turns: int = 50) -> int:
    """Run the delivery job until it has nothing left that is due; returns the turns it took."""
    for turn in range(turns):
        if not delivery.run(None):
            return turn
    raise AssertionError("deliveries never settled")
