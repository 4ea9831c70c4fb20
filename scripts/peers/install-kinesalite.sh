#!/usr/bin/env bash
# install-kinesalite.sh - installs kinesalite (a Kinesis stand-in on
# Node.js, from the npm registry) into the peer cache with `npm install`.
# Prints nothing when it is cached; --force installs again.
set -euo pipefail
PEER_NAME=install-kinesalite
. "$(dirname "$0")/common.sh"
[ "${1:-}" = --force ] && rm -rf "$KINESALITE_HOME"
[ -f "$KINESALITE_HOME/.complete" ] && exit 0
command -v npm >/dev/null || peer_die "npm is not installed (apt-get install npm)"
rm -rf "$KINESALITE_HOME"
mkdir -p "$KINESALITE_HOME"
# A private package.json so npm installs here and not in a parent project.
printf '{"name":"feast-kinesalite-peer","private":true}\n' >"$KINESALITE_HOME/package.json"
npm install --prefix "$KINESALITE_HOME" --no-audit --no-fund --loglevel=error \
  "kinesalite@$KINESALITE_VERSION"
node -e "require('$KINESALITE_HOME/node_modules/kinesalite')" || peer_die "kinesalite does not load"
touch "$KINESALITE_HOME/.complete"
