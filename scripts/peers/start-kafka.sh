#!/usr/bin/env bash
# start-kafka.sh - starts a one-node Apache Kafka (KRaft, broker and
# controller in one JVM) on 127.0.0.1 at two random free ports, with its data
# in a fresh temp dir. Replication factor 1 everywhere, automatic topic
# creation off, short broker session timeouts so a kill -9 restart is quick.
# Prints the bootstrap address (127.0.0.1:PORT) on stdout once metadata
# answers; the state file (--state FILE, default $FEAST_PEER_RUN/kafka.state)
# is what stop-kafka.sh and restart-kafka.sh read.
#   bootstrap=$(scripts/peers/start-kafka.sh) ... scripts/peers/stop-kafka.sh
# When the state file names a live broker, prints its address and exits.
set -euo pipefail
PEER_NAME=start-kafka
here=$(cd "$(dirname "$0")" && pwd)
. "$here/common.sh"
. "$here/kafka-common.sh"
peer_parse_state_arg kafka "$@"

if peer_running; then
  echo "$BOOTSTRAP"
  exit 0
fi
[ -f "$KAFKA_HOME/.complete" ] || peer_die "Kafka jars are not in $KAFKA_HOME: run scripts/peers/install-kafka.sh"
command -v java >/dev/null || peer_die "java is not installed"

dir=$(mktemp -d "${TMPDIR:-/tmp}/feast-kafka.XXXXXX")
port=$(free_port)
cport=$(free_port)
while [ "$cport" = "$port" ]; do cport=$(free_port); done
bootstrap="127.0.0.1:$port"

cat >"$dir/kraft.properties" <<PROPS
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$cport
listeners=PLAINTEXT://127.0.0.1:$port,CONTROLLER://127.0.0.1:$cport
advertised.listeners=PLAINTEXT://127.0.0.1:$port
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$dir/data
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
broker.heartbeat.interval.ms=500
broker.session.timeout.ms=2000
log.flush.interval.messages=9223372036854775807
log.retention.hours=-1
PROPS

cat >"$dir/log4j2.properties" <<PROPS
# Kafka's log to a file in the data dir; warnings and up only.
status = warn
appender.file.type = File
appender.file.name = FILE
appender.file.fileName = $dir/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.file.ref = FILE
logger.kafka.name = kafka
logger.kafka.level = info
PROPS

# The cluster id Kafka's own `random-uuid` would print: 16 random bytes in
# URL-safe base64 without padding (not starting with '-'). Made here to save
# a JVM start.
cluster_id=$(python3 -c '
import base64, uuid
while True:
    s = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
    if not s.startswith("-"): print(s); break')
java -Xmx256m -Dlog4j2.configurationFile="$dir/log4j2.properties" -cp "$KAFKA_HOME/lib/*" \
  kafka.tools.StorageTool format -t "$cluster_id" -c "$dir/kraft.properties" >"$dir/format.log" 2>&1 ||
  fail_start "$dir" "$dir/format.log" "formatting the storage failed"

kafka_launch "$dir"
write_state PID="$SPAWNED_PID" DIR="$dir" BOOTSTRAP="$bootstrap" PORT="$port" CONTROLLER_PORT="$cport"
kafka_wait_ready "$bootstrap" "$SPAWNED_PID" "${KAFKA_START_TIMEOUT:-90}" ||
  { rm -f "$STATE"; fail_start "$dir" "$dir/server.log" "the broker did not answer metadata at $bootstrap"; }
echo "start-kafka: broker pid $SPAWNED_PID, data in $dir" >&2
echo "$bootstrap"
