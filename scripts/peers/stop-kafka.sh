#!/usr/bin/env bash
# stop-kafka.sh [--state FILE] [--keep] - stops the broker start-kafka.sh
# started: SIGTERM by its PID, waits for the controlled shutdown (SIGKILL
# after 30 s), then removes its data dir (unless --keep) and the state file.
set -euo pipefail
PEER_NAME=stop-kafka
. "$(dirname "$0")/common.sh"
peer_parse_state_arg kafka "$@"
[ -f "$STATE" ] || exit 0
# shellcheck disable=SC1090
. "$STATE"
peer_stop "$PID" 30 || peer_die "pid $PID did not exit"
[[ " ${PEER_ARGS[*]-} " == *" --keep "* ]] || rm -rf "$DIR"
rm -f "$STATE"
