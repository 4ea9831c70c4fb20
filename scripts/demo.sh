#!/usr/bin/env bash
# demo.sh FEAST - the main job on the embedded defaults (SQLite registry,
# LMDB online store, Parquet files; no servers): a fresh repo from
# `feast init`, its specs applied, the example data ingested into the online
# store and read back, and a point-in-time correct training set built.
set -euo pipefail
feast=$(realpath "${1:?usage: demo.sh path/to/feast}")
dir=$(mktemp -d "${TMPDIR:-/tmp}/feast-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
run() { echo "\$ feast $*"; "$feast" "$@"; echo; }
run init demo
cd demo
run apply
run entities list
run feature-tables list
run feature-tables describe driver_trips
run ingest driver_trips --start 2021-04-12T00:00:00Z --end 2021-04-13T00:00:00Z
run get-online-features -f driver_trips:conv_rate,driver_trips:acc_rate,driver_trips:avg_daily_trips \
  -e driver_id=1001 -e driver_id=1002 -e driver_id=4242 --at 2021-04-13T00:00:00Z
cat > entities.csv <<'CSV'
driver_id,event_timestamp,label
1001,2021-04-12T05:30:00Z,1
1002,2021-04-12T10:00:00.5Z,0
1003,2021-04-11T10:00:00Z,1
1004,2021-04-12T23:59:59Z,0
1001,2021-04-12T05:30:00Z,1
CSV
echo "\$ cat entities.csv"; cat entities.csv; echo
run get-historical-features -f driver_trips:conv_rate,driver_trips:avg_daily_trips -e entities.csv -o training.parquet
run parquet cat training.parquet --format table
