# Rex CRM: `make run` (the app and its worker on SQLite with demo data) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.12 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
UV_VERSION := 0.13.9
HOST ?= 127.0.0.1
PORT ?= 8000

export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(CURDIR)/$(VENV)

.PHONY: install run test lint format bench clean

$(BIN)/uv:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else "Rex CRM needs Python 3.12 or newer; run make PYTHON=/path/to/python3.12")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check "uv==$(UV_VERSION)"

# Everything from uv.lock, dev tools included (pip works too: pip install -e '.[dev]'), and a
# random development secret key in var/secret-key (used when SECRET_KEY is not set).
install: $(BIN)/uv var/secret-key
	$(BIN)/uv sync --frozen --inexact --extra dev --python $(BIN)/python --quiet

var/secret-key:
	@mkdir -p var
	@umask 077 && $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))' > $@

# The web server and the worker (webhook deliveries, background jobs) together: Ctrl-C stops both.
run: install
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py seed_demo
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runworker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT; \
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py runserver $(HOST):$(PORT)

test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Every figure of bench/README.md's speed table against its floor (PostgreSQL and Redis needed;
# loads the 1,000,000-activity data set first if it is missing): DATABASE_URL (default
# postgres://root@127.0.0.1:5432/rexbench), REDIS_URL, BENCH_SECONDS and BENCH_ROUNDS per list.
bench: install
	bench/all.sh $${BENCH_SECONDS:-5} $${BENCH_ROUNDS:-3}

clean:
	rm -rf $(VENV) var/staticfiles var/test.sqlite3
