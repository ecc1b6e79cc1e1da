#!/usr/bin/env bash
# The API contract under a fuzzer: schemathesis, every operation of /api/openapi.json, all four
# phases (examples, coverage, fuzzing, stateful) and every check, against a live gunicorn on
# PostgreSQL with a real read-write key. Zero failures, and no error in the server's log, or this
# exits non-zero.
#
#   tests/contract/run.sh                 # a fresh database rexcrm_fuzz on 127.0.0.1 (dropped first)
#   FUZZ_MAX_TIME=600 tests/contract/run.sh   # fuzz longer (seconds; default 150)
#   FUZZ_SEED=42 tests/contract/run.sh        # replay one run's data
#
# Reports (JUnit, and a pytest file that reproduces each failure) go to var/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/../.."

DB=${FUZZ_DATABASE:-rexcrm_fuzz}
PGHOST=${PGHOST:-127.0.0.1}
PGUSER=${PGUSER:-root}
MAX_TIME=${FUZZ_MAX_TIME:-150}
PORT=$(.venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
REPORTS=var/fuzz
mkdir -p "$REPORTS"

# A fresh database, and no replay of an earlier run's cached cases (their ids are gone).
rm -rf .schemathesis
dropdb --if-exists -h "$PGHOST" -U "$PGUSER" "$DB"
createdb -h "$PGHOST" -U "$PGUSER" "$DB"

# Production settings (DEBUG off, a real secret) but plain HTTP on loopback, and a rate limit
# the fuzzer cannot reach (the limiter itself is tested in tests/core).
export DATABASE_URL="postgres://$PGUSER@$PGHOST:5432/$DB"
export DEBUG=0 SECURE_SSL_REDIRECT=0 ALLOWED_HOSTS=127.0.0.1 LOG_LEVEL=WARNING
export SECRET_KEY=${SECRET_KEY:-$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')}
export RATE_LIMIT_PER_MINUTE=10000000

.venv/bin/python manage.py migrate --noinput -v 0
.venv/bin/python manage.py collectstatic --noinput -v 0  # as on deploy: pages need the manifest
ORG=$(.venv/bin/python manage.py createorg "Fuzz Co")
KEY=$(.venv/bin/python manage.py createapikey --org "$ORG" --scope read-write --name fuzzer)

rm -f "$REPORTS/server.log"
.venv/bin/gunicorn rexcrm.wsgi -w 2 -b "127.0.0.1:$PORT" --error-logfile "$PWD/$REPORTS/server.log" \
  --capture-output --log-level warning &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null; wait "$SERVER" 2>/dev/null || true' EXIT

args=(
  "http://127.0.0.1:$PORT/api/openapi.json"
  --header "X-Api-Key: $KEY"
  --phases examples,coverage,fuzzing,stateful
  --checks all
  --exclude-checks positive_data_acceptance,negative_data_rejection  # replaced by tests/contract/hooks.py (read why there)
  --max-time "$MAX_TIME"
  --workers 2
  --wait-for-schema 60
  --request-timeout 30
  --report junit,pytest --report-dir "$REPORTS"
)
[ -n "${FUZZ_SEED:-}" ] && args+=(--seed "$FUZZ_SEED")
status=0
SCHEMATHESIS_HOOKS=tests.contract.hooks .venv/bin/schemathesis run "${args[@]}" || status=$?

# An error the server logged fails the run too, seen by the fuzzer or not (a probe outside the
# document's paths, a 500 page of the web UI).
if grep -E "Internal Server Error|Traceback" "$REPORTS/server.log"; then
  echo "!! the server logged errors: see $REPORTS/server.log"
  status=1
fi
exit "$status"
