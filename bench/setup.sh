#!/usr/bin/env bash
# setup.sh - the benchmark peers: a venv in bench/.venv with Feast (PyPI, with
# its Redis extra), DuckDB and pyarrow. Benchmarks only; tests never need it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x "$here/.venv/bin/feast" ]; then
  python3 -m venv "$here/.venv"
  "$here/.venv/bin/pip" install -q 'feast[redis]' duckdb pyarrow pandas
fi
