#!/usr/bin/env bash
# run-py-tests.sh - the integration suite: pytest over tests/py with the
# built binary and library. Tests that need a server start it through
# scripts/servers.sh; in CI (CI=true) a missing server is a failure, never a skip.
set -euo pipefail
export FEAST_REPO_ROOT=${FEAST_REPO_ROOT:-$(pwd)}
[ $# -gt 0 ] || set -- tests/py
exec python3 -m pytest -q -p no:cacheprovider "$@"
