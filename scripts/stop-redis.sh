#!/usr/bin/env bash
# stop-redis.sh PORT - stop a server started by start-redis.sh and remove its dir.
set -u
port=${1:?usage: stop-redis.sh PORT}
dir="${TMPDIR:-/tmp}/feast-redis-$port"
redis-cli -h 127.0.0.1 -p "$port" shutdown nosave >/dev/null 2>&1 || true
for _ in $(seq 1 50); do
  [ -f "$dir/redis.pid" ] && kill -0 "$(cat "$dir/redis.pid")" 2>/dev/null || break
  sleep 0.1
done
rm -rf "$dir"
