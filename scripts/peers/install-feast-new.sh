#!/usr/bin/env bash
# install-feast-new.sh - the newest Feast release PyPI serves on this Python
# (pinned in common.sh as FEAST_NEW_VERSION, 0.67.0 when written), in its own
# virtualenv in the peer cache. Its Python feature server (`feast serve`) is
# the benchmark peer of `feast serve` in issue 13; start it with
# start-feast-serve.sh. Prints the venv's python path when it installs,
# nothing when cached (--print prints it always; --force reinstalls).
set -euo pipefail
PEER_NAME=install-feast-new
. "$(dirname "$0")/common.sh"
case "${1:-}" in
  --force) rm -rf "$FEAST_NEW_VENV" ;;
  --print) [ -f "$FEAST_NEW_VENV/.complete" ] && { echo "$FEAST_NEW_VENV/bin/python"; exit 0; } ;;
esac
[ -f "$FEAST_NEW_VENV/.complete" ] && exit 0
rm -rf "$FEAST_NEW_VENV"
"${PYTHON:-python3}" -m venv "$FEAST_NEW_VENV"
"$FEAST_NEW_VENV/bin/python" -m pip install -q --disable-pip-version-check "feast==$FEAST_NEW_VERSION"
FEAST_USAGE=False "$FEAST_NEW_VENV/bin/python" -c \
  "import feast, sys; sys.exit(feast.__version__ != '$FEAST_NEW_VERSION')" ||
  peer_die "feast $FEAST_NEW_VERSION does not import in $FEAST_NEW_VENV"
touch "$FEAST_NEW_VENV/.complete"
echo "$FEAST_NEW_VENV/bin/python"
