#!/usr/bin/env bash
# stop-feast-serve.sh [--state FILE] - stops the feature server of
# start-feast-serve.sh (its whole process group, workers included) by its
# PID and removes its temp dir (a demo repository with it; a --repo given to
# the start script is left alone).
PEER_NAME=stop-feast-serve PEER_KEY=feast-serve
. "$(dirname "$0")/stop-peer-generic.sh"
