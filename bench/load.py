"""A mixed load against gunicorn with two workers: zero 5xx, exact rate limits, flat memory.

    .venv/bin/python bench/load.py [SECONDS]        (default 120)

On throwaway services only (``bench/throwaway.py``: PostgreSQL on 5440, Redis on 6390,
gunicorn on 8250), with ``RATE_LIMIT_PER_MINUTE=600`` and ``RATE_LIMIT_BURST=20``. Four keys
of one organization, each offered a different load:

- ``steady``: a writer and a reader pausing 0.5 s between requests (about 200 a minute, under
  the limit): no 429 expected;
- ``batches``: a batch of 100 activities every second (60 a minute): no 429 expected;
- ``hot-read``: three readers without pause, far over the limit;
- ``hot-write``: two writers without pause, far over the limit.

Checks: no 5xx and every request answered; no 429 for the keys under their limit; for each
key over its limit, the requests let through are the bucket's burst plus its rate over the
time the key was busy (a limiter per process would let through twice as many), overall and in
every 10-second window after the first; every write answered 2xx is stored; the RSS of each
gunicorn worker, sampled every 15 s after a 15-second warm-up, grows by less than 10 %.
"""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# throwaway sets the environment (DATABASE_URL…) before Django is set up.
import django

from bench import loadgen, throwaway
from bench.drills import FAILURES, check, check_acknowledged

PER_MINUTE, BURST = 600, 20
RATE = PER_MINUTE / 60  # requests per second
WINDOW = 10.0
WARM_UP = 15.0


def allowed_per_window(answers: list[loadgen.Answer], began: float, seconds: float) -> list[tuple[int, int]]:
    windows = [[0, 0] for _ in range(int(seconds // WINDOW) + 1)]
    for answer in answers:
        index = int((answer.at - began) // WINDOW)
        if 0 <= index < len(windows):
            windows[index][0 if answer.status != 429 else 1] += 1
    return [tuple(w) for w in windows]


def main(seconds: float) -> int:
    web_env = {"RATE_LIMIT_PER_MINUTE": str(PER_MINUTE), "RATE_LIMIT_BURST": str(BURST)}
    with throwaway.Stack(web_env=web_env) as stack:
        django.setup()
        from rexcrm.accounts.services import apikey_create
        from rexcrm.workspace.services import organization_provision

        org = organization_provision(name="Load Co")
        keys = {
            label: apikey_create(org=org, actor=None, name=label, scope="read-write")[1]
            for label in ("steady", "batches", "hot-read", "hot-write")
        }
        rec = loadgen.Recorder()
        began = time.monotonic()
        threads = [
            loadgen.start(loadgen.writer, rec, "steady", keys["steady"], "steady", pause=0.5),
            loadgen.start(loadgen.reader, rec, "steady", keys["steady"], pause=0.5),
            loadgen.start(loadgen.batcher, rec, "batches", keys["batches"], "batch", size=100, pause=1.0),
            *[loadgen.start(loadgen.reader, rec, "hot-read", keys["hot-read"]) for _ in range(3)],
            *[
                loadgen.start(loadgen.writer, rec, "hot-write", keys["hot-write"], f"hot{n}")
                for n in range(2)
            ],
        ]
        workers = stack.web_workers()
        samples: list[tuple[float, list[float]]] = []
        time.sleep(WARM_UP)
        while time.monotonic() - began < seconds:
            samples.append((time.monotonic() - began, [throwaway.rss_mb(pid) for pid in workers]))
            time.sleep(min(15.0, max(0.0, seconds - (time.monotonic() - began))))
        samples.append((time.monotonic() - began, [throwaway.rss_mb(pid) for pid in workers]))
        rec.stop.set()
        for thread in threads:
            thread.join(60)
        elapsed = time.monotonic() - began

        print(f"{elapsed:.0f} s, gunicorn 2 workers, limit {PER_MINUTE}/min burst {BURST} per key")
        total = len(rec.answers)
        print(f"{total} requests, {total / elapsed:.1f}/s; answers {rec.summary()}")
        by_kind: dict[str, int] = {}
        for answer in rec.answers:
            by_kind[answer.kind] = by_kind.get(answer.kind, 0) + 1
        print(f"by kind: {by_kind}; {len(rec.acked)} activities written")
        check(
            not [a for a in rec.answers if a.status >= 500 or a.status == 0],
            "zero 5xx, every request answered",
        )
        check(not rec.bad(), "every non-2xx in the error envelope")

        print(
            f"\n{'key':<10} {'requests':>8} {'allowed':>8} {'429':>6} {'busy s':>7} {'expected':>9}  per 10 s (allowed/429)"
        )
        for label in keys:
            answers = [a for a in rec.answers if a.key == label]
            allowed = sum(1 for a in answers if a.status != 429)
            limited = len(answers) - allowed
            busy = answers[-1].at - answers[0].at
            expected = BURST + RATE * busy
            windows = allowed_per_window(answers, answers[0].at, busy)
            shown = " ".join(f"{a}/{r}" for a, r in windows)
            hot = label.startswith("hot")
            print(
                f"{label:<10} {len(answers):>8} {allowed:>8} {limited:>6} {busy:>7.1f} "
                f"{f'{expected:.0f}' if hot else '-':>9}  {shown}"
            )
            if not hot:
                check(limited == 0, f"{label}: under its limit, never refused")
                continue
            # One second of the rate for the time between a decision and its answer, plus one.
            slack = RATE + 1
            check(
                abs(allowed - expected) <= slack,
                f"{label}: {allowed} let through, {expected:.0f} ± {slack:.0f} expected",
            )
            inner = windows[1:-1]  # the first holds the burst; the last is partial
            off = [a for a, _ in inner if abs(a - RATE * WINDOW) > slack]
            check(
                not off,
                f"{label}: each full 10 s window lets {RATE * WINDOW:.0f} ± {slack:.0f} through ({off or 'all'})",
            )
        check_acknowledged(org, rec)

        print("\nRSS of the two gunicorn workers (MB):")
        for at, rss in samples:
            print(f"  {at:6.0f} s  " + "  ".join(f"{mb:6.1f}" for mb in rss))
        first, last = samples[0][1], samples[-1][1]
        growth = [(b - a) / a for a, b in zip(first, last, strict=True)]
        check(
            all(g < 0.10 for g in growth),
            "memory flat: "
            + ", ".join(f"{g:+.1%}" for g in growth)
            + f" from {samples[0][0]:.0f} s to the end",
        )
    print(f"\n{'all checks passed' if not FAILURES else f'{len(FAILURES)} check(s) FAILED'}")
    return 1 if FAILURES else 0


if __name__ == "__main__":
    sys.exit(main(float(sys.argv[1]) if len(sys.argv) > 1 else 120.0))
