#!/usr/bin/env bash
# stop-kinesalite.sh [--state FILE] - stops the kinesalite of
# start-kinesalite.sh by its PID and removes its temp dir.
PEER_NAME=stop-kinesalite PEER_KEY=kinesalite
. "$(dirname "$0")/stop-peer-generic.sh"
