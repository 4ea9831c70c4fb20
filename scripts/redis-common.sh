# redis-common.sh - helpers sourced by start-redis*.sh: a free loopback port
# (and, for cluster nodes, a free bus port at +10000) and a readiness wait.
free_port() { # free_port [need_bus]
  python3 - "${1:-}" <<'PY'
import random, socket, sys
need_bus = sys.argv[1] == "bus"
def free(p):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", p)); return True
    except OSError:
        return False
    finally:
        s.close()
for _ in range(500):
    p = random.randint(20000, 50000)
    if free(p) and (not need_bus or free(p + 10000)):
        print(p); break
else:
    sys.exit("no free port found")
PY
}

wait_ping() { # wait_ping PORT
  for _ in $(seq 1 100); do
    [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  echo "redis on port $1 did not answer PING" >&2
  return 1
}

start_node() { # start_node PORT DIR [extra redis-server args...]
  local port=$1 dir=$2
  shift 2
  mkdir -p "$dir"
  redis-server --port "$port" --bind 127.0.0.1 --dir "$dir" --daemonize yes --pidfile "$dir/redis.pid" \
    --logfile "$dir/redis.log" --save "" --appendonly no "$@" >/dev/null || return 1
  wait_ping "$port" || { tail -20 "$dir/redis.log" >&2; return 1; }
}
