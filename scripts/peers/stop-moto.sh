#!/usr/bin/env bash
# stop-moto.sh [--auth] [--state FILE] - stops a server of start-moto.sh by
# its PID and removes its temp dir (--auth: the authenticating one's default
# state file).
PEER_NAME=stop-moto PEER_KEY=moto
rest=()
for a in "$@"; do
  if [ "$a" = --auth ]; then PEER_KEY=moto-auth; else rest+=("$a"); fi
done
set -- "${rest[@]}"
. "$(dirname "$0")/stop-peer-generic.sh"
