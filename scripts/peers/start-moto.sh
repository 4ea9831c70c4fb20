#!/usr/bin/env bash
# start-moto.sh [--auth] [--state FILE] - starts moto's server (AWS stand-in:
# S3, Kinesis, IAM and more; PyPI `moto[server]` in the main Python
# environment) on 127.0.0.1 at a random free port, its log in a temp dir.
# Prints the endpoint URL, http://127.0.0.1:PORT.
#
# --auth: the authenticating mode. moto then verifies SigV4 signatures
# (INITIAL_NO_AUTH_ACTION_COUNT=3: the first three requests go unchecked);
# this script spends those three on IAM CreateUser, PutUserPolicy (allow
# everything) and CreateAccessKey through boto3, and prints
#   http://127.0.0.1:PORT ACCESS_KEY_ID SECRET_ACCESS_KEY
# A request signed with that key passes; a wrong secret gets 403
# SignatureDoesNotMatch, an unknown key 403 InvalidClientTokenId.
# Default state file: $FEAST_PEER_RUN/moto.state, or moto-auth.state with --auth.
set -euo pipefail
PEER_NAME=start-moto
. "$(dirname "$0")/common.sh"
auth=0
for a in "$@"; do [ "$a" = --auth ] && auth=1; done
key=moto
((auth)) && key=moto-auth
peer_parse_state_arg "$key" "$@"

if peer_running; then
  if ((auth)); then echo "http://127.0.0.1:$PORT $ACCESS_KEY_ID $SECRET_ACCESS_KEY"; else echo "http://127.0.0.1:$PORT"; fi
  exit 0
fi
PY=$("${PYTHON:-python3}" -c 'import sys; print(sys.executable)')
"$PY" -c 'import moto.server' 2>/dev/null ||
  peer_die "moto's server is not installed in $PY: run scripts/install-deps.sh (PyPI moto[server])"

dir=$(mktemp -d "${TMPDIR:-/tmp}/feast-moto.XXXXXX")
port=$(free_port)
envs=(env)
((auth)) && envs+=(INITIAL_NO_AUTH_ACTION_COUNT=3)
peer_spawn "$dir/moto.log" "${envs[@]}" "$PY" -m moto.server -H 127.0.0.1 -p "$port"
# Only a TCP connect: every HTTP request would use up one of the free calls.
wait_port "$port" 60 "$SPAWNED_PID" || fail_start "$dir" "$dir/moto.log" "moto did not listen on $port"
url="http://127.0.0.1:$port"

if ((auth)); then
  creds=$("$PY" - "$url" <<'PY'
import json, sys
import boto3
iam = boto3.client("iam", endpoint_url=sys.argv[1], region_name="us-east-1",
                   aws_access_key_id="bootstrap", aws_secret_access_key="bootstrap")
iam.create_user(UserName="feast-test")
iam.put_user_policy(UserName="feast-test", PolicyName="allow-all", PolicyDocument=json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
k = iam.create_access_key(UserName="feast-test")["AccessKey"]
print(k["AccessKeyId"], k["SecretAccessKey"])
PY
  ) || fail_start "$dir" "$dir/moto.log" "creating the IAM user and key on $url failed"
  read -r akid secret <<<"$creds"
  write_state PID="$SPAWNED_PID" DIR="$dir" PORT="$port" ACCESS_KEY_ID="$akid" SECRET_ACCESS_KEY="$secret"
  echo "$url $akid $secret"
else
  write_state PID="$SPAWNED_PID" DIR="$dir" PORT="$port"
  echo "$url"
fi
