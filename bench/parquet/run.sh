#!/usr/bin/env bash
# run.sh - the Parquet decode benchmark: generate a 10M-row feature table with
# pyarrow (snappy and zstd; kept in DATA_DIR between runs), build pq_bench
# against build/libfeast.a, then time Feast's reader, DuckDB and pyarrow on the
# same files at 1 and 2 threads (bench/parquet/run.py prints the table).
# Usage: bench/parquet/run.sh [DATA_DIR] [REPEATS]   (default /tmp/feast-pqbench, 3)
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
data=${1:-/tmp/feast-pqbench}
repeats=${2:-3}
make -s lib >/dev/null
mkdir -p build/bench
out=build/bench/pq_bench
cc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -O2 -Iinclude -Isrc bench/parquet/pq_bench.c build/libfeast.a \
  $(pkg-config --libs lmdb hiredis libzstd liblz4 zlib libbrotlidec libbrotlienc yaml-0.1 sqlite3 libpq avro-c libprotobuf-c rdkafka libcurl openssl) \
  -lsnappy -lpthread -lm -o "$out"
[ -f "$data/meta.json" ] || python3 bench/parquet/gen.py "$data"
python3 bench/parquet/run.py "$data" "$out" --repeats "$repeats"
