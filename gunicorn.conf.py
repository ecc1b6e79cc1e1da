"""gunicorn's settings for Rex CRM, read from the working directory by every ``gunicorn`` run
(production, CI's fuzzer, the benchmarks); the command line still sets workers and the address.

gunicorn answers a request line longer than 4,094 bytes itself, with an HTML 414 page the API
does not describe (the fuzzer's long query strings). 0 raises gunicorn's bound to 1 MiB; the
API then reads every URL a client or proxy lets through (Django still refuses more than 1,000
query parameters: a 400).
"""

limit_request_line = 0


def post_worker_init(worker):
    """Each worker connects to the database and the cache before its first request
    (``rexcrm.core.warmup.connect``). Only where the application served is Rex CRM's: a
    benchmark's floor started from this folder reads this file too."""
    import sys

    if "rexcrm.wsgi" in sys.modules:
        from rexcrm.core.warmup import connect

        connect()
