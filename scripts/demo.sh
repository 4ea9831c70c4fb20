#!/usr/bin/env bash
# demo.sh FEAST - the main job on the embedded defaults: a fresh repo from
# `feast init`, its specs applied to the SQLite registry, and what later
# stages (ingestion, online reads, training sets) make of the example data.
set -euo pipefail
feast=$(realpath "${1:?usage: demo.sh path/to/feast}")
dir=$(mktemp -d "${TMPDIR:-/tmp}/feast-demo.XXXXXX")
trap 'rm -rf "$dir"' EXIT
cd "$dir"
run() { echo "\$ feast $*"; "$feast" "$@"; echo; }
run init demo
cd demo
run apply
run entities list
run feature-tables list
run feature-tables describe driver_trips
