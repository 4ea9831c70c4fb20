#!/usr/bin/env bash
# run.sh - the online benchmarks, side by side in one run:
#   * the CLI path, the headline: `feast ingest driver_hourly` reading the
#     Parquet files of bench/online/gen.py into LMDB, Redis and a 3-master
#     Redis Cluster (bench/online/cli_ingest.py: wall time and peak RSS),
#     and `feast parquet cat --count` on the same files (the reader alone);
#   * the in-memory C driver (bench/online/online_bench.c): feast_ingest on
#     generated rows of the same shape, then online read latencies;
#   * redis-benchmark's pipelined HSET ceiling on the same kind of fresh Redis
#     (-P 64, random keys over the same key count);
#   * Feast's own `materialize` + get_online_features (PyPI feast, in
#     bench/.venv from bench/setup.sh, or $FEAST_PY) on a fresh Redis, over
#     the same Parquet files.
# Prints JSON lines, then a Markdown table (bench/online/report.py).
#   bench/online/run.sh [rows=10000000] [keys=1000000] [batch=1000000] [reads=20000]
# FEAST_PEER=0 skips Feast; CLUSTER=0 skips the cluster; MEMORY=0 skips the in-memory driver.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
rows=${1:-10000000} keys=${2:-1000000} batch=${3:-1000000} reads=${4:-20000}
make -s lib >/dev/null
out=build/bench/online_bench
mkdir -p build/bench
cc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -O2 -Iinclude -Isrc bench/online/online_bench.c build/libfeast.a \
  $(pkg-config --libs lmdb hiredis libzstd liblz4 zlib libbrotlidec libbrotlienc yaml-0.1 sqlite3 libpq avro-c libprotobuf-c rdkafka libcurl openssl) \
  -lsnappy -lpthread -lm -o "$out"
log=$(mktemp)
dir=$(mktemp -d)
ports="" port=""
cleanup() {
  [ -n "$port" ] && bash scripts/stop-redis.sh "$port" || true
  [ -n "$ports" ] && bash scripts/stop-redis-cluster.sh "$ports" || true
  rm -rf "$dir"
}
trap cleanup EXIT
py=${FEAST_PY:-}
if [ "${FEAST_PEER:-1}" != 0 ] && [ -z "$py" ]; then
  bash bench/setup.sh
  py=bench/.venv/bin/python
fi
make -s all >/dev/null
python3 bench/online/gen.py "$dir/data" --rows "$rows" --keys "$keys"
cli() { python3 bench/online/cli_ingest.py "$root/build/feast" "$dir/data" "$dir/repo-$1" "$2" "$1" | tee -a "$log"; }

cli lmdb "{type: lmdb, path: online, map_size: 8589934592}"
rm -rf "$dir/repo-lmdb"
port=$(bash scripts/start-redis.sh)
cli redis "{type: redis, connection_string: \"127.0.0.1:$port\"}"
bash scripts/stop-redis.sh "$port"
port=""
if [ "${CLUSTER:-1}" != 0 ]; then
  ports=$(bash scripts/start-redis-cluster.sh)
  cli redis_cluster "{type: redis_cluster, startup_nodes: [\"127.0.0.1:${ports//,/\", \"127.0.0.1:}\"]}"
  bash scripts/stop-redis-cluster.sh "$ports"
  ports=""
fi

if [ "${MEMORY:-1}" != 0 ]; then
  "$out" "lmdb:$dir/online" "$rows" "$keys" "$batch" "$reads" | tee -a "$log"
  rm -rf "$dir/online"
  port=$(bash scripts/start-redis.sh)
  "$out" "redis://127.0.0.1:$port" "$rows" "$keys" "$batch" "$reads" | tee -a "$log"
  bash scripts/stop-redis.sh "$port"
  port=""
  if [ "${CLUSTER:-1}" != 0 ]; then
    ports=$(bash scripts/start-redis-cluster.sh)
    "$out" "redis-cluster://127.0.0.1:${ports//,/,127.0.0.1:}" "$rows" "$keys" "$batch" "$reads" | tee -a "$log"
    bash scripts/stop-redis-cluster.sh "$ports"
    ports=""
  fi
fi

port=$(bash scripts/start-redis.sh)
n=$((rows < 4000000 ? rows : 4000000))
ops=$(redis-benchmark -p "$port" -n "$n" -P 64 -r "$keys" -q --csv hset 'key:__rand_int__' f v | tail -1 | cut -d, -f2 | tr -d '"')
echo "{\"phase\": \"redis-benchmark\", \"command\": \"redis-benchmark -n $n -P 64 -r $keys hset key:__rand_int__ f v\", \"ops_per_s\": $ops}" | tee -a "$log"
bash scripts/stop-redis.sh "$port"
port=""

if [ "${FEAST_PEER:-1}" != 0 ]; then
  port=$(bash scripts/start-redis.sh)
  res=$("$py" bench/online/feast_peer.py "$dir/data" "127.0.0.1:$port" --keys "$keys" --reads 2000 2>/dev/null | tail -1)
  echo "{\"phase\": \"feast\", \"rows\": $rows, $(echo "$res" | sed 's/^{//')" | tee -a "$log"
fi
python3 bench/online/report.py "$log"
