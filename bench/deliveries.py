"""Delivery throughput of one worker to a local receiver (events per second).

    DATABASE_URL=postgres://root@127.0.0.1:5432/rexbench .venv/bin/python bench/deliveries.py

Starts a receiver on 127.0.0.1 in another process (a minimal asyncio HTTP/1.1 server answering
200 at once), creates BENCH_WEBHOOKS webhooks to it (default 1) in a fresh
organization, records BENCH_EVENTS activity.created events (default 5,000) with the batch
service, then times one worker's delivery loop (``rexcrm.events.delivery.run``, as
``manage.py runworker`` calls it) until every event has reached every webhook.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "rexcrm.settings")
os.environ.setdefault("DEBUG", "0")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from activities.services import activity_create_many  # noqa: E402
from rexcrm.events import delivery  # noqa: E402
from rexcrm.events.models import Delivery  # noqa: E402
from rexcrm.events.services import webhook_create  # noqa: E402
from rexcrm.workspace.services import organization_provision  # noqa: E402

EVENTS = int(os.environ.get("BENCH_EVENTS", "5000"))
WEBHOOKS = int(os.environ.get("BENCH_WEBHOOKS", "1"))
PORT = int(os.environ.get("BENCH_PORT", "8799"))
# A minimal keep-alive HTTP/1.1 receiver (asyncio), so that the figure is the worker's, not the
# receiver's: it reads each request's headers and body and answers 200.
RECEIVER = f"""
import asyncio

async def serve(reader, writer):
    while True:
        try:
            head = await reader.readuntil(b"\\r\\n\\r\\n")
        except asyncio.IncompleteReadError:
            return
        length = next(int(line.split(b":")[1]) for line in head.split(b"\\r\\n")
                      if line.lower().startswith(b"content-length:"))
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 200 OK\\r\\nContent-Length: 0\\r\\n\\r\\n")
        await writer.drain()

async def main():
    server = await asyncio.start_server(serve, "127.0.0.1", {PORT})
    await server.serve_forever()

asyncio.run(main())
"""


def main():
    settings.REX_WEBHOOKS["ALLOW_LOOPBACK"] = True  # the receiver is on this machine
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER])
    try:
        time.sleep(0.5)
        org = organization_provision(name=f"Delivery Bench {time.time():.0f}")
        for n in range(WEBHOOKS):
            webhook_create(org=org, actor=None, name=f"bench {n}", url=f"http://127.0.0.1:{PORT}/{n}")
        for start in range(0, EVENTS, 500):
            items = [{"type": "note", "subject": f"n{i}"} for i in range(start, min(start + 500, EVENTS))]
            activity_create_many(org=org, actor=None, items=items)
        began = time.perf_counter()
        while delivery.run(None):
            pass
        elapsed = time.perf_counter() - began
    finally:
        receiver.terminate()
    sent = Delivery.objects.filter(org=org, status="succeeded").count()
    assert sent == EVENTS * WEBHOOKS, (sent, EVENTS * WEBHOOKS)
    print(f"{connection.vendor}; {EVENTS} events x {WEBHOOKS} webhook(s), one worker")
    print(f"{sent} deliveries in {elapsed:.1f} s: {sent / elapsed:.0f} events/s")


if __name__ == "__main__":
    main()
