#!/usr/bin/env bash
# restart-kafka.sh [--kill] [--state FILE] - restarts the broker of
# start-kafka.sh on the same ports and data dir, for the broker-restart
# tests: with --kill by kill -9 (an unclean crash), otherwise by SIGTERM.
# Traps handled: the killed JVM lingers a couple of seconds, so the new one
# starts only once the old PID is gone (else the ports and the log dir lock
# are still held); the controller refuses the new registration until the old
# broker session expires (broker.session.timeout.ms=2000 keeps that short),
# so readiness waits until every partition has a leader again.
# Prints the bootstrap address once the broker answers.
set -euo pipefail
PEER_NAME=restart-kafka
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
. "$here/kafka-common.sh"
peer_parse_state_arg kafka "$@"
[ -f "$STATE" ] || peer_die "no broker state in $STATE: start one with scripts/peers/start-kafka.sh"
# shellcheck disable=SC1090
. "$STATE"

if [[ " ${PEER_ARGS[*]-} " == *" --kill "* ]]; then
  kill -KILL -- "-$PID" 2>/dev/null || kill -KILL "$PID" 2>/dev/null || true
fi
peer_stop "$PID" 30 || peer_die "old broker pid $PID did not exit"
# The listening sockets are closed with the process, but make sure the port
# is really free before the new JVM binds it.
for _ in $(seq 1 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || break
  sleep 0.1
done

kafka_launch "$DIR"
write_state PID="$SPAWNED_PID" DIR="$DIR" BOOTSTRAP="$BOOTSTRAP" PORT="$PORT" CONTROLLER_PORT="$CONTROLLER_PORT"
kafka_wait_ready "$BOOTSTRAP" "$SPAWNED_PID" "${KAFKA_START_TIMEOUT:-90}" ||
  fail_start "$DIR" "$DIR/server.log" "the restarted broker did not answer metadata at $BOOTSTRAP"
echo "$BOOTSTRAP"
