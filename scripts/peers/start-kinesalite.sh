#!/usr/bin/env bash
# start-kinesalite.sh [--state FILE] - starts kinesalite (Kinesis on
# Node.js, installed by install-kinesalite.sh) on 127.0.0.1 at a random free
# port; streams are kept in memory (its log and state live in a temp dir),
# and stream creation, deletion and resharding take effect at once instead
# of after AWS's delays. Prints the endpoint URL, http://127.0.0.1:PORT, for
# AWS_ENDPOINT_URL_KINESIS or boto3's endpoint_url. Any well-formed SigV4
# Authorization header is accepted; signatures are not verified.
set -euo pipefail
PEER_NAME=start-kinesalite
. "$(dirname "$0")/common.sh"
peer_parse_state_arg kinesalite "$@"
if peer_running; then
  echo "http://127.0.0.1:$PORT"
  exit 0
fi
[ -f "$KINESALITE_HOME/.complete" ] || peer_die "kinesalite is not in $KINESALITE_HOME: run scripts/peers/install-kinesalite.sh"
command -v node >/dev/null || peer_die "node is not installed"

dir=$(mktemp -d "${TMPDIR:-/tmp}/feast-kinesalite.XXXXXX")
port=$(free_port)
cat >"$dir/serve.js" <<JS
// kinesalite with AWS's delays off and room for resharding tests.
require('$KINESALITE_HOME/node_modules/kinesalite')({
  createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 200,
}).listen($port, '127.0.0.1', function (err) {
  if (err) { console.error(err); process.exit(1); }
  console.log('kinesalite listening on 127.0.0.1:$port');
});
JS
peer_spawn "$dir/kinesalite.log" node "$dir/serve.js"
wait_port "$port" 30 "$SPAWNED_PID" || fail_start "$dir" "$dir/kinesalite.log" "kinesalite did not listen on $port"
write_state PID="$SPAWNED_PID" DIR="$dir" PORT="$port"
echo "http://127.0.0.1:$port"
