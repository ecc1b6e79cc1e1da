#!/usr/bin/env bash
# Project list throughput against the floor (../shared/bench/compare.sh), set up fairly.
#
#   DATABASE_URL=postgres://root@127.0.0.1:5432/rexbench bench/compare.sh [PATH] [SECONDS] [ROUNDS]
#
# Needs the data of bench/seed.py. Runs the project as in production (DEBUG=0, Redis for the rate
# limiter, whose limit is raised so the load is not refused). The floor reads the whole table
# ordered by (occurred_at, id) with no organization filter; our indexes all start with org_id,
# so for the duration of the run a plain (occurred_at, id) index is added for the floor, and
# dropped afterwards: each side gets the index its query needs.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/.." && pwd)
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database loaded by bench/seed.py}"
key=${BENCH_API_KEY:-$(cat "$project/var/bench-api-key")}
path=${1:-/api/activities?limit=50}

export SECRET_KEY=${SECRET_KEY:-bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz}
export ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=0
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0} RATE_LIMIT_PER_MINUTE=1000000000

psql "$DATABASE_URL" -qc "CREATE INDEX IF NOT EXISTS bench_floor_occurred ON activities_activity (occurred_at, id)"
trap 'psql "$DATABASE_URL" -qc "DROP INDEX IF EXISTS bench_floor_occurred"' EXIT
"$project/../shared/bench/compare.sh" "$project" "$key" "$path" "${2:-10}" "${3:-5}"
