#!/usr/bin/env bash
# kafka-create-topic.sh TOPIC PARTITIONS [BOOTSTRAP] - creates a topic with
# N partitions (replication factor 1) on the broker of start-kafka.sh (or on
# BOOTSTRAP), through confluent-kafka's AdminClient: kcat cannot create
# topics and the broker does not auto-create them. Waits until every
# partition has a leader. An existing topic with that partition count is
# fine; one with another count is an error.
set -euo pipefail
PEER_NAME=kafka-create-topic
. "$(dirname "$0")/common.sh"
peer_parse_state_arg kafka "$@"
set -- "${PEER_ARGS[@]}"
topic=${1:?usage: kafka-create-topic.sh TOPIC PARTITIONS [BOOTSTRAP]}
parts=${2:?usage: kafka-create-topic.sh TOPIC PARTITIONS [BOOTSTRAP]}
bootstrap=${3:-}
if [ -z "$bootstrap" ]; then
  [ -f "$STATE" ] || peer_die "no BOOTSTRAP given and no broker state in $STATE"
  # shellcheck disable=SC1090
  . "$STATE"
  bootstrap=$BOOTSTRAP
fi
python3 - "$bootstrap" "$topic" "$parts" <<'PY'
import sys, time
from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, topic, parts = sys.argv[1], sys.argv[2], int(sys.argv[3])
admin = AdminClient({"bootstrap.servers": bootstrap})
fut = admin.create_topics([NewTopic(topic, num_partitions=parts, replication_factor=1)],
                          request_timeout=30)[topic]
try:
    fut.result(timeout=40)
except KafkaException as e:
    if e.args[0].code() != e.args[0].TOPIC_ALREADY_EXISTS:
        sys.exit(f"kafka-create-topic: creating {topic} on {bootstrap}: {e}")
deadline = time.time() + 30
while True:
    t = admin.list_topics(topic=topic, timeout=5).topics.get(topic)
    if t is not None and t.error is None and len(t.partitions) > 0 \
            and all(p.leader >= 0 for p in t.partitions.values()):
        break
    if time.time() > deadline:
        sys.exit(f"kafka-create-topic: {topic} on {bootstrap} has no leader for every partition")
    time.sleep(0.1)
if len(t.partitions) != parts:
    sys.exit(f"kafka-create-topic: {topic} exists with {len(t.partitions)} partitions, not {parts}")
PY
