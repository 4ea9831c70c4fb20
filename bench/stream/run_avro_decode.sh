#!/usr/bin/env bash
# run_avro_decode.sh - Avro decoding alone (bench/stream/README.md): ours
# into column batches vs avro-c's generic reader (same process, same
# datums), then fastavro's schemaless_reader on the same datums.
# Usage: bench/stream/run_avro_decode.sh [N] [REPEATS] [FASTAVRO_N]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
n=${1:-1000000}
repeats=${2:-3}
fa_n=${3:-200000}
make -s --no-print-directory build/bench/avro_decode_bench
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
build/bench/avro_decode_bench "$n" "$repeats" "$work/datums.bin"
# the schema, as the C benchmark has it
sed -n '/static const char \*schema_json =/,/;$/p' bench/stream/avro_decode_bench.c |
  grep -o '"[^;]*"' | sed 's/^"//; s/"$//; s/\\"/"/g' | tr -d '\n' > "$work/schema.json"
python3 bench/stream/avro_decode_peer.py "$work/datums.bin" "$work/schema.json" "$fa_n" "$repeats"
