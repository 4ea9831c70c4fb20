#!/usr/bin/env bash
# stop-bigquery-emulator.sh [--state FILE] [--keep] - stops the emulator of
# start-bigquery-emulator.sh by its PID and removes its temp dir.
PEER_NAME=stop-bigquery-emulator PEER_KEY=bigquery-emulator
. "$(dirname "$0")/stop-peer-generic.sh"
