#!/usr/bin/env bash
# install-feast09.sh - Feast 0.9.5's own Python SDK, the real client the
# compatibility tests compare against, in its own virtualenv in the peer
# cache. `pip install feast==0.9.5` cannot work on Python 3.11 (its pins have
# no 3.11 wheels), so the package goes in without its dependencies and a
# hand-picked, newer set that works follows (pip warns about the pins; imports
# and object construction work). Prints the venv's python path when it
# installs; nothing when cached (--print prints it always; --force reinstalls).
set -euo pipefail
PEER_NAME=install-feast09
. "$(dirname "$0")/common.sh"
case "${1:-}" in
  --force) rm -rf "$FEAST09_VENV" ;;
  --print) [ -f "$FEAST09_VENV/.complete" ] && { echo "$FEAST09_VENV/bin/python"; exit 0; } ;;
esac
[ -f "$FEAST09_VENV/.complete" ] && exit 0
rm -rf "$FEAST09_VENV"
"${PYTHON:-python3}" -m venv "$FEAST09_VENV"
pip=("$FEAST09_VENV/bin/python" -m pip install -q --disable-pip-version-check)
"${pip[@]}" --no-deps "feast==$FEAST09_VERSION"
"${pip[@]}" 'protobuf==3.20.3' grpcio 'googleapis-common-protos<1.57' 'google-api-core<2' \
  'pandas<2' 'numpy<2' 'pyarrow<18' fastavro pyyaml 'click<8' 'tabulate<0.9' toml tqdm 'setuptools<81' \
  2> >(grep -v -e 'dependency conflicts' -e '^feast 0.9.5 requires' -e 'pip.s dependency resolver' >&2)
FEAST_TELEMETRY=False "$FEAST09_VENV/bin/python" -c \
  'import feast; from feast import Client, Entity, FeatureTable, FileSource, KafkaSource; assert feast.__version__ in ("0.9.5", "unknown") or feast.__version__.startswith("0.9.5")' ||
  peer_die "feast $FEAST09_VERSION does not import in $FEAST09_VENV"
touch "$FEAST09_VENV/.complete"
echo "$FEAST09_VENV/bin/python"
