#!/usr/bin/env bash
# start-feast-serve.sh [--repo DIR] [--rows N] [--state FILE] [-- SERVE_ARGS...]
# - starts the newest Feast's Python feature server (`feast serve`, HTTP,
# from install-feast-new.sh's venv) on 127.0.0.1 at a random free port.
# Without --repo it first writes a demo repository into its temp dir (see
# feast-serve-demo-repo.py: feature view driver_stats with conv_rate and
# trips for driver_id 1..N, N=100 by default, SQLite online store). Extra
# arguments after -- go to `feast serve` (e.g. --workers 2 --no-access-log;
# for benchmarks mind its default --max-requests 1000, after which a worker
# restarts). Prints the base URL, http://127.0.0.1:PORT, once /health answers.
set -euo pipefail
PEER_NAME=start-feast-serve
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
peer_parse_state_arg feast-serve "$@"
repo="" rows=100 serve_args=()
set -- "${PEER_ARGS[@]}"
while (($#)); do
  case $1 in
    --repo) repo=$2; shift 2 ;;
    --rows) rows=$2; shift 2 ;;
    --) shift; serve_args=("$@"); break ;;
    *) peer_die "unknown argument $1" ;;
  esac
done
if peer_running; then
  echo "http://127.0.0.1:$PORT"
  exit 0
fi
[ -f "$FEAST_NEW_VENV/.complete" ] || peer_die "feast $FEAST_NEW_VERSION is not in $FEAST_NEW_VENV: run scripts/peers/install-feast-new.sh"
export FEAST_USAGE=False

dir=$(mktemp -d "${TMPDIR:-/tmp}/feast-serve.XXXXXX")
if [ -z "$repo" ]; then
  repo="$dir/repo"
  "$FEAST_NEW_VENV/bin/python" "$here/feast-serve-demo-repo.py" "$repo" "$rows" >"$dir/demo-repo.log" 2>&1 ||
    fail_start "$dir" "$dir/demo-repo.log" "writing the demo repository failed"
fi
port=$(free_port)
peer_spawn "$dir/serve.log" "$FEAST_NEW_VENV/bin/feast" -c "$repo" serve -h 127.0.0.1 -p "$port" "${serve_args[@]}"
ready=0
for _ in $(seq 1 600); do
  pid_alive "$SPAWNED_PID" || break
  if curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1; then ready=1; break; fi
  sleep 0.1
done
((ready)) || fail_start "$dir" "$dir/serve.log" "feast serve did not answer /health on port $port"
write_state PID="$SPAWNED_PID" DIR="$dir" PORT="$port" REPO="$repo"
echo "http://127.0.0.1:$port"
