#!/usr/bin/env bash
# Every figure of issue 13 (`make bench`): list throughput against the floor, batch ingest
# against COPY, and single creates in process.
#
#   DATABASE_URL=postgres://root@127.0.0.1:5432/rexbench bench/all.sh [SECONDS] [ROUNDS]
#
# Loads the data set first if it is missing (bench/seed.py: 1,000,000 activities; a no-op but
# for a new key when present), then prints one line per figure and a table at the end. Lists
# run through bench/compare.sh (project and floor alternately, ROUNDS rounds of SECONDS each;
# the figure is the median ratio, with the range of the rounds). Ingest: the project under
# gunicorn and ../shared/bench/ingest_floor.py (COPY into the same table, then the API's batch,
# into bench/batch.py's organization "Batch Bench", so Bench Co's lists stay as seeded).
# Single creates: bench/batch.py in process (median ms).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
project=$(cd "$here/.." && pwd)
python="$project/.venv/bin/python"
seconds=${1:-5}
rounds=${2:-3}
export DATABASE_URL=${DATABASE_URL:-postgres://root@127.0.0.1:5432/rexbench}
export REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
export SECRET_KEY=${SECRET_KEY:-bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz}
export ALLOWED_HOSTS=127.0.0.1,localhost,testserver SECURE_SSL_REDIRECT=0 RATE_LIMIT_PER_MINUTE=1000000000
export DJANGO_SETTINGS_MODULE=rexcrm.settings
cd "$project"

dbname=${DATABASE_URL##*/}
if ! psql "${DATABASE_URL%/*}/postgres" -Atc "SELECT 1 FROM pg_database WHERE datname = '$dbname'" | grep -q 1; then
  psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE \"$dbname\""
fi
# The machine's own speed, to compare runs across machines (the ratios move with it: Python's
# share of a request is larger than the floor's): 1,000 Python function calls, best of 5.
machine=$("$python" -m timeit -s "def f(x): return x + 1" "for i in range(1000): f(i)" | sed 's/.*: //')
echo "== machine: 1,000 Python calls take $machine"
echo "== data set (bench/seed.py: loads what is missing)"
DEBUG=1 "$python" bench/seed.py --activities 1000000 | grep -v '^API key'
psql "$DATABASE_URL" -qc "ANALYZE"
psql "$DATABASE_URL" -qc "CHECKPOINT"  # a load's dirty pages written now, not during a round

contact=$(DEBUG=0 "$python" -c "
import django; django.setup()
from django.db.models import Count
from activities.models import Activity
from rexcrm.core.ids import encode
print(encode('cont', Activity.objects.filter(org__name='Bench Co').exclude(contact=None).values('contact')
      .annotate(n=Count('id')).order_by('-n').first()['contact']))")

log=$(mktemp)
trap 'rm -f "$log"' EXIT
results=()
list_figure() { # label path [FLOOR_MODEL FLOOR_ORDER]
  local label=$1 path=$2 out
  echo "== $label: $path"
  FLOOR_MODEL=${3:-activities.Activity} FLOOR_ORDER=${4:-occurred_at,id} \
    "$here/compare.sh" "$path" "$seconds" "$rounds" 2>&1 | tee "$log"
  out=$(cat "$log")
  local median range
  median=$(awk '/median ratio/ {print $NF}' <<<"$out")
  range=$(awk '/^round/ {print $NF}' <<<"$out" | sort -n | awk 'NR==1 {lo=$1} {hi=$1} END {print lo "–" hi}')
  results+=("$label|$median|$range")
}

list_figure "activities limit=50" "/api/activities?limit=50"
list_figure "activities limit=1" "/api/activities?limit=1"
list_figure "activities include=contact,deal" "/api/activities?limit=50&include=contact,deal"
list_figure "activities contact_id" "/api/activities?limit=50&contact_id=$contact"
list_figure "activities type=email" "/api/activities?limit=50&type=email"
list_figure "activities search=renewal" "/api/activities?limit=50&search=renewal"
list_figure "contacts limit=50" "/api/contacts?limit=50" contacts.Contact created_at,id
list_figure "deals limit=50" "/api/deals?limit=50" deals.Deal created_at,id

echo "== POST /api/activities/batch (500 items) against COPY"
# Into the organization of bench/batch.py, so the rows it adds never change Bench Co's lists.
key=$(DEBUG=0 "$python" -c "
import sys; sys.path.insert(0, 'bench')
import batch
from rexcrm.accounts.services import apikey_create
print(apikey_create(org=batch.organization(), actor=None, name='ingest floor')[1])")
DEBUG=0 "$python" -m gunicorn --chdir "$project" -w 2 -b 127.0.0.1:8103 --log-level warning rexcrm.wsgi &
gunicorn_pid=$!
trap 'kill $gunicorn_pid 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 1 60); do curl -sf -o /dev/null -H "X-Api-Key: $key" http://127.0.0.1:8103/api/users && break; sleep 0.5; done
PYTHONPATH="$project" DEBUG=0 "$python" "$project/../shared/bench/ingest_floor.py" 5000 \
  http://127.0.0.1:8103/api "$key" | tee "$log"
ingest=$(cat "$log")
kill $gunicorn_pid
results+=("batch of 500 / COPY|$(awk '/ratio API\/COPY/ {print $NF}' <<<"$ingest")|$(awk '/API batch/ {print $(NF-1) " activities/s"}' <<<"$ingest")")

echo "== POST /api/activities one at a time, in process (bench/batch.py)"
BENCH_BATCHES=${BENCH_BATCHES:-10} DEBUG=0 "$python" bench/batch.py | tee "$log"
writes=$(cat "$log")
results+=("single create, median ms|$(awk '/single create/ {print $4}' <<<"$writes")|target ≤ 3 ms")

echo
echo "Machine: 1,000 Python calls take $machine (best of 5)."
echo
echo "| Figure | Median ratio to the floor | Range over the rounds |"
echo "|---|---|---|"
for row in "${results[@]}"; do IFS='|' read -r a b c <<<"$row"; echo "| $a | $b | $c |"; done
