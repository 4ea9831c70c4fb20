#!/usr/bin/env bash
# stop-redis-cluster.sh p1,p2,p3 - stop a cluster started by start-redis-cluster.sh.
set -u
here=$(cd "$(dirname "$0")" && pwd)
IFS=, read -r -a ports <<<"${1:?usage: stop-redis-cluster.sh p1,p2,p3}"
for p in "${ports[@]}"; do bash "$here/stop-redis.sh" "$p"; done
