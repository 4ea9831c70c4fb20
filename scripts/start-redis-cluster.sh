#!/usr/bin/env bash
# start-redis-cluster.sh - start a 3-master Redis Cluster on 127.0.0.1 at
# random free ports (no replicas) and wait until every node reports
# cluster_state:ok. Prints the ports comma-separated ("p1,p2,p3"). Stop it
# with scripts/stop-redis-cluster.sh p1,p2,p3.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/redis-common.sh"
command -v redis-server >/dev/null || { echo "redis-server is not installed (make deps)" >&2; exit 1; }
ports=()
for _ in 1 2 3; do
  while :; do
    p=$(free_port bus)
    [[ " ${ports[*]-} " == *" $p "* ]] || break
  done
  dir="${TMPDIR:-/tmp}/feast-redis-$p"
  rm -rf "$dir"
  start_node "$p" "$dir" --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" --cluster-node-timeout 5000
  ports+=("$p")
done
addrs=()
for p in "${ports[@]}"; do addrs+=("127.0.0.1:$p"); done
redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >/dev/null
for p in "${ports[@]}"; do
  ok=0
  for _ in $(seq 1 100); do
    if redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | grep -q 'cluster_state:ok'; then ok=1; break; fi
    sleep 0.1
  done
  [ $ok = 1 ] || { echo "cluster node $p never reached cluster_state:ok" >&2; exit 1; }
done
(IFS=,; echo "${ports[*]}")
