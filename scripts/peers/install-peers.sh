#!/usr/bin/env bash
# install-peers.sh - installs every real peer the integration tests and the
# benchmarks run against, into the peer cache (FEAST_PEER_CACHE, default
# ~/.cache/feast-c): the Kafka broker's jars, kinesalite, goccy's
# bigquery-emulator (a 5-7 minute Go build, run in the background while the
# rest installs), Feast 0.9.5's SDK and the newest Feast in their own venvs.
# moto and the Python clients are PyPI packages of the main environment and
# come from scripts/install-deps.sh, which calls this script.
# Idempotent: prints nothing when everything is cached; otherwise one line
# per cold step with how long it took.
set -euo pipefail
PEER_NAME=install-peers
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
mkdir -p "$PEER_CACHE"

t_start=$(date +%s.%N)
cold=0
bq_pid="" bq_log=""
if [ ! -x "$BQ_EMULATOR_BIN" ]; then
  cold=1
  bq_log=$(mktemp "${TMPDIR:-/tmp}/feast-bqemu-build-log.XXXXXX")
  # The Go build is CPU-bound, the other steps mostly wait on downloads, so
  # it runs beside them (in its own process group so an interrupt stops it).
  setsid bash -c 't0=$(date +%s.%N); bash "$1" >"$2" 2>&1; rc=$?; echo "$t0 $(date +%s.%N) $rc" >>"$2.time"; exit $rc' \
    _ "$here/build-bigquery-emulator.sh" "$bq_log" </dev/null &
  bq_pid=$!
  trap '[ -n "$bq_pid" ] && kill -- "-$bq_pid" 2>/dev/null; rm -f "$bq_log" "$bq_log.time"' EXIT
fi

step() { # step NAME MARKER SCRIPT: run SCRIPT unless MARKER exists
  [ -e "$2" ] && return 0
  cold=1
  peer_step "$1" bash "$here/$3"
}
step "kafka $KAFKA_VERSION jars (maven)" "$KAFKA_HOME/.complete" install-kafka.sh
step "kinesalite $KINESALITE_VERSION (npm)" "$KINESALITE_HOME/.complete" install-kinesalite.sh
step "feast $FEAST09_VERSION venv" "$FEAST09_VENV/.complete" install-feast09.sh
step "feast $FEAST_NEW_VERSION venv" "$FEAST_NEW_VENV/.complete" install-feast-new.sh

if [ -n "$bq_pid" ]; then
  if ! wait "$bq_pid"; then
    bq_pid=""
    tail -40 "$bq_log" >&2
    peer_die "building bigquery-emulator v$BQ_EMULATOR_VERSION failed"
  fi
  bq_pid=""
  read -r t0 t1 _ <"$bq_log.time"
  printf 'install-peers: %-28s %6.1f s (cold, in parallel)\n' "bigquery-emulator $BQ_EMULATOR_VERSION (go build)" \
    "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')"
fi
if ((cold)); then
  printf 'install-peers: %-28s %6.1f s\n' "all peers" "$(awk -v a="$t_start" -v b="$(date +%s.%N)" 'BEGIN{print b-a}')"
fi
