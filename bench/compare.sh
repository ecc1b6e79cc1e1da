#!/usr/bin/env bash
# Project list throughput against the floor (../shared/bench/compare.sh), set up fairly.
#
#   DATABASE_URL=postgres://root@127.0.0.1:5432/rexbench bench/compare.sh [PATH] [SECONDS] [ROUNDS]
#
# Needs the data of bench/seed.py. Runs the project as in production (DEBUG=0, Redis for the rate
# limiter, whose limit is raised so the load is not refused). The floor reads the whole table
# of FLOOR_MODEL (default activities.Activity) ordered by FLOOR_ORDER (default occurred_at,id)
# with no organization filter; our list indexes all start with org_id, so for the duration of
# the run a plain index on the floor's order is added, and dropped afterwards: each side gets
# the index its query needs (activities keep an (occurred_at, id) index of their own for the
# admin's every-organization list; the floor's copy is then a harmless duplicate).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/.." && pwd)
: "${DATABASE_URL:?set DATABASE_URL to the PostgreSQL database loaded by bench/seed.py}"
key=${BENCH_API_KEY:-$(cat "$project/var/bench-api-key")}
path=${1:-/api/activities?limit=50}

export SECRET_KEY=${SECRET_KEY:-bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz}
export ALLOWED_HOSTS=127.0.0.1,localhost SECURE_SSL_REDIRECT=0
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0} RATE_LIMIT_PER_MINUTE=1000000000

export FLOOR_MODEL=${FLOOR_MODEL:-activities.Activity} FLOOR_ORDER=${FLOOR_ORDER:-occurred_at,id}
table=$(cd "$project" && DEBUG=1 "$project/.venv/bin/python" -c "
import django, os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'rexcrm.settings'); django.setup()
from django.apps import apps; print(apps.get_model('$FLOOR_MODEL')._meta.db_table)")
psql "$DATABASE_URL" -qc "CREATE INDEX IF NOT EXISTS bench_floor_order ON $table ($FLOOR_ORDER)"
trap 'psql "$DATABASE_URL" -qc "DROP INDEX IF EXISTS bench_floor_order"' EXIT
"$project/../shared/bench/compare.sh" "$project" "$key" "$path" "${2:-10}" "${3:-5}"
