#!/usr/bin/env bash
# stop-postgres.sh [DIR] - stops the cluster scripts/start-postgres.sh started
# (the last one, from its state file, unless DIR is given) and removes its
# data folder.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
state=${FEAST_PG_STATE:-${TMPDIR:-/tmp}/feast-postgres.state}
dir=${1:-$(cat "$state" 2>/dev/null || true)}
[ -n "$dir" ] && [ -d "$dir/data" ] || { echo "stop-postgres: no running cluster found" >&2; exit 0; }
as=()
[ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
"${as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
rm -rf "$dir"
[ "$(cat "$state" 2>/dev/null || true)" = "$dir" ] && rm -f "$state"
exit 0
