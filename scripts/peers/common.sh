# common.sh - sourced by every scripts/peers/*.sh: where the caches and the
# state files live, a free loopback port, process start/stop by PID, and the
# small waits the start scripts share. Nothing here starts a server itself.
#
# Caches (downloads, builds, venvs) live under FEAST_PEER_CACHE
# (default ~/.cache/feast-c) and survive reboots; a running server lives in a
# fresh temp dir and is described by a state file (shell KEY=VALUE lines) that
# the stop/restart scripts read. The default state file is
# $FEAST_PEER_RUN/<peer>.state; every start/stop script also takes
# --state FILE, which the pytest helpers use to keep their own servers apart
# from an engineer's.

PEER_CACHE=${FEAST_PEER_CACHE:-$HOME/.cache/feast-c}
PEER_RUN=${FEAST_PEER_RUN:-${TMPDIR:-/tmp}/feast-peers-$(id -u)}
PEERS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# Versions, in one place so install, start and docs agree.
KAFKA_VERSION=${KAFKA_VERSION:-4.1.2}
LOG4J_SLF4J_VERSION=2.24.3
KINESALITE_VERSION=3.3.3

BQ_EMULATOR_VERSION=0.8.1
FEAST09_VERSION=0.9.5
FEAST_NEW_VERSION=${FEAST_NEW_VERSION:-0.67.0}

KAFKA_HOME="$PEER_CACHE/kafka-$KAFKA_VERSION"
KINESALITE_HOME="$PEER_CACHE/kinesalite-$KINESALITE_VERSION"
BQ_EMULATOR_BIN="$PEER_CACHE/bigquery-emulator-$BQ_EMULATOR_VERSION/bigquery-emulator"
FEAST09_VENV="$PEER_CACHE/feast-$FEAST09_VERSION"
FEAST_NEW_VENV="$PEER_CACHE/feast-$FEAST_NEW_VERSION"

peer_die() { echo "${PEER_NAME:-peers}: $*" >&2; exit 1; }

# peer_parse_state_arg PEER "$@": sets STATE (the state file) from --state
# FILE or the default, and leaves the other arguments in PEER_ARGS.
peer_parse_state_arg() {
  local peer=$1
  shift
  STATE="$PEER_RUN/$peer.state"
  PEER_ARGS=()
  while (($#)); do
    case $1 in
      --state) STATE=${2:?--state needs a file}; shift 2 ;;
      --state=*) STATE=${1#--state=}; shift ;;
      *) PEER_ARGS+=("$1"); shift ;;
    esac
  done
  mkdir -p "$(dirname "$STATE")"
}

free_port() { # one free loopback TCP port, chosen by the kernel
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# pid_alive PID: the process exists and is not a zombie. A server started
# with setsid is re-parented to PID 1, which on this kind of machine reaps
# exited children only after a second or two: until then kill -0 still
# succeeds, although the process has exited and released its ports and locks.
pid_alive() {
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null || return 1
  local st
  st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
  [ -n "$st" ] && [ "$st" != Z ]
}

# peer_running: true when STATE names a live PID (the state is sourced).
peer_running() {
  [ -f "$STATE" ] || return 1
  # shellcheck disable=SC1090
  . "$STATE"
  pid_alive "${PID:-}"
}

# peer_spawn LOG CMD...: start CMD detached in its own session (so the whole
# process group can be stopped by its id), output to LOG; sets SPAWNED_PID.
peer_spawn() {
  local log=$1
  shift
  setsid "$@" </dev/null >>"$log" 2>&1 &
  SPAWNED_PID=$!
}

# peer_stop PID [SECONDS] [SIGNAL]: signal the process group led by PID, wait
# for the leader to exit, SIGKILL the group after the grace period.
peer_stop() {
  local pid=$1 grace=${2:-20} sig=${3:-TERM} i
  pid_alive "$pid" || return 0
  kill -"$sig" -- "-$pid" 2>/dev/null || kill -"$sig" "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  return 1
}

# wait_port PORT SECONDS PID: until a TCP connect to 127.0.0.1:PORT succeeds;
# fails early when PID died.
wait_port() {
  local port=$1 secs=$2 pid=$3 i
  for ((i = 0; i < secs * 10; i++)); do
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
    pid_alive "$pid" || return 1
    sleep 0.1
  done
  return 1
}

# write_state KEY=VALUE...: the state file, written whole then renamed.
write_state() {
  local tmp="$STATE.tmp.$$" kv
  : >"$tmp"
  for kv in "$@"; do printf '%s=%q\n' "${kv%%=*}" "${kv#*=}" >>"$tmp"; done
  mv -f "$tmp" "$STATE"
}

# fail_start DIR LOG MESSAGE: print the log's tail and the message, stop.
fail_start() {
  [ -n "${SPAWNED_PID:-}" ] && peer_stop "$SPAWNED_PID" 5 || true
  [ -f "$2" ] && tail -30 "$2" >&2
  echo "${PEER_NAME:-peers}: $3 (log: $2)" >&2
  exit 1
}

# peer_step NAME CMD...: run one cold install step quietly, then print how
# long it took; on failure print its output.
peer_step() {
  local name=$1 t0 t1 out
  shift
  out=$(mktemp "${TMPDIR:-/tmp}/feast-peer-step.XXXXXX")
  t0=$(date +%s.%N)
  if ! "$@" >"$out" 2>&1; then
    tail -40 "$out" >&2
    rm -f "$out"
    echo "install-peers: $name failed" >&2
    return 1
  fi
  t1=$(date +%s.%N)
  rm -f "$out"
  printf 'install-peers: %-28s %6.1f s (cold)\n' "$name" "$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')"
}
