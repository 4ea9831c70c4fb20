#!/usr/bin/env bash
# run.sh - A/B of two commits on the hot paths (bench/ab/ab.py): builds BASE
# in a temporary worktree, generates the online (10M rows) and retrieval (1M
# entity rows x 2 tables x 10M rows) data sets once into DATA_DIR, then runs
# both builds interleaved.
#   bench/ab/run.sh BASE_COMMIT [DATA_DIR=/tmp/feast-ab-data] [ROUNDS=5]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
base=${1:?usage: bench/ab/run.sh BASE_COMMIT [DATA_DIR] [ROUNDS]}
data=${2:-/tmp/feast-ab-data}
rounds=${3:-5}
make -s all >/dev/null
wt=$(mktemp -d)
trap 'git worktree remove --force "$wt" >/dev/null 2>&1 || true' EXIT
git worktree add -q --detach "$wt" "$base"
make -s -C "$wt" bin >/dev/null
[ -d "$data/online/driver_hourly" ] || python3 bench/online/gen.py "$data/online"
[ -f "$data/retrieval/entities.parquet" ] || python3 bench/retrieval/gen.py "$data/retrieval"
echo "A = $base ($(git rev-parse --short "$base")), B = HEAD ($(git rev-parse --short HEAD))"
python3 bench/ab/ab.py "$wt/build/feast" build/feast "$data/online" "$data/retrieval" --rounds "$rounds"
