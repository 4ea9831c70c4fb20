#!/usr/bin/env bash
# start-bigquery-emulator.sh [--project P] [--dataset D] [--state FILE] -
# starts goccy's bigquery-emulator (built by build-bigquery-emulator.sh) on
# 127.0.0.1: the REST API v2 and the Storage Read API (plaintext gRPC) on two
# random free ports, its SQLite database in a fresh temp dir. Defaults:
# project "feasttest" (no hyphen: see the trap in docs/peers.md), dataset "feast". Prints one line,
#   REST_HOST:PORT GRPC_HOST:PORT
# which is what BIGQUERY_EMULATOR_HOST and BIGQUERY_STORAGE_EMULATOR_HOST
# take. No authentication. Stop with stop-bigquery-emulator.sh.
set -euo pipefail
PEER_NAME=start-bigquery-emulator
. "$(dirname "$0")/common.sh"
peer_parse_state_arg bigquery-emulator "$@"
project=feasttest dataset=feast
set -- "${PEER_ARGS[@]}"
while (($#)); do
  case $1 in
    --project) project=$2; shift 2 ;;
    --dataset) dataset=$2; shift 2 ;;
    *) peer_die "unknown argument $1" ;;
  esac
done

if peer_running; then
  echo "127.0.0.1:$PORT 127.0.0.1:$GRPC_PORT"
  exit 0
fi
[ -x "$BQ_EMULATOR_BIN" ] || peer_die "no emulator binary at $BQ_EMULATOR_BIN: run scripts/peers/build-bigquery-emulator.sh"

dir=$(mktemp -d "${TMPDIR:-/tmp}/feast-bqemu.XXXXXX")
port=$(free_port)
gport=$(free_port)
while [ "$gport" = "$port" ]; do gport=$(free_port); done
peer_spawn "$dir/emulator.log" "$BQ_EMULATOR_BIN" --host=127.0.0.1 --port="$port" --grpc-port="$gport" \
  --project="$project" --dataset="$dataset" --database="$dir/bigquery.db" --log-level=warn
wait_port "$port" 60 "$SPAWNED_PID" && wait_port "$gport" 30 "$SPAWNED_PID" ||
  fail_start "$dir" "$dir/emulator.log" "the emulator did not listen on $port/$gport"
# Ready means the REST API serves the project's dataset, not just a socket.
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/projects/$project/datasets/$dataset" >/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/projects/$project/datasets/$dataset" >/dev/null ||
  fail_start "$dir" "$dir/emulator.log" "the emulator does not serve dataset $project.$dataset"
write_state PID="$SPAWNED_PID" DIR="$dir" PORT="$port" GRPC_PORT="$gport" PROJECT="$project" DATASET="$dataset"
echo "start-bigquery-emulator: pid $SPAWNED_PID, project $project, dataset $dataset" >&2
echo "127.0.0.1:$port 127.0.0.1:$gport"
