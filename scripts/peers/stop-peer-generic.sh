# stop-peer-generic.sh - sourced by the stop scripts of the simple peers
# (one process, a temp dir, a state file): stops PID, removes DIR and the
# state file. PEER_KEY names the default state file.
set -euo pipefail
. "$(dirname "$0")/common.sh"
peer_parse_state_arg "$PEER_KEY" "$@"
[ -f "$STATE" ] || exit 0
# shellcheck disable=SC1090
. "$STATE"
peer_stop "$PID" "${PEER_GRACE:-10}" || peer_die "pid $PID did not exit"
[[ " ${PEER_ARGS[*]-} " == *" --keep "* ]] || rm -rf "$DIR"
rm -f "$STATE"
