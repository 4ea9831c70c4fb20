#!/usr/bin/env bash
# run.sh - the transport benchmark for feast serve (issue 13), in one go:
# installs what it needs (Debian packages, a virtualenv with grpcio, ghz),
# builds the servers (their own Makefile, the project's warning flags),
# writes the payloads, checks every server with a real client, then loads
# each one from core 1 while it runs pinned to core 0.
#   bench/serve/transport/run.sh [duration_s=10] [reps=3]
# OUT=dir (default build/results-<time>), ONLY=name,... to run a subset,
# GHZ=0 to skip ghz. Prints one line per run, then the Markdown table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"
duration=${1:-10} reps=${2:-3}

pkgs="libgrpc-dev libnghttp2-dev libh2o-evloop-dev libmicrohttpd-dev libevent-dev node-llhttp wrk nghttp2-client nginx-light"
missing=$(for p in $pkgs; do dpkg -s "$p" >/dev/null 2>&1 || echo "$p"; done)
if [ -n "$missing" ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
# Debian enables and starts nginx on install; we run our own, so stop that one.
if [ -n "$missing" ] && systemctl is-active --quiet nginx 2>/dev/null; then systemctl stop nginx; fi

venv=build/venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q grpcio grpcio-tools protobuf
fi
ghz_args=()
if [ "${GHZ:-1}" = 0 ]; then
  ghz_args=(--no-ghz)
elif [ ! -x build/gobin/ghz ]; then
  PATH=/usr/local/go/bin:$PATH GOBIN="$here/build/gobin" go install github.com/bojand/ghz/cmd/ghz@v0.93.0
fi

make -s -j2
data=build/data
"$venv/bin/python" gen_payloads.py "$data" >/dev/null
out=${OUT:-build/results-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$out"
{ echo "nproc: $(nproc)"; lscpu | grep -E 'Model name|^CPU\(s\)|MHz'; uptime; } > "$out/machine.txt"
only=()
[ -n "${ONLY:-}" ] && only=(--only "$ONLY")
GHZ="$here/build/gobin/ghz" "$venv/bin/python" run.py "$data" "$out" --duration "$duration" --reps "$reps" \
  --python "$venv/bin/python" "${only[@]}" "${ghz_args[@]}"
cat "$out/table.md"
