#!/usr/bin/env bash
# start-postgres.sh - starts a private, throw-away PostgreSQL cluster for the
# tests: a fresh data folder in a temp dir, listening on 127.0.0.1 only on a
# free port, trust authentication, database "feast". Prints the libpq URL on
# stdout (and nothing else there); the data folder goes to the state file so
# scripts/stop-postgres.sh can stop it. When run as root the server runs as
# the "postgres" user (PostgreSQL refuses to run as root).
#   url=$(bash scripts/start-postgres.sh) && ... && bash scripts/stop-postgres.sh
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
state=${FEAST_PG_STATE:-${TMPDIR:-/tmp}/feast-postgres.state}
[ -x "$PGBIN/initdb" ] || { echo "start-postgres: no initdb in $PGBIN (install the postgresql package: make deps)" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/feast-pg.XXXXXX")
chmod 755 "$dir"
as=()
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$dir"
  as=(runuser -u postgres --)
fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')

"${as[@]}" "$PGBIN/initdb" -D "$dir/data" -A trust -U feast --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }
"${as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=100" start >/dev/null ||
  { cat "$dir/server.log" >&2; exit 1; }
"${as[@]}" "$PGBIN/createdb" -h 127.0.0.1 -p "$port" -U feast feast
echo "$dir" >"$state"
echo "start-postgres: server in $dir, port $port" >&2
echo "postgresql://feast@127.0.0.1:$port/feast"
