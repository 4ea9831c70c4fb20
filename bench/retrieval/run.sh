#!/usr/bin/env bash
# run.sh - the historical-retrieval benchmark of the issue: 1M entity rows x
# 10M feature rows per table (1M keys, zstd Parquet, two tables), our CLI beside
# DuckDB's ASOF JOIN and the Feast PyPI package in the same run, outputs
# checked against each other; then the same at 1/10 scale. Appends the tables
# to bench/retrieval/last-run.md (copy them into bench/RESULTS.md).
#
#   bench/retrieval/run.sh [DATA_DIR]        (default: build/bench/retrieval)
#
# Environment: FEAST_VENV  a venv with the Feast PyPI package (default: the one
#                          bench/setup.sh makes in bench/.venv, created if absent)
#              REPEAT      runs per engine and setting, best kept (default 3)
#              FEAST_TIMEOUT  seconds before Feast is killed (default 1800)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
make -s all >/dev/null
data=${1:-$root/build/bench/retrieval}
venv=${FEAST_VENV:-$root/bench/.venv}
if ! "$venv/bin/python" -c 'import feast' 2>/dev/null; then
  bash bench/setup.sh
  venv=$root/bench/.venv
fi
out=bench/retrieval/last-run.md
{ echo; echo "## run of $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD), load average $(cut -d' ' -f1-3 /proc/loadavg)"; } >>"$out"
python3 bench/retrieval/run.py --feast build/feast --data "$data/full" --repeat "${REPEAT:-3}" \
  --feast-python "$venv/bin/python" --feast-timeout "${FEAST_TIMEOUT:-1800}" --markdown "$out"
python3 bench/retrieval/run.py --feast build/feast --data "$data/small" --repeat "${REPEAT:-3}" \
  --entity-rows 100000 --feature-rows 1000000 --keys 100000 \
  --feast-python "$venv/bin/python" --feast-timeout "${FEAST_TIMEOUT:-1800}" --markdown "$out"
