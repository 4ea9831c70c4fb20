#!/usr/bin/env bash
# fuzz-smoke.sh DIR - runs every fuzz target in DIR briefly over its seed
# corpus (fuzz/corpus/NAME) so CI proves the targets build and survive.
set -euo pipefail
dir=${1:?usage: fuzz-smoke.sh DIR}
for bin in "$dir"/*_fuzz; do
  name=$(basename "$bin")
  corpus="fuzz/corpus/${name%_fuzz}"
  work=$(mktemp -d)
  [ -d "$corpus" ] && cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  echo "fuzz-smoke: $name"
  "$bin" -max_total_time="${FUZZ_SECONDS:-20}" -rss_limit_mb=2048 -max_len=1048576 "$work" 2>&1 | tail -2
  rm -rf "$work"
done
