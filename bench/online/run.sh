#!/usr/bin/env bash
# run.sh - build online_bench against build/libfeast.a and run it on LMDB,
# a fresh Redis and a fresh 3-master Redis Cluster (started and stopped by
# scripts/). Usage: bench/online/run.sh [rows] [keys] [reads]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
make -s lib >/dev/null
out=build/bench/online_bench
mkdir -p build/bench
cc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -O2 -Iinclude -Isrc bench/online/online_bench.c build/libfeast.a \
  $(pkg-config --libs lmdb hiredis libzstd liblz4 zlib libbrotlidec libbrotlienc yaml-0.1 sqlite3 libpq avro-c libprotobuf-c rdkafka libcurl openssl) \
  -lsnappy -lpthread -lm -o "$out"
dir=$(mktemp -d)
"$out" "lmdb:$dir/online" "$@"
rm -rf "$dir"
port=$(bash scripts/start-redis.sh)
trap 'bash scripts/stop-redis.sh $port' EXIT
"$out" "redis://127.0.0.1:$port" "$@"
ports=$(bash scripts/start-redis-cluster.sh)
trap 'bash scripts/stop-redis.sh $port; bash scripts/stop-redis-cluster.sh $ports' EXIT
"$out" "redis-cluster://127.0.0.1:${ports//,/,127.0.0.1:}" "$@"
