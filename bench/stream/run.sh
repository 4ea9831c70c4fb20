#!/usr/bin/env bash
# run.sh - Kafka stream ingestion benchmark (see README.md, "Kafka end to
# end"): builds feast and the bare librdkafka consumer, then runs
# kafka_bench.py, which starts one broker and measures, on one topic, the
# ceiling, ours into LMDB and into Redis, and a Python consumer into Redis.
#   bash bench/stream/run.sh            # 10M messages, 1M keys, 8 partitions
#   N=200000 KEYS=20000 bash bench/stream/run.sh   # a quick look
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
make -j2 all >/dev/null
mkdir -p build/bench
cc -O2 -Wall -Wextra -Werror bench/stream/kafka_consume_bench.c $(pkg-config --cflags --libs rdkafka) \
  -o build/bench/kafka_consume_bench
exec python3 bench/stream/kafka_bench.py
