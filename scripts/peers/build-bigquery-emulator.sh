#!/usr/bin/env bash
# build-bigquery-emulator.sh - builds goccy's bigquery-emulator v0.8.1 from
# the Go module proxy into the peer cache, once. The proxy serves only that
# version and refuses `go install ...@v0.8.1`, so the build goes through a
# throwaway module (go.mod requiring v0.8.1 plus a tools.go importing its
# command) in a temp dir. About 7 minutes and 2 GB peak on 2 cores; the Go
# module and build caches (about 3.5 GB) live in the temp dir and are removed
# afterwards, since only the static binary is kept.
# Prints nothing when the binary is already cached; --force rebuilds.
set -euo pipefail
PEER_NAME=build-bigquery-emulator
. "$(dirname "$0")/common.sh"

[ "${1:-}" = --force ] && rm -f "$BQ_EMULATOR_BIN"
[ -x "$BQ_EMULATOR_BIN" ] && exit 0

GO=${GO:-/usr/local/go/bin/go}
[ -x "$GO" ] || GO=$(command -v go) || peer_die "no Go toolchain (expected /usr/local/go/bin/go)"

work=$(mktemp -d "${TMPDIR:-/tmp}/feast-bqemu-build.XXXXXX")
cleanup() {
  chmod -R u+w "$work" 2>/dev/null || true # the module cache is read-only
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/mod"
cat >"$work/mod/go.mod" <<GOMOD
module feastc.local/bqemu

go 1.25.0

require github.com/goccy/bigquery-emulator v$BQ_EMULATOR_VERSION
GOMOD
cat >"$work/mod/tools.go" <<'GOSRC'
//go:build tools

// Package bqemu only pins the emulator's command so `go build` can resolve it.
package bqemu

import _ "github.com/goccy/bigquery-emulator/cmd/bigquery-emulator"
GOSRC

mkdir -p "$(dirname "$BQ_EMULATOR_BIN")"
(
  cd "$work/mod"
  export GOPATH="$work/gopath" GOMODCACHE="$work/gopath/pkg/mod" GOCACHE="$work/gocache"
  export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
  "$GO" build -ldflags='-s -w' -o "$work/bigquery-emulator" \
    github.com/goccy/bigquery-emulator/cmd/bigquery-emulator
)
"$work/bigquery-emulator" --help >/dev/null 2>&1 || "$work/bigquery-emulator" --version >/dev/null 2>&1 ||
  peer_die "the built binary does not run"
mv -f "$work/bigquery-emulator" "$BQ_EMULATOR_BIN.tmp"
mv -f "$BQ_EMULATOR_BIN.tmp" "$BQ_EMULATOR_BIN"
