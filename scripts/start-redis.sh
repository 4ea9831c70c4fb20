#!/usr/bin/env bash
# start-redis.sh - start a throwaway redis-server on 127.0.0.1 at a random
# free port, data in a temp dir; prints the port. Stop it with
# scripts/stop-redis.sh PORT.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/redis-common.sh"
command -v redis-server >/dev/null || { echo "redis-server is not installed (make deps)" >&2; exit 1; }
port=$(free_port)
dir="${TMPDIR:-/tmp}/feast-redis-$port"
rm -rf "$dir"
start_node "$port" "$dir"
echo "$port"
