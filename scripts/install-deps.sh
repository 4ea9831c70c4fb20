#!/usr/bin/env bash
# install-deps.sh - installs everything the build, the tests and the
# benchmarks need: Debian packages (libraries, servers, compilers) and PyPI
# packages (test harnesses). Idempotent and silent when all is present.
set -euo pipefail

DEBS=(
  build-essential pkg-config clang libclang-rt-14-dev
  libzstd-dev libsnappy-dev liblz4-dev zlib1g-dev libbrotli-dev
  libyaml-dev libsqlite3-dev libpq-dev liblmdb-dev libhiredis-dev
  libavro-dev libprotobuf-c-dev protobuf-c-compiler protobuf-compiler libprotobuf-dev
  librdkafka-dev libcurl4-openssl-dev libssl-dev
  redis-server redis-tools postgresql lmdb-utils
  # the real peers of scripts/peers/ and the tools the stream, AWS, BigQuery
  # and serving tests and benchmarks use
  openjdk-17-jre-headless maven curl kcat libgrpc-dev protobuf-compiler-grpc
  libnghttp2-dev nghttp2-client wrk nginx hyperfine
  # feast serve's HTTP parser: llhttp's C sources (no library package in Debian 12)
  node-llhttp
)
PIPS=(pyarrow duckdb pandas pytest cffi)

missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing Debian packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  # Keep the packages' own services (nginx on 0.0.0.0:80, redis, postgresql)
  # from starting at install: tests start their own servers on loopback.
  no_start=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod +x /usr/sbin/policy-rc.d
    no_start=1
  fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  ((no_start)) && $SUDO rm -f /usr/sbin/policy-rc.d
fi

PY=${PYTHON:-python3}
pymissing=()
for p in "${PIPS[@]}"; do
  "$PY" -c "import $p" 2>/dev/null || pymissing+=("$p")
done
# Clients of the real peers (scripts/peers/), as distribution:module.
PEER_PIPS=(confluent-kafka:confluent_kafka fastavro:fastavro protobuf:google.protobuf grpcio:grpc
  grpcio-tools:grpc_tools boto3:boto3 botocore:botocore google-cloud-bigquery:google.cloud.bigquery
  google-cloud-bigquery-storage:google.cloud.bigquery_storage google-auth:google.auth
  cryptography:cryptography redis:redis "moto[server]:moto.server")
# One interpreter checks them all (a start per import costs seconds).
while read -r dist; do
  [ -n "$dist" ] && pymissing+=("$dist")
done < <("$PY" - "${PEER_PIPS[@]}" <<'PY'
import importlib, sys
for spec in sys.argv[1:]:
    dist, _, module = spec.rpartition(":")
    try:
        importlib.import_module(module)
    except Exception:
        print(dist)
PY
)
if ((${#pymissing[@]})); then
  echo "install-deps: installing PyPI packages: ${pymissing[*]}"
  "$PY" -m pip install -q "${pymissing[@]}"
fi

# The real servers the tests run against (Kafka, kinesalite, the BigQuery
# emulator, Feast 0.9.5 and the newest Feast), into their cache.
bash "$(dirname "$0")/peers/install-peers.sh"
