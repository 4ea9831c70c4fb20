#!/usr/bin/env bash
# run-unit-tests.sh DIR - runs every unit-test binary in DIR, each in its own
# process with a timeout, and prints one closing line "unit: N passed, N failed"
# counting test cases across all binaries.
set -u
dir=${1:?usage: run-unit-tests.sh DIR}
export FEAST_REPO_ROOT=${FEAST_REPO_ROOT:-$(pwd)}
passed=0 failed=0 broken=()
for bin in "$dir"/*_test; do
  [ -x "$bin" ] || continue
  out=$(timeout "${FEAST_TEST_TIMEOUT:-600}" "$bin" 2>&1)
  rc=$?
  line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -1)
  if [ -n "$line" ]; then
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
    passed=$((passed + p)); failed=$((failed + f))
  fi
  if [ $rc -ne 0 ] || [ -z "$line" ]; then
    [ -n "$line" ] && [ "$f" -gt 0 ] || failed=$((failed + 1))
    broken+=("$(basename "$bin")")
    printf '%s\n' "$out" | tail -40
    echo "-- $(basename "$bin") exited $rc"
  else
    printf '%-28s %s\n' "$(basename "$bin")" "$line"
  fi
done
echo "unit: $passed passed, $failed failed"
[ $failed -eq 0 ]
