#!/usr/bin/env bash
# run.sh - Kinesis stream ingestion benchmark (see README.md): builds feast
# and the bare GetRecords reader, then runs kinesis_bench.py, which starts
# kinesalite and Redis on loopback and measures, on one stream, the
# GetRecords ceiling, ours into LMDB (unpaced and paced) and a boto3 +
# fastavro + redis-py consumer.
#   bash bench/aws/run.sh                      # 200k records, 20k keys, 4 shards
#   N=50000 KEYS=5000 bash bench/aws/run.sh    # a quick look
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
make -j2 all build/bench/kinesis_getrecords_bench >/dev/null
exec python3 bench/aws/kinesis_bench.py
