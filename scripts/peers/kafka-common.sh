# kafka-common.sh - sourced by start-kafka.sh and restart-kafka.sh: launches
# the broker JVM on an existing, formatted data dir and waits until it
# answers metadata requests. Keeping launch and wait here means a restart
# uses exactly the command line and ports of the first start.

KAFKA_HEAP=${KAFKA_HEAP:-"-Xms256m -Xmx512m"}

# kafka_launch DIR: start the JVM for DIR/kraft.properties; sets SPAWNED_PID.
kafka_launch() {
  local dir=$1
  # shellcheck disable=SC2086 # KAFKA_HEAP holds several JVM flags
  peer_spawn "$dir/kafka.out" java $KAFKA_HEAP -XX:+UseG1GC -XX:MaxGCPauseMillis=20 \
    -Djava.awt.headless=true -Dlog4j2.configurationFile="$dir/log4j2.properties" \
    -Dkafka.logs.dir="$dir/logs" -cp "$KAFKA_HOME/lib/*" kafka.Kafka "$dir/kraft.properties"
}

# kafka_probe BOOTSTRAP: metadata answers and lists broker 1 with no partition
# lacking a leader (after a restart the topics must be served again, not just
# the metadata request).
kafka_probe() {
  local out
  if command -v kcat >/dev/null; then
    out=$(kcat -b "$1" -L -m 2 2>/dev/null) || return 1
    grep -q "broker 1 at $1" <<<"$out" || return 1
    ! grep -qE 'leader -1|Broker: Leader not available' <<<"$out"
  else
    python3 - "$1" <<'PY'
import sys
from confluent_kafka.admin import AdminClient
md = AdminClient({"bootstrap.servers": sys.argv[1]}).list_topics(timeout=2)
ok = 1 in md.brokers and all(p.leader >= 0 for t in md.topics.values() for p in t.partitions.values())
sys.exit(0 if ok else 1)
PY
  fi
}

# kafka_wait_ready BOOTSTRAP PID SECONDS
kafka_wait_ready() {
  local bootstrap=$1 pid=$2 secs=$3 end
  end=$((SECONDS + secs))
  while ((SECONDS < end)); do
    pid_alive "$pid" || return 1
    kafka_probe "$bootstrap" && return 0
    sleep 0.2
  done
  return 1
}
