#!/usr/bin/env bash
# run-proto-decode.sh - protobuf decoding alone (issue 10's "ours against
# protobuf-c's generated unpack and Python protobuf"), one run, same messages:
#   bench/stream/run-proto-decode.sh [messages=1000000] [batch=65536] [reps=5]
# Generates protobuf-c and Python code from feature_row.proto into
# build/bench/stream (protoc-c from Debian's protobuf-c-compiler, protoc),
# builds proto_decode_bench.c against build/libfeast.a, runs it, then the
# Python peer over the messages it wrote. Prints JSON lines.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-1000000} batch=${2:-65536} reps=${3:-5}
make -s lib >/dev/null
out=build/bench/stream
mkdir -p "$out/py"
protoc-c -Ibench/stream -I/usr/include --c_out="$out" bench/stream/feature_row.proto google/protobuf/timestamp.proto
protoc -Ibench/stream -I/usr/include --python_out="$out/py" bench/stream/feature_row.proto
protoc -Ibench/stream -I/usr/include --include_imports --descriptor_set_out="$out/feature_row.pb" bench/stream/feature_row.proto
cc -std=c11 -D_DEFAULT_SOURCE -D_POSIX_C_SOURCE=200809L -O2 -g -Iinclude -Isrc -I"$out" \
  bench/stream/proto_decode_bench.c "$out/feature_row.pb-c.c" "$out/google/protobuf/timestamp.pb-c.c" build/libfeast.a \
  $(pkg-config --libs libzstd liblz4 zlib libbrotlidec libbrotlienc yaml-0.1 sqlite3 libpq lmdb hiredis avro-c libprotobuf-c rdkafka libcurl openssl) \
  -lsnappy -lpthread -lm -o "$out/proto_decode_bench"
[ "${BUILD_ONLY:-0}" = 1 ] && exit 0
msgs=$(mktemp)
trap 'rm -f "$msgs"' EXIT
"$out/proto_decode_bench" "$out/feature_row.pb" "$msgs" "$n" "$batch" "$reps"
# the same with glibc keeping freed memory: without it every new batch's
# columns are fresh pages from the kernel (see README.md)
GLIBC_TUNABLES=glibc.malloc.mmap_threshold=67108864:glibc.malloc.trim_threshold=268435456 \
  "$out/proto_decode_bench" "$out/feature_row.pb" "$msgs" "$n" "$batch" "$reps" feast |
  sed 's/"feast_proto_decode"/"feast_proto_decode, glibc keeps freed memory"/'
"$out/proto_decode_bench" "$out/feature_row.pb" "$msgs" "$n" 4096 "$reps" feast |
  sed 's/"feast_proto_decode"/"feast_proto_decode, batches of 4096 rows"/'
python3 bench/stream/proto_decode_bench.py "$out/py" "$msgs" "$(( reps < 3 ? reps : 3 ))"
