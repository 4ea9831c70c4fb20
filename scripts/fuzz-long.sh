#!/usr/bin/env bash
# fuzz-long.sh DIR - the long fuzzing run (issue 15): every target in DIR for
# FUZZ_RUNS executions (default 10,000,000) from its corpus fuzz/corpus/NAME,
# then the new inputs that add coverage are merged back into that corpus
# (minimized, so it stays small; commit it). Prints executions, time and
# corpus size per target and stops at the first crash, leaving its input in
# fuzz/crashes/. FUZZ_TARGETS="csv parquet" limits the targets; FUZZ_JOBS=2
# runs two at once.
set -euo pipefail
dir=${1:?usage: fuzz-long.sh DIR}
runs=${FUZZ_RUNS:-10000000}
mkdir -p fuzz/crashes
one() {
  local bin=$1 name corpus work start secs
  name=$(basename "$bin" _fuzz)
  corpus=fuzz/corpus/$name
  mkdir -p "$corpus"
  work=$(mktemp -d)
  cp -r "$corpus"/. "$work"/ 2>/dev/null || true
  start=$(date +%s)
  if ! "$bin" -runs="$runs" -rss_limit_mb=2048 -max_len=1048576 -artifact_prefix="fuzz/crashes/$name-" \
       -print_final_stats=1 "$work" > "$work.log" 2>&1; then
    echo "fuzz-long: $name FAILED after $(( $(date +%s) - start ))s (input in fuzz/crashes/):"
    tail -30 "$work.log"
    return 1
  fi
  secs=$(( $(date +%s) - start ))
  "$bin" -merge=1 -rss_limit_mb=2048 -max_len=1048576 "$corpus" "$work" > /dev/null 2>&1
  printf 'fuzz-long: %-18s %s executions in %ss (%s/s), corpus %s files\n' "$name" \
    "$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work.log" | grep -o '[0-9]*$')" "$secs" \
    "$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$work.log" | grep -o '[0-9]*$')" "$(ls "$corpus" | wc -l)"
  rm -rf "$work" "$work.log"
}
export -f one
export runs
bins=()
for bin in "$dir"/*_fuzz; do
  name=$(basename "$bin" _fuzz)
  [ -n "${FUZZ_TARGETS:-}" ] && [[ " $FUZZ_TARGETS " != *" $name "* ]] && continue
  bins+=("$bin")
done
printf '%s\n' "${bins[@]}" | xargs -P "${FUZZ_JOBS:-1}" -I{} bash -c 'one "$@"' _ {}
