"""The worker: one process (``manage.py runworker``) that runs the product's background jobs.

A job is a function ``run(worker) -> bool`` registered under a name (``register``, from an
app's ``AppConfig.ready``); the loop calls every job in turn and sleeps for ``poll_seconds``
when none did anything. A job does a bounded piece of work per call and keeps its state in the
database, so that any number of workers can run at once and a worker killed at any point
(even with SIGKILL) loses nothing: what it held is taken over when its lease expires.
"""

import logging
import signal
import time
import uuid
from collections.abc import Callable

from django.db import close_old_connections

logger = logging.getLogger("rexcrm.worker")

JOBS: dict[str, Callable] = {}


def register(name: str, job: Callable) -> None:
    """Run ``job(worker)`` on every turn of every worker's loop."""
    JOBS[name] = job


class Worker:
    def __init__(self, *, poll_seconds: float = 1.0):
        self.id = uuid.uuid4()  # identifies this worker's leases
        self.poll_seconds = poll_seconds
        self.stopping = False

    def stop(self, *_):
        self.stopping = True

    def run_once(self) -> bool:
        """One turn: every job once. Returns whether any did some work."""
        busy = False
        for name, job in JOBS.items():
            close_old_connections()
            try:
                busy |= bool(job(self))
            except Exception:
                logger.exception("Worker job %s failed; it runs again on the next turn", name)
        return busy

    def run(self) -> None:
        """Until SIGTERM or SIGINT (the job in progress finishes first)."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        logger.info("Worker %s started: %s", self.id, ", ".join(JOBS))
        while not self.stopping:
            if not self.run_once():
                time.sleep(self.poll_seconds)
        logger.info("Worker %s stopped", self.id)
