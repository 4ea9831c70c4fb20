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
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
pymissing=()
for p in "${PIPS[@]}"; do
  "$PY" -c "import $p" 2>/dev/null || pymissing+=("$p")
done
if ((${#pymissing[@]})); then
  echo "install-deps: installing PyPI packages: ${pymissing[*]}"
  "$PY" -m pip install -q "${pymissing[@]}"
fi
